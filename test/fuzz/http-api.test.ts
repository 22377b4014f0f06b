import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import fc from 'fast-check';
import { stringify } from 'yaml';
import type { JsonObject } from '../helpers/manifest-arbitraries.js';
import { startNode, type PodvisorNode } from '../helpers/podvisor-node.js';
import { cpuTimeMs } from '../helpers/processes.js';
import { mutatedManifestArb } from './mutations.js';
import { fieldErrorProblems, FUZZ_SEED } from './properties.js';

/**
 * Fuzzed and hostile bodies against a real node's API (a `podvisor up` on 127.0.0.1): every answer
 * is a Kubernetes Status or the created object, never a 500 or a dead server, and a 422 carries
 * `<Kind> "<name>" is invalid: …` with details.causes[].field naming fields of the body.
 * Fuzzed creates are dry runs (`?dryRun=All`): validated and answered, not stored or run.
 */

let node: PodvisorNode;
let dir: string;
before(async () => {
  node = await startNode();
  dir = await mkdtemp(join(tmpdir(), 'podvisor-fuzz-http-'));
});
after(async () => {
  await node?.stop();
  await rm(dir, { recursive: true, force: true });
});

interface Answer {
  status: number;
  body: Record<string, unknown>;
  /** Wall time of the request. */
  ms: number;
  /** CPU time the node used meanwhile: the work the request cost, however loaded the machine. */
  cpuMs: number;
}

/** A hung request fails with this rather than at the test's own timeout. */
const REQUEST_WALL_LIMIT_MS = 120_000;

async function post(path: string, body: string, contentType: string): Promise<Answer> {
  const started = performance.now();
  const cpuBefore = cpuTimeMs(node.pid);
  const res = await fetch(`${node.server}${path}`, {
    method: 'POST',
    headers: {
      Authorization: `Bearer ${node.token}`,
      'Content-Type': contentType,
      Accept: 'application/json',
    },
    body,
    signal: AbortSignal.timeout(REQUEST_WALL_LIMIT_MS),
  });
  const text = await res.text();
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    assert.fail(`HTTP ${res.status} with a body that is not JSON: ${text.slice(0, 300)}`);
  }
  return {
    status: res.status,
    body: parsed as Record<string, unknown>,
    ms: performance.now() - started,
    cpuMs: cpuTimeMs(node.pid) - cpuBefore,
  };
}

const COLLECTIONS: Record<string, (ns: string) => string> = {
  Pod: (ns) => `/api/v1/namespaces/${ns}/pods`,
  Service: (ns) => `/api/v1/namespaces/${ns}/services`,
  Deployment: (ns) => `/apis/apps/v1/namespaces/${ns}/deployments`,
};

function collectionFor(original: JsonObject, doc: JsonObject): string {
  const meta = doc.metadata as { namespace?: unknown } | null;
  const ns =
    typeof meta?.namespace === 'string' && /^[a-z0-9-]{1,63}$/.test(meta.namespace)
      ? meta.namespace
      : 'default';
  return (COLLECTIONS[original.kind as string] as (ns: string) => string)(ns);
}

