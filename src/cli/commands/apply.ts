import { isDeepStrictEqual } from 'node:util';
import type { LoadedObject } from '../../api/manifests.js';
import type { KubeObject, Pod, PodSpec } from '../../api/types.js';
import { ApiError, type ApiClient } from '../client.js';
import { connect, type CommandContext } from '../context.js';
import { CliError, EXIT_ERROR, EXIT_OK, usageError } from '../errors.js';
import { objectPath } from '../resources.js';
import { loadForClient } from './manifest-input.js';

export interface ApplyOptions {
  filename?: string[];
  namespace?: string;
}

/** The namespace an object goes to; a clash with `-n` is refused as kubectl refuses it. */
function targetNamespace(loaded: LoadedObject, flag: string | undefined): string {
  const own = loaded.object.metadata.namespace;
  if (own && flag && own !== flag) {
    throw new CliError(
      `error: the namespace from the provided object "${own}" does not match the namespace "${flag}" ` +
        `(${loaded.file}:${loaded.line}): pass --namespace=${own}, or change the manifest`,
    );
  }
  return own || flag || 'default';
}

/** Pod specs as stored; nodeName is the node's to set, so it takes no part in the comparison. */
function comparableSpec(spec: PodSpec | undefined): PodSpec | undefined {
  if (!spec) return spec;
  const copy: PodSpec = { ...spec };
  delete copy.nodeName;
  return copy;
}

/**
 * `apply -f` / `create -f` (kubectl-surface §2.6/§2.7). Everything is loaded, defaulted and
 * validated locally first, and nothing is sent if any manifest has an error. A changed pod spec is
 * refused because pod specs are immutable (apply as an update comes with a later issue).
 */
export async function runApply(
  ctx: CommandContext,
  mode: 'apply' | 'create',
  opts: ApplyOptions,
): Promise<number> {
  const files = opts.filename ?? [];
  if (files.length === 0)
    throw usageError(`error: must specify -f FILE|DIR|-: e.g. 'podvisor ${mode} -f pod.yaml'`);
  const verb = mode === 'apply' ? 'applied' : 'created';
  const { objects, warnings } = await loadForClient(ctx, files, verb);
  const targets = objects.map((l) => ({ loaded: l, namespace: targetNamespace(l, opts.namespace) }));

  const client = await connect(ctx, (text) => {
    // The server's admission repeats the warnings already printed with their file and line.
    if (warnings.some((w) => w.endsWith(text))) return;
    ctx.io.stderr.write(`Warning: ${text}\n`);
  });

  let failed = false;
  for (const { loaded: l, namespace } of targets) {
    const name = l.object.metadata.name;
    const kind = l.object.kind.toLowerCase();
    const body: KubeObject = { ...l.object, metadata: { ...l.object.metadata, namespace } };
    try {
      const existing = mode === 'apply' ? await getIfExists(client, namespace, name) : undefined;
      if (!existing) {
        await client.request('POST', `/api/v1/namespaces/${encodeURIComponent(namespace)}/pods`, { body });
        ctx.io.stdout.write(`${kind}/${name} created\n`);
      } else if (isDeepStrictEqual(comparableSpec((l.object as Pod).spec), comparableSpec(existing.spec))) {
        ctx.io.stdout.write(`${kind}/${name} unchanged\n`);
      } else {
        const ns = namespace === 'default' ? '' : ` -n ${namespace}`;
        ctx.io.stderr.write(
          `error: ${kind} "${name}" already exists with a different spec (${l.file}:${l.line}), and a pod's spec cannot ` +
            `be changed: delete it first ('podvisor delete pod ${name}${ns}') and apply again\n`,
        );
        failed = true;
      }
    } catch (err) {
      if (!(err instanceof ApiError)) throw err;
      const prefix = err.reason ? `Error from server (${err.reason})` : 'Error from server';
      ctx.io.stderr.write(`${prefix}: error when creating "${l.file}": ${err.statusMessage}\n`);
      failed = true;
    }
  }
  return failed ? EXIT_ERROR : EXIT_OK;
}

async function getIfExists(client: ApiClient, namespace: string, name: string): Promise<Pod | undefined> {
  try {
    return await client.get<Pod>(objectPath('pods', namespace, name));
  } catch (err) {
    if (err instanceof ApiError && err.code === 404) return undefined;
    throw err;
  }
}
