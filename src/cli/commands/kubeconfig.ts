import { chmod, rename, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { stringify } from 'yaml';
import type { CommandContext } from '../context.js';
import { EXIT_OK, usageError } from '../errors.js';
import { readServingCert } from '../serving-cert.js';
import { readApiInfo, resolveStateDir } from '../state-dir.js';

export interface KubeconfigOptions {
  /** Write the kubeconfig here (mode 0600) instead of printing it. */
  outputFile?: string;
}

export interface KubeconfigTarget {
  server: string;
  token: string;
  nodeName: string;
  /** PEM of the node's serving certificate (its own CA), for an https:// server. */
  certificateAuthority?: string;
}

/**
 * A kubeconfig with one cluster, user and context, all named `podvisor-<node>`, and that context
 * current: `kubectl --kubeconfig FILE` (or `KUBECONFIG=FILE`) needs no other flag.
 */
export function renderKubeconfig(target: KubeconfigTarget): string {
  const name = `podvisor-${target.nodeName}`;
  return stringify({
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [
      {
        name,
        cluster: {
          server: target.server,
          ...(target.certificateAuthority
            ? { 'certificate-authority-data': Buffer.from(target.certificateAuthority).toString('base64') }
            : {}),
        },
      },
    ],
    users: [{ name, user: { token: target.token } }],
    contexts: [{ name, context: { cluster: name, user: name, namespace: 'default' } }],
    'current-context': name,
    preferences: {},
  });
}

/** `--server` + `--token`, else the running node of the state directory (its api.json). */
async function findTarget(ctx: CommandContext): Promise<KubeconfigTarget> {
  const { globals, io } = ctx;
  if (globals.server || globals.token) {
    if (!globals.server || !globals.token)
      throw usageError(
        'error: --server and --token go together: pass both, or neither to use the node of the state dir',
      );
    return { server: globals.server, token: globals.token, nodeName: hostname() };
  }
  const dir = resolveStateDir(globals.stateDir, io.env);
  const info = await readApiInfo(dir);
  const nodeName = info.nodeName ?? hostname();
  const ca = await readServingCert(dir);
  // The node answers TLS on its one port; kubectl sends the token only over TLS.
  if (ca && info.server.startsWith('http://')) {
    return {
      server: `https://${info.server.slice('http://'.length)}`,
      token: info.token,
      nodeName,
      certificateAuthority: ca,
    };
  }
  return { server: info.server, token: info.token, nodeName };
}

/** The file holds a credential: written private to the user, atomically (temp file + rename). */
async function writePrivate(file: string, text: string): Promise<void> {
  const tmp = join(dirname(file), `.kubeconfig.${process.pid}.tmp`);
  await writeFile(tmp, text, { mode: 0o600 });
  await chmod(tmp, 0o600);
  await rename(tmp, file);
}

export async function runKubeconfig(ctx: CommandContext, opts: KubeconfigOptions): Promise<number> {
  const target = await findTarget(ctx);
  if (target.server.startsWith('http://')) {
    ctx.io.stderr.write(
      `Warning: kubectl sends the token only over https://, so it will be refused by ${target.server}: use the node's state dir (its https:// side) instead of --server\n`,
    );
  }
  const text = renderKubeconfig(target);
  if (opts.outputFile) await writePrivate(resolve(opts.outputFile), text);
  else ctx.io.stdout.write(text);
  return EXIT_OK;
}
