import { readFile } from 'node:fs/promises';
import http from 'node:http';
import https from 'node:https';
import { joinHostPort } from '../go-text.js';
import type { CheckTarget } from './kind.js';
import type { CheckLogSource } from './types.js';

/**
 * A container's log through the Kubernetes API, as `kubectl logs --since` reads it: what
 * `check log` and `check silence` use outside podvisor's own prober (inside a cluster container
 * with the service-account token, or from a person's CLI with the node's token and CA).
 */
export interface ApiLogTarget {
  /** `https://host:port` (or `http://` for a podvisor node without TLS). */
  server: string;
  token: string;
  /** PEM of the CA that signed the server's certificate; undefined: the system's CAs. */
  ca?: string;
  namespace: string;
  pod: string;
  /** undefined: the pod's only container. */
  container?: string;
  /** Where the token and CA came from, named in errors ("service account dir /var/run/…"). */
  origin: string;
}

export const DEFAULT_SERVICEACCOUNT_DIR = '/var/run/secrets/kubernetes.io/serviceaccount';
/** Logs larger than this are cut (a window of output should be far smaller). */
const MAX_BODY = 32 * 1024 * 1024;

interface PodView {
  spec?: { containers?: { name: string }[] };
  status?: {
    containerStatuses?: { name: string; state?: { running?: { startedAt?: string } } }[];
  };
}

interface StatusView {
  message?: string;
}

/** One GET; rejects with an error that names the server, what failed and what to do. */
function apiGet(target: ApiLogTarget, path: string, signal?: AbortSignal): Promise<string> {
  return new Promise((resolve, reject) => {
    let url: URL;
    try {
      url = new URL(path, target.server);
    } catch {
      reject(
        new Error(
          `the API server address ${JSON.stringify(target.server)} is not a URL (from ${target.origin})`,
        ),
      );
      return;
    }
    const options: https.RequestOptions = {
      method: 'GET',
      headers: { Authorization: `Bearer ${target.token}`, Accept: 'application/json, */*' },
      agent: false,
      ...(signal === undefined ? {} : { signal }),
    };
    if (target.ca !== undefined) options.ca = target.ca;
    let req: http.ClientRequest;
    try {
      req = (url.protocol === 'https:' ? https : http).request(url, options, onResponse);
    } catch (err) {
      reject(
        new Error(
          `cannot ask the API server at ${target.server}: ${(err as Error).message}: check the CA (ca.crt of ${target.origin})`,
        ),
      );
      return;
    }
    function onResponse(res: http.IncomingMessage): void {
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (chunk: Buffer) => {
        if (size >= MAX_BODY) return;
        chunks.push(chunk);
        size += chunk.length;
      });
      res.on('error', (err) => reject(err));
      res.on('end', () => {
        const text = Buffer.concat(chunks, size).toString('utf8');
        const code = res.statusCode ?? 0;
        if (code < 400) resolve(text);
        else reject(new Error(statusError(target, code, text)));
      });
    }
    req.on('error', (err: NodeJS.ErrnoException) => {
      if (err.name === 'AbortError') {
        reject(new Error(`GET ${url.pathname} was cancelled`));
        return;
      }
      const tls = /certificate|self[- ]signed|SSL|TLS/i.test(`${err.code ?? ''} ${err.message}`);
      const fix = tls
        ? `check the CA (ca.crt of ${target.origin})`
        : target.origin.startsWith('service account')
          ? 'check KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT'
          : `check that the node of ${target.origin} is running and reachable`;
      reject(new Error(`cannot reach the API server at ${target.server}: ${err.message}: ${fix}`));
    });
    req.end();
  });
}

function statusError(target: ApiLogTarget, code: number, body: string): string {
  let message = body.trim().slice(0, 300);
  try {
    message = (JSON.parse(body) as StatusView).message ?? message;
  } catch {
    // not a Status: keep the text
  }
  const where = `${target.namespace}/${target.pod}`;
  if (code === 401) {
    return `the API server at ${target.server} refused the token (401 Unauthorized): check the token of ${target.origin}`;
  }
  if (code === 403) {
    return `forbidden (403): ${message}: the service account needs "get" on pods and pods/log in namespace ${target.namespace} (a Role and RoleBinding)`;
  }
  if (code === 404) {
    return `pod ${where} not found (404): pass --pod NAME (or set POD_NAME) and -n NS`;
  }
  return `the API server answered ${code} for pod ${where}: ${message}`;
}

/** A CRI/kubectl timestamped line: "2024-06-04T10:00:00.123456789Z text". */
function splitTimestamp(line: string): { at: number | undefined; text: string } {
  const space = line.indexOf(' ');
  if (space <= 0) return { at: undefined, text: line };
  const at = Date.parse(line.slice(0, space));
  return Number.isNaN(at) ? { at: undefined, text: line } : { at, text: line.slice(space + 1) };
}

function lines(text: string): string[] {
  const out = text.split('\n');
  if (out[out.length - 1] === '') out.pop();
  return out;
}

