/**
 * Watch delivery latency on a real node: two watchers on the pods (plain JSON, as informers
 * watch, and a Table watch, as `kubectl get -w`), then label PATCHes one at a time; each sample
 * is the time from the PATCH being sent to the watcher having read the event that carries the
 * PATCH's label value (both clocks are this process's).
 */
import http from 'node:http';
import { TimedClient, type PodvisorUp } from './s5-node.js';

export interface WatchDelivery {
  json: number[];
  table: number[];
  patch: number[];
  note: string;
}

interface WatchStream {
  /** Resolves with performance.now() when an event carrying `value` in label s5-seq is read. */
  waitFor(value: string): Promise<number>;
  close(): void;
}

const SEQ_LABEL = 's5-seq';

function openWatch(node: PodvisorUp, path: string, accept: string | undefined): Promise<WatchStream> {
  const url = new URL(node.server);
  const waiting = new Map<string, (at: number) => void>();
  const seen = new Map<string, number>();
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = { authorization: `Bearer ${node.token}` };
    if (accept) headers.accept = accept;
    const req = http.get({ host: url.hostname, port: url.port, path, headers, agent: false }, (res) => {
      if (res.statusCode !== 200) {
        reject(new Error(`watch ${path}: HTTP ${res.statusCode}`));
        return;
      }
      res.socket.setNoDelay(true);
      let buffered = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        const at = performance.now();
        buffered += chunk;
        let nl: number;
        while ((nl = buffered.indexOf('\n')) >= 0) {
          const line = buffered.slice(0, nl);
          buffered = buffered.slice(nl + 1);
          // Cheap scan: the label value is unique per sample, no need to parse every event.
          const m = /"s5-seq":"(s\d+)"/.exec(line);
          if (!m) continue;
          const value = m[1] as string;
          const waiter = waiting.get(value);
          if (waiter) {
            waiting.delete(value);
            waiter(at);
          } else seen.set(value, at);
        }
      });
      resolve({
        waitFor: (value) => {
          const at = seen.get(value);
          if (at !== undefined) return Promise.resolve(at);
          return new Promise((r) => waiting.set(value, r));
        },
        close: () => req.destroy(),
      });
    });
    req.on('error', (err) => {
      if (!req.destroyed) reject(err);
    });
  });
}

function within<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms waiting for ${what}`)), ms);
  });
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
}

export async function measureWatchDelivery(
  node: PodvisorUp,
  samples: number,
  podCount: number,
  tableAccept: string,
): Promise<WatchDelivery> {
  const client = new TimedClient(node.server, node.token);
  const list = await client.request('GET', '/api/v1/namespaces/default/pods?limit=1');
  const rv = (JSON.parse(list.body) as { metadata: { resourceVersion: string } }).metadata.resourceVersion;
  const base = '/api/v1/namespaces/default/pods?watch=true';
  // The JSON watch starts at the list's resourceVersion (as an informer does); the Table watch
  // without one gets the 1,000 ADDED first, as kubectl get -w does, and is then waited out.
  const jsonWatch = await openWatch(node, `${base}&resourceVersion=${rv}`, undefined);
  const tableWatch = await openWatch(node, base, tableAccept);
  const json: number[] = [];
  const table: number[] = [];
  const patch: number[] = [];
  try {
    const warmup = 5;
    for (let i = 0; i < samples + warmup; i++) {
      const value = `s${i}`;
      const pod = `api-${String((i * 7) % podCount).padStart(4, '0')}`;
      const body = JSON.stringify({ metadata: { labels: { [SEQ_LABEL]: value } } });
      const t0 = performance.now();
      const res = await client.request('PATCH', `/api/v1/namespaces/default/pods/${pod}`, {
        body,
        contentType: 'application/merge-patch+json',
      });
      if (res.status !== 200) throw new Error(`PATCH ${pod}: HTTP ${res.status}: ${res.body.slice(0, 200)}`);
      const [j, t] = await within(
        Promise.all([jsonWatch.waitFor(value), tableWatch.waitFor(value)]),
        10_000,
        `the watch event of ${pod} ${SEQ_LABEL}=${value}`,
      );
      if (i >= warmup) {
        json.push(j - t0);
        table.push(t - t0);
        patch.push(res.ms);
      }
      // Spaced out so each sample is one write on a quiet node, not a queue behind the previous one.
      await new Promise((r) => setTimeout(r, 20));
    }
  } finally {
    jsonWatch.close();
    tableWatch.close();
    client.close();
  }
  return {
    json,
    table,
    patch,
    note: `${samples} merge-patches of a label, one at a time, 20 ms apart; a watch from the list's resourceVersion (informer style) and a Table watch (kubectl get -w) open at once`,
  };
}
