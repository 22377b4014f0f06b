import type { Pod } from '../../api/types.js';
import { dialPortForward, PortForwarder, PortForwardDialError } from '../../server/portforward/client.js';
import { connect, withInterrupt, type CommandContext } from '../context.js';
import { CliError, EXIT_ERROR, EXIT_OK, usageError } from '../errors.js';
import { objectPath, resolveResource, splitTypeName } from '../resources.js';
import { readApiInfo, resolveStateDir } from '../state-dir.js';

/**
 * `podvisor port-forward pod/NAME [LOCAL:]REMOTE...` — kubectl's command (kubectl-surface §2.12)
 * over the same WebSocket-tunnelled SPDY protocol, listening on 127.0.0.1 only.
 */

export interface PortForwardOptions {
  namespace?: string;
}

export interface PortSpec {
  /** 0: a free port is picked. */
  local: number;
  /** A number, or a container port's name. */
  remote: string;
}

function portNumber(text: string, spec: string): number {
  const n = Number(text);
  if (!/^[0-9]+$/.test(text) || n > 65535)
    throw usageError(`error: Invalid port "${spec}": not a valid port number`);
  return n;
}

/** kubectl's forms: `REMOTE` (same local port), `LOCAL:REMOTE`, `:REMOTE` (any free local port). */
export function parsePortSpec(spec: string): PortSpec {
  const parts = spec.split(':');
  if (parts.length > 2 || parts.some((p, i) => p === '' && !(i === 0 && parts.length === 2)))
    throw usageError(`error: Invalid port "${spec}": use [LOCAL:]REMOTE`);
  const remote = parts[parts.length - 1] as string;
  const localText = parts.length === 2 ? (parts[0] as string) : remote;
  if (localText !== '' && !/^[0-9]+$/.test(localText) && parts.length === 1)
    throw usageError(`error: Invalid port "${spec}": a named port needs a local port, as in 8080:${spec}`);
  const local = localText === '' ? 0 : portNumber(localText, spec);
  if (/^[0-9]+$/.test(remote) && portNumber(remote, spec) < 1)
    throw usageError(`error: Invalid port "${spec}": the remote port must be 1-65535`);
  return { local, remote };
}

/** A numeric remote port, or the container port of that name (as kubectl resolves it). */
export function resolveRemotePort(pod: Pod, remote: string): number {
  if (/^[0-9]+$/.test(remote)) return Number(remote);
  for (const c of pod.spec?.containers ?? [])
    for (const p of c.ports ?? []) if (p.name === remote) return p.containerPort;
  throw new CliError(`error: Pod '${pod.metadata?.name ?? ''}' does not have a named port '${remote}'`);
}

async function credentials(ctx: CommandContext): Promise<{ server: string; token?: string }> {
  const { globals, io } = ctx;
  if (globals.server) return { server: globals.server, ...(globals.token ? { token: globals.token } : {}) };
  const info = await readApiInfo(resolveStateDir(globals.stateDir, io.env));
  return { server: info.server, token: info.token };
}

export async function runPortForward(
  ctx: CommandContext,
  target: string,
  portSpecs: string[],
  opts: PortForwardOptions,
): Promise<number> {
  const typed = splitTypeName(target);
  if (typed) resolveResource(typed.type, ['pods']);
  const podName = typed ? typed.name : target;
  if (portSpecs.length === 0)
    throw usageError('error: TYPE/NAME and list of ports are required for port-forward');
  const specs = portSpecs.map(parsePortSpec);
  const namespace = opts.namespace || 'default';
  const client = await connect(ctx);
  const pod = await client.get<Pod>(objectPath('pods', namespace, podName));
  const phase = pod.status?.phase ?? 'Pending';
  if (phase !== 'Running')
    throw new CliError(`error: unable to forward port because pod is not running. Current status=${phase}`);
  const remotes = specs.map((s) => resolveRemotePort(pod, s.remote));

  const { server, token } = await credentials(ctx);
  const session = await dialPortForward({
    server,
    ...(token ? { token } : {}),
    namespace,
    pod: podName,
  }).catch((err: unknown) => {
    const message = err instanceof PortForwardDialError ? err.message : String(err);
    throw new CliError(`error: error upgrading connection: ${message}`);
  });
  const { stdout, stderr } = ctx.io;
  const forwarder = new PortForwarder(session, {
    onConnection: (local) => stdout.write(`Handling connection for ${local}\n`),
    onError: (local, remote, text) =>
      stderr.write(`an error occurred forwarding ${local} -> ${remote}: ${text}\n`),
  });
  try {
    for (const [i, spec] of specs.entries()) {
      const remote = remotes[i] as number;
      const listener = await forwarder.listen(spec.local, remote).catch((err: Error) => {
        throw new CliError(`error: unable to listen on port ${spec.local}: ${err.message}`);
      });
      stdout.write(`Forwarding from 127.0.0.1:${listener.localPort} -> ${remote}\n`);
    }
  } catch (err) {
    await forwarder.close();
    throw err;
  }
  const outcome = await withInterrupt(
    (signal) =>
      new Promise<'interrupted' | 'lost'>((resolve) => {
        signal.addEventListener('abort', () => resolve('interrupted'), { once: true });
        session.once('close', () => resolve('lost'));
      }),
  );
  await forwarder.close();
  if (outcome === 'lost') {
    stderr.write('error: lost connection to pod\n');
    return EXIT_ERROR;
  }
  return EXIT_OK;
}