/** The log source of `target`'s container; `now` is the clock sinceSeconds is counted on. */
export function apiLogSource(target: ApiLogTarget, now: () => number = Date.now): CheckLogSource {
  const podPath = `/api/v1/namespaces/${encodeURIComponent(target.namespace)}/pods/${encodeURIComponent(target.pod)}`;
  let container: Promise<string> | undefined;

  const getPod = async (signal?: AbortSignal): Promise<PodView> =>
    JSON.parse(await apiGet(target, podPath, signal)) as PodView;

  // The pod's only container, as `kubectl logs` picks it; looked up once.
  const containerName = (signal?: AbortSignal): Promise<string> => {
    if (target.container !== undefined) return Promise.resolve(target.container);
    container ??= getPod(signal).then((pod) => {
      const names = (pod.spec?.containers ?? []).map((c) => c.name);
      if (names.length === 1) return names[0] as string;
      throw new Error(
        `pod ${target.namespace}/${target.pod} has containers ${names.join(', ')}: say which with -c NAME (or set CONTAINER_NAME)`,
      );
    });
    container.catch(() => {
      container = undefined;
    });
    return container;
  };

  const logQuery = async (params: Record<string, string>, signal?: AbortSignal): Promise<string[]> => {
    const name = await containerName(signal);
    const query = new URLSearchParams({ container: name, timestamps: 'true', ...params });
    return lines(await apiGet(target, `${podPath}/log?${query.toString()}`, signal));
  };

  return {
    async linesSince(sinceMs, signal) {
      const sinceSeconds = Math.max(1, Math.ceil((now() - sinceMs) / 1000));
      const raw = await logQuery({ sinceSeconds: String(sinceSeconds) }, signal);
      const out: string[] = [];
      for (const line of raw) {
        const { at, text } = splitTimestamp(line);
        // sinceSeconds is whole seconds: drop what the rounding let in.
        if (at === undefined || at >= sinceMs) out.push(text);
      }
      return out;
    },
    async lastOutputAt(signal) {
      const [last] = await logQuery({ tailLines: '1' }, signal);
      return last === undefined ? undefined : splitTimestamp(last).at;
    },
    async startedAt(signal) {
      const name = await containerName(signal);
      const pod = await getPod(signal);
      const status = pod.status?.containerStatuses?.find((s) => s.name === name);
      const started = status?.state?.running?.startedAt;
      if (started === undefined) return undefined;
      const at = Date.parse(started);
      return Number.isNaN(at) ? undefined : at;
    },
  };
}

async function readSecretFile(dir: string, file: string, what: string): Promise<string> {
  try {
    return (await readFile(`${dir}/${file}`, 'utf8')).trim();
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? (err as Error).message;
    throw new Error(
      `cannot read the service account ${what} ${dir}/${file} (${code}): run in a pod with a mounted service account token, ` +
        'or set PODVISOR_SERVICEACCOUNT_DIR to a directory with token, ca.crt and namespace',
    );
  }
}

/**
 * Where a check in a cluster container reads its own pod's log: the service account's token,
 * CA and namespace (`PODVISOR_SERVICEACCOUNT_DIR`, else the standard mount), the API server from
 * KUBERNETES_SERVICE_HOST/PORT, the pod from `--pod`, POD_NAME or HOSTNAME, the container from
 * `-c`, CONTAINER_NAME or the pod's only one. Rejects naming what is missing and how to give it.
 */
export async function serviceAccountTarget(
  env: NodeJS.ProcessEnv,
  given: CheckTarget,
): Promise<ApiLogTarget> {
  const host = env.KUBERNETES_SERVICE_HOST;
  if (host === undefined || host === '') {
    throw new Error(
      'KUBERNETES_SERVICE_HOST is not set, so the API server is unknown: run inside a pod, or set KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT',
    );
  }
  const port =
    env.KUBERNETES_SERVICE_PORT === undefined || env.KUBERNETES_SERVICE_PORT === ''
      ? '443'
      : env.KUBERNETES_SERVICE_PORT;
  const pod = given.pod ?? (env.POD_NAME || env.HOSTNAME || undefined);
  if (pod === undefined) {
    throw new Error(
      'the pod is unknown: pass --pod NAME, or set POD_NAME (downward API fieldRef metadata.name)',
    );
  }
  const dir = env.PODVISOR_SERVICEACCOUNT_DIR || DEFAULT_SERVICEACCOUNT_DIR;
  const token = await readSecretFile(dir, 'token', 'token');
  const ca = await readSecretFile(dir, 'ca.crt', 'CA');
  const namespace = given.namespace ?? (await readSecretFile(dir, 'namespace', 'namespace'));
  const target: ApiLogTarget = {
    server: `https://${joinHostPort(host.replace(/^\[(.*)\]$/, '$1'), port)}`,
    token,
    ca,
    namespace,
    pod,
    origin: `service account dir ${dir}`,
  };
  const container = given.container ?? (env.CONTAINER_NAME || undefined);
  if (container !== undefined) target.container = container;
  return target;
}
