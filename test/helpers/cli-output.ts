/**
 * Reading podvisor's kubectl-style output in e2e tests: `describe pod` container blocks (spec
 * §6.2) and `get` tables (columns padded with spaces; cells such as `2 (5s ago)` hold single
 * spaces, so columns are split on runs of two or more).
 */
import assert from 'node:assert/strict';
import http from 'node:http';
import type { PodvisorNode } from './podvisor-node.js';

/** Runs `podvisor <args>` against the node, asserts exit 0, returns stdout. */
export async function cliOutput(node: PodvisorNode, args: string[]): Promise<string> {
  const r = await node.runCli(args);
  assert.equal(r.code, 0, `podvisor ${args.join(' ')} exited ${r.code}:\n${r.stdout}\n${r.stderr}`);
  return r.stdout;
}

export interface DescribedState {
  /** `Running`, `Waiting` or `Terminated`. */
  state: string;
  reason?: string;
  exitCode?: number;
}

export interface DescribedContainer {
  lines: string[];
  state?: DescribedState;
  lastState?: DescribedState;
  restartCount?: number;
  ready?: string;
  /** The probe lines, e.g. `http-get http://:8080/healthz delay=0s timeout=1s ...`. */
  liveness?: string;
  readiness?: string;
  startup?: string;
}

/** The block of container `name` under `Containers:` (or `Init Containers:`) in `describe pod`. */
export function describedContainer(output: string, name: string): DescribedContainer {
  const lines = output.split('\n');
  const start = lines.findIndex((l) => l === `  ${name}:`);
  if (start < 0) throw new Error(`describe output has no container block "  ${name}:"\n${output}`);
  const block: string[] = [];
  for (let i = start + 1; i < lines.length; i++) {
    const line = lines[i] as string;
    if (line.trim() !== '' && !line.startsWith('    ')) break;
    block.push(line);
  }
  const field = (label: string): string | undefined => {
    const line = block.find((l) => new RegExp(`^    ${label}:\\s`).test(l) || l === `    ${label}:`);
    return line?.slice(line.indexOf(':') + 1).trim();
  };
  const restart = field('Restart Count');
  return {
    lines: block,
    state: stateSection(block, 'State'),
    lastState: stateSection(block, 'Last State'),
    restartCount: restart === undefined ? undefined : Number(restart),
    ready: field('Ready'),
    liveness: field('Liveness'),
    readiness: field('Readiness'),
    startup: field('Startup'),
  };
}

function stateSection(block: string[], label: string): DescribedState | undefined {
  const at = block.findIndex((l) => new RegExp(`^    ${label}:\\s+\\S`).test(l));
  if (at < 0) return undefined;
  const header = block[at] as string;
  const result: DescribedState = { state: header.slice(header.indexOf(':') + 1).trim() };
  for (let i = at + 1; i < block.length && (block[i] as string).startsWith('      '); i++) {
    const line = (block[i] as string).trim();
    const colon = line.indexOf(':');
    const key = line.slice(0, colon);
    const value = line.slice(colon + 1).trim();
    if (key === 'Reason') result.reason = value;
    if (key === 'Exit Code') result.exitCode = Number(value);
  }
  return result;
}

/** The rows of a `get` table as objects keyed by the header words (`NOMINATED NODE` stays one key). */
export function tableRows(output: string): Record<string, string>[] {
  const lines = output.split('\n').filter((l) => l.trim() !== '');
  const header = lines[0];
  if (header === undefined) return [];
  const columns = header.trim().split(/\s{2,}/);
  return lines.slice(1).map((line) => {
    const cells = line.trim().split(/\s{2,}/);
    const row: Record<string, string> = {};
    columns.forEach((c, i) => (row[c] = cells[i] ?? ''));
    return row;
  });
}

export function headerColumns(output: string): string[] {
  const header = output.split('\n').find((l) => l.trim() !== '');
  return header === undefined ? [] : header.trim().split(/\s{2,}/);
}

/** A plain HTTP call to an app (no keep-alive, 5 s timeout). */
export function httpCall(method: string, url: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method, agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.setTimeout(5_000, () => req.destroy(new Error(`${method} ${url}: no answer within 5 s`)));
    req.end();
  });
}

/** Retries a request while the app is not answering yet (connection refused while it starts). */
export async function retryHttp(
  method: string,
  url: string,
  timeoutMs: number,
): Promise<{ status: number; body: string }> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await httpCall(method, url);
    } catch (err) {
      if (Date.now() > deadline) throw err;
      await new Promise((r) => setTimeout(r, 200));
    }
  }
}
