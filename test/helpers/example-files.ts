/** Loading the example manifests for e2e tests, as they are or as scaled copies. */
import { readFileSync } from 'node:fs';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { parseAllDocuments } from 'yaml';
import type { Pod } from '../../src/api/types.js';
import { markedPod, uniqueName } from './e2e-pods.js';
import { REPO_ROOT } from './paths.js';

/**
 * The pods of an example file (relative to the checkout), with relative working directories made
 * absolute against the file's folder, as `podvisor apply -f` does.
 */
export function loadExample(file: string): Pod[] {
  const path = join(REPO_ROOT, file);
  return parseAllDocuments(readFileSync(path, 'utf8')).map((doc) => {
    const pod = doc.toJS() as Pod;
    for (const c of pod.spec?.containers ?? []) {
      if (c.workingDir !== undefined && !isAbsolute(c.workingDir))
        c.workingDir = resolve(dirname(path), c.workingDir);
    }
    return pod;
  });
}

/** A renamed copy of an example pod carrying `marker`, changed by `change` (a scaled variant). */
export function scaledCopy(pod: Pod, prefix: string, marker: string, change: (p: Pod) => void): Pod {
  const copy = markedPod(uniqueName(prefix), marker, structuredClone(pod.spec) as NonNullable<Pod['spec']>);
  change(copy);
  return copy;
}
