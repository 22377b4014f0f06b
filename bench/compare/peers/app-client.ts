/**
 * The bench's side of bench/compare/apps/http-app.mjs: control requests and the tight poll that
 * times "a fresh instance answers". Every request is a fresh connection (no keep-alive agent), as
 * a supervisor's check or a client after a restart would make.
 */
import { request } from 'node:http';
import { isRunning, sleep } from './process-tools.js';

/** How often the bench polls for the replacement instance (HTTP) and for the old one's exit (/proc). */
export const HTTP_POLL_MS = 2;
export const EXIT_POLL_MS = 1;

export interface AppReply {
  status: number;
  body: { pid: number; startupMs?: number; sinceCheckMs?: number | null };
}

/** One GET on a fresh connection; undefined when refused, reset or not answered within `timeoutMs`. */
export function getApp(port: number, path: string, timeoutMs: number): Promise<AppReply | undefined> {
  return new Promise((resolve) => {
    const req = request({ host: '127.0.0.1', port, path, agent: false, timeout: timeoutMs }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (text += d));
      res.on('end', () => {
        try {
          resolve({ status: res.statusCode ?? 0, body: JSON.parse(text) as AppReply['body'] });
        } catch {
          resolve(undefined);
        }
      });
      res.on('error', () => resolve(undefined));
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(undefined));
    req.end();
  });
}

/** Waits until the app on `port` answers /healthz with 200; its pid and start-up time. */
export async function waitHealthy(port: number, timeoutMs: number): Promise<AppReply['body']> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    const reply = await getApp(port, '/healthz?bench', 1_000);
    if (reply?.status === 200) return reply.body;
    if (performance.now() > deadline)
      throw new Error(`the app on 127.0.0.1:${port} did not answer /healthz within ${timeoutMs} ms`);
    await sleep(20);
  }
}

/** Sends a control request (/crash, /hang, /fail); the reply when the endpoint answers one. */
export async function control(
  port: number,
  path: '/crash' | '/hang' | '/fail',
): Promise<AppReply | undefined> {
  return getApp(port, path, 1_000);
}

/**
 * The instant (performance.now()) a fresh instance, not `oldPid`, answers /healthz with 200 on
 * `port`. The old instance cannot be replaced on the same port while it lives, so the exit is
 * watched in /proc first (every EXIT_POLL_MS: cheap, and it does not load a failing app with
 * requests), then /healthz is polled every HTTP_POLL_MS on fresh connections.
 */
export async function waitForFreshInstance(
  port: number,
  oldPid: number,
  timeoutMs: number,
): Promise<{ at: number; body: AppReply['body'] }> {
  const deadline = performance.now() + timeoutMs;
  const overdue = (): never => {
    throw new Error(`no fresh instance answered /healthz on 127.0.0.1:${port} within ${timeoutMs} ms`);
  };
  while (isRunning(oldPid)) {
    if (performance.now() > deadline) overdue();
    await sleep(EXIT_POLL_MS);
  }
  for (;;) {
    const reply = await getApp(port, '/healthz?bench', 200);
    const at = performance.now();
    if (reply?.status === 200 && reply.body.pid !== oldPid) return { at, body: reply.body };
    if (at > deadline) overdue();
    await sleep(HTTP_POLL_MS);
  }
}