/** What any answer to a create must look like; returns the problems. */
function answerProblems(a: Answer, doc: unknown): string[] {
  const problems: string[] = [];
  if (a.status >= 500) problems.push(`HTTP ${a.status}: ${JSON.stringify(a.body).slice(0, 400)}`);
  if (a.status === 201) {
    if (a.body.kind !== (doc as { kind?: unknown }).kind) problems.push(`created a ${String(a.body.kind)}`);
    return problems;
  }
  const b = a.body as { kind?: string; status?: string; reason?: string; message?: string; code?: number };
  if (b.kind !== 'Status' || b.status !== 'Failure' || b.code !== a.status)
    problems.push(`HTTP ${a.status} without a Failure Status: ${JSON.stringify(b).slice(0, 300)}`);
  if (typeof b.message !== 'string' || b.message === '') problems.push('a Status without a message');
  if (a.status === 422) {
    if (b.reason !== 'Invalid') problems.push(`422 with reason ${b.reason}`);
    if (!/^[A-Za-z]+ "[^"]*" is invalid: \S/.test(b.message ?? ''))
      problems.push(`422 message is not Kubernetes-formatted: ${b.message}`);
    const causes =
      (a.body.details as { causes?: { field?: string; reason?: string; message?: string }[] })?.causes ?? [];
    if (causes.length === 0) problems.push('422 without details.causes');
    for (const c of causes) {
      if (!c.reason?.startsWith('FieldValue') && c.reason !== 'InternalError')
        problems.push(`cause reason ${c.reason} is not a FieldValue* reason`);
    }
    problems.push(
      ...fieldErrorProblems(
        doc,
        causes.map((c) => ({ type: 'Invalid value', field: c.field ?? '', detail: c.message ?? '' })),
      ),
    );
  }
  return problems;
}

function fail(problems: string[], context: unknown): void {
  if (problems.length > 0)
    assert.fail(`${problems.join('\n')}\nsent: ${JSON.stringify(context).slice(0, 3000)}`);
}

async function assertServing(): Promise<void> {
  const res = await fetch(`${node.server}/api/v1/namespaces/default/pods`, {
    headers: { Authorization: `Bearer ${node.token}` },
  });
  assert.equal(res.status, 200, 'the API server still answers');
  await res.arrayBuffer();
}

