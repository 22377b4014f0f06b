import type { LoadedObject } from '../../api/manifests.js';
import type { KubeObject } from '../../api/types.js';
import { sortedJson, type JsonObject } from '../../server/patch/json-value.js';
import { patchMetaFor } from '../../server/patch/patch-meta.js';
import { createThreeWayMergePatch } from '../../server/patch/three-way.js';
import { ApiError, type ApiClient } from '../client.js';
import { connect, type CommandContext } from '../context.js';
import { CliError, EXIT_ERROR, EXIT_OK, usageError } from '../errors.js';
import { manifestPaths } from '../resources.js';
import { loadForClient } from './manifest-input.js';

export interface ApplyOptions {
  filename?: string[];
  namespace?: string;
}

export type ApplyMode = 'apply' | 'create' | 'replace';

/** The annotation client-side apply keeps its last manifest in (kubectl-surface §2.7). */
export const LAST_APPLIED_ANNOTATION = 'kubectl.kubernetes.io/last-applied-configuration';

const APPLY_MANAGER = 'kubectl-client-side-apply';

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

/** The manifest as sent: namespace filled in; status is the server's, never the user's. */
function manifestBody(loaded: LoadedObject, namespace: string): KubeObject {
  const { status: _status, ...rest } = loaded.object as KubeObject & { status?: unknown };
  return { ...rest, metadata: { ...loaded.object.metadata, namespace } } as KubeObject;
}

/**
 * The manifest with its own JSON (keys sorted, as kubectl's encoder writes them, newline-terminated)
 * in the last-applied annotation, which is itself left out of that JSON.
 */
export function withLastApplied(obj: KubeObject): KubeObject {
  const annotations = { ...(obj.metadata.annotations ?? {}) };
  delete annotations[LAST_APPLIED_ANNOTATION];
  const bare: KubeObject = { ...obj, metadata: { ...obj.metadata, annotations } };
  if (Object.keys(annotations).length === 0) delete bare.metadata.annotations;
  const text = `${sortedJson(bare)}\n`;
  return {
    ...obj,
    metadata: { ...obj.metadata, annotations: { ...annotations, [LAST_APPLIED_ANNOTATION]: text } },
  };
}

/** The last-applied manifest recorded on a live object, if any (an unreadable one counts as none). */
export function lastAppliedOf(live: KubeObject): JsonObject | undefined {
  const text = live.metadata.annotations?.[LAST_APPLIED_ANNOTATION];
  if (!text) return undefined;
  try {
    const parsed = JSON.parse(text) as unknown;
    return parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed)
      ? (parsed as JsonObject)
      : undefined;
  } catch {
    return undefined;
  }
}

/** kubectl apply's patch for a live object: three-way, from last-applied, the new manifest and live. */
export function applyPatchFor(manifest: KubeObject, live: KubeObject): JsonObject {
  const modified = withLastApplied(manifest) as unknown as JsonObject;
  return createThreeWayMergePatch(
    lastAppliedOf(live),
    modified,
    live as unknown as JsonObject,
    patchMetaFor(manifest.kind),
  );
}

function printFailure(ctx: CommandContext, err: ApiError, what: string): void {
  // kubectl prints Invalid errors as `The Pod "web" is invalid: ...`, others with what it was doing.
  if (err.reason === 'Invalid' && / is invalid/.test(err.statusMessage)) {
    ctx.io.stderr.write(`The ${err.statusMessage}\n`);
    return;
  }
  const prefix = err.reason ? `Error from server (${err.reason})` : 'Error from server';
  ctx.io.stderr.write(`${prefix}: ${what}: ${err.statusMessage}\n`);
}

/**
 * `apply -f` (client-side apply, kubectl-surface §2.7), `create -f` (§2.6) and `replace -f`.
 * Everything is loaded, defaulted and validated locally first; nothing is sent if any manifest
 * has an error.
 */
export async function runApply(ctx: CommandContext, mode: ApplyMode, opts: ApplyOptions): Promise<number> {
  const files = opts.filename ?? [];
  if (files.length === 0)
    throw usageError(`error: must specify -f FILE|DIR|-: e.g. 'podvisor ${mode} -f pod.yaml'`);
  const { objects, warnings } = await loadForClient(
    ctx,
    files,
    { apply: 'applied', create: 'created', replace: 'replaced' }[mode],
  );
  const targets = objects.map((l) => ({ loaded: l, namespace: targetNamespace(l, opts.namespace) }));

  const client = await connect(ctx, (text) => {
    // The server's admission repeats the warnings already printed with their file and line.
    if (warnings.some((w) => w.endsWith(text))) return;
    ctx.io.stderr.write(`Warning: ${text}\n`);
  });

  let failed = false;
  for (const { loaded, namespace } of targets) {
    const body = manifestBody(loaded, namespace);
    const ref = `${body.kind.toLowerCase()}/${body.metadata.name}`;
    const step = mode === 'apply' ? applyOne : mode === 'create' ? createOne : replaceOne;
    try {
      ctx.io.stdout.write(`${ref} ${await step(ctx, client, body, namespace)}\n`);
    } catch (err) {
      if (!(err instanceof ApiError)) throw err;
      const doing = mode === 'apply' ? 'applying' : mode === 'create' ? 'creating' : 'replacing';
      printFailure(ctx, err, `error when ${doing} "${loaded.file}"`);
      failed = true;
    }
  }
  return failed ? EXIT_ERROR : EXIT_OK;
}

async function createOne(
  _ctx: CommandContext,
  client: ApiClient,
  body: KubeObject,
  ns: string,
): Promise<string> {
  await client.request('POST', manifestPaths(body, ns).collection, { body });
  return 'created';
}

async function replaceOne(
  _ctx: CommandContext,
  client: ApiClient,
  body: KubeObject,
  ns: string,
): Promise<string> {
  await client.request('PUT', manifestPaths(body, ns).object(body.metadata.name ?? ''), { body });
  return 'replaced';
}

async function applyOne(
  ctx: CommandContext,
  client: ApiClient,
  body: KubeObject,
  ns: string,
): Promise<string> {
  const name = body.metadata.name ?? '';
  const paths = manifestPaths(body, ns);
  const live = await getIfExists(client, paths.object(name));
  if (!live) {
    await client.request('POST', paths.collection, {
      body: withLastApplied(body),
      query: { fieldManager: APPLY_MANAGER },
    });
    return 'created';
  }
  if (lastAppliedOf(live) === undefined) {
    ctx.io.stderr.write(
      `Warning: resource ${paths.resource}/${name} is missing the ${LAST_APPLIED_ANNOTATION} annotation which is required by ` +
        `podvisor apply. podvisor apply should only be used on resources created declaratively by podvisor apply. ` +
        `The missing annotation will be patched automatically.\n`,
    );
  }
  const patch = applyPatchFor(body, live);
  if (Object.keys(patch).length === 0) return 'unchanged';
  await client.request('PATCH', paths.object(name), {
    body: patch,
    query: { fieldManager: APPLY_MANAGER },
    contentType: 'application/strategic-merge-patch+json',
  });
  return 'configured';
}

async function getIfExists(client: ApiClient, path: string): Promise<KubeObject | undefined> {
  try {
    return await client.get<KubeObject>(path);
  } catch (err) {
    if (err instanceof ApiError && err.code === 404) return undefined;
    throw err;
  }
}