describe('fuzzed manifests: the HTTP API of a real node', () => {
  test('mutated Pods, Deployments and Services as JSON and YAML: a Status or the object, never a 500 (300 cases)', async () => {
    await fc.assert(
      fc.asyncProperty(mutatedManifestArb, fc.boolean(), async ({ original, doc, mutations }, asYaml) => {
        const body = asYaml ? stringify(doc, { version: '1.1' }) : JSON.stringify(doc);
        const a = await post(
          `${collectionFor(original, doc)}?dryRun=All`,
          body,
          asYaml ? 'application/yaml' : 'application/json',
        );
        fail(answerProblems(a, doc), { mutations, doc });
      }),
      { seed: FUZZ_SEED, numRuns: 300 },
    );
    await assertServing();
  });

  test('damaged YAML bodies get a 400 or 422 Status, never a 500 (100 cases)', async () => {
    const damaged = fc.tuple(
      fc.string({ maxLength: 200 }),
      fc.constantFrom('\t', ': :', '{', '- [', '&a *a', '"', 'k: v\nk: w'),
    );
    await fc.assert(
      fc.asyncProperty(damaged, async ([text, junk]) => {
        const body = `apiVersion: v1\nkind: Pod\nmetadata:\n  name: x\n${junk}${text}`;
        const a = await post('/api/v1/namespaces/default/pods?dryRun=All', body, 'application/yaml');
        fail(answerProblems(a, {}), body);
        assert.ok(a.status === 400 || a.status === 422, `HTTP ${a.status} for ${JSON.stringify(body)}`);
      }),
      { seed: FUZZ_SEED, numRuns: 100 },
    );
    await assertServing();
  });

  test('hostile bodies: alias bombs, deep nesting, 100k keys, oversize: bounded CPU time, a clear 4xx, the server keeps serving', async (t) => {
    const laughs = [
      'apiVersion: v1',
      'kind: Pod',
      'a0: &a0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]',
    ];
    for (let i = 1; i < 10; i++)
      laughs.push(
        `a${i}: &a${i} [${Array(9)
          .fill(`*a${i - 1}`)
          .join(',')}]`,
      );
    const n = 50_000;
    const keys = ['apiVersion: v1', 'kind: Pod', 'metadata:', '  name: many', '  labels:'];
    for (let i = 0; i < 100_000; i++) keys.push(`    k${i}: v`);
    const cases: {
      name: string;
      path: string;
      body: string;
      type: string;
      status: number;
      message: RegExp;
      budgetMs: number;
    }[] = [
      {
        name: 'billion laughs',
        path: '/api/v1/namespaces/default/pods',
        body: laughs.join('\n'),
        type: 'application/yaml',
        status: 400,
        message: /too many aliases/,
        budgetMs: 5000,
      },
      {
        name: 'deep YAML',
        path: '/api/v1/namespaces/default/pods',
        body: `apiVersion: v1\nkind: Pod\nspec: ${'['.repeat(n)}${']'.repeat(n)}`,
        type: 'application/yaml',
        status: 400,
        message: /line 3: nested more than 500 levels deep/,
        budgetMs: 5000,
      },
      {
        name: 'deep JSON pod',
        path: '/api/v1/namespaces/default/pods',
        body: `{"apiVersion":"v1","kind":"Pod","metadata":{"name":"deep"},"spec":${'{"a":'.repeat(n)}1${'}'.repeat(n)}}`,
        type: 'application/json',
        status: 400,
        message: /nested more than 500 levels deep/,
        budgetMs: 5000,
      },
      {
        name: 'deep JSON endpoints',
        path: '/api/v1/namespaces/default/endpoints',
        body: `{"apiVersion":"v1","kind":"Endpoints","metadata":{"name":"deep"},"subsets":${'['.repeat(n)}${']'.repeat(n)}}`,
        type: 'application/json',
        status: 400,
        message: /nested more than 500 levels deep/,
        budgetMs: 5000,
      },
      {
        name: '100k keys YAML',
        path: '/api/v1/namespaces/default/pods',
        body: keys.join('\n'),
        type: 'application/yaml',
        status: 422,
        message: /^Pod "many" is invalid: spec.containers: Required value$/,
        budgetMs: 30_000,
      },
      {
        name: '4 MiB body',
        path: '/api/v1/namespaces/default/pods',
        body: `{"a":"${'x'.repeat(4 * 1024 * 1024)}"}`,
        type: 'application/json',
        status: 413,
        message: /Request entity too large/,
        budgetMs: 10_000,
      },
    ];
    for (const c of cases) {
      const a = await post(c.path, c.body, c.type);
      assert.equal(a.status, c.status, `${c.name}: ${JSON.stringify(a.body).slice(0, 300)}`);
      assert.match(String(a.body.message), c.message, c.name);
      t.diagnostic(`${c.name}: HTTP ${a.status} in ${a.ms.toFixed(0)} ms, ${a.cpuMs} ms of the node's CPU`);
      assert.ok(a.cpuMs < c.budgetMs, `${c.name} cost the node ${a.cpuMs} ms of CPU (${a.ms.toFixed(0)} ms)`);
      await assertServing();
    }
    // Nothing that was refused was stored: lists still serialise.
    const res = await fetch(`${node.server}/api/v1/namespaces/default/endpoints`, {
      headers: { Authorization: `Bearer ${node.token}` },
    });
    assert.equal(res.status, 200);
    await res.arrayBuffer();
    assert.doesNotMatch(node.stderr, /API request failed/, 'no request ended in a 500');
  });

  test('`podvisor apply -f` with a bad document names the file and line and applies nothing', async () => {
    const file = join(dir, 'bad.yaml');
    await writeFile(
      file,
      'apiVersion: v1\nkind: Service\nmetadata: {name: ok}\nspec: {ports: [{port: 80}]}\n---\napiVersion: v1\nkind: Service\nmetadata: {name: bad}\nspec: {ports: [8080]}\n',
    );
    const r = await node.runCli(['apply', '-f', file]);
    assert.equal(r.code, 1, r.stdout + r.stderr);
    assert.match(
      r.stderr,
      new RegExp(
        `${file}:6: Service "bad" is invalid: spec.ports\\[0\\]: Invalid value: 8080: must be an object`,
      ),
    );
    const list = await node.request<{ items: unknown[] }>(
      'GET',
      '/api/v1/namespaces/default/services?fieldSelector=metadata.name=ok',
    );
    assert.deepEqual(list.items, []);
  });
});
