import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import fc from 'fast-check';
import { stringify } from 'yaml';
import { loadManifests, STDIN_NAME, type LoadResult } from '../../src/api/manifests.js';
import { MAX_NESTING_DEPTH } from '../../src/api/yaml-text.js';
import { manifestArb } from '../helpers/manifest-arbitraries.js';
import { mutatedManifestArb } from './mutations.js';
import { CASE_BUDGET_MS, FUZZ_SEED } from './properties.js';

/**
 * Malformed and hostile YAML through the loader `podvisor apply -f` and `up -f` use
 * (src/api/manifests.ts): it never throws, answers in bounded time, and every error starts with
 * `file:line: ` pointing into the file.
 */

let dir: string;
before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'podvisor-fuzz-'));
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

/**
 * `ms` is the CPU time the load took in this process, not the wall time: the budgets are about
 * the algorithm (linear, bounded), and on a loaded CI machine the wall time of a 3 s load reached
 * 32 s while other suites had the cores.
 */
async function loadText(text: string): Promise<LoadResult & { ms: number; wallMs: number }> {
  const cpu = process.cpuUsage();
  const started = performance.now();
  const r = await loadManifests(['-'], { readStdin: () => Promise.resolve(text) });
  const used = process.cpuUsage(cpu);
  return { ...r, ms: (used.user + used.system) / 1000, wallMs: performance.now() - started };
}

/** Every error names the input and a line that exists in it; the load took at most `budgetMs`. */
function assertWellFormedErrors(
  r: LoadResult & { ms: number; wallMs: number },
  text: string,
  budgetMs = CASE_BUDGET_MS,
): void {
  const lines = text.split('\n').length;
  for (const e of r.errors) {
    const m = /^<stdin>:(\d+): \S/.exec(e);
    assert.ok(m, `error without file:line: ${e.slice(0, 300)}`);
    const line = Number(m[1]);
    assert.ok(
      line >= 1 && line <= lines,
      `line ${line} is outside the ${lines}-line input: ${e.slice(0, 300)}`,
    );
    assert.doesNotMatch(e, /Maximum call stack|\[object Object\]|undefined is not|Cannot read prop/, e);
  }
  if (r.errors.length > 0) assert.deepEqual(r.objects, [], 'nothing is admitted when there are errors');
  assert.ok(
    r.ms <= budgetMs,
    `loading took ${r.ms.toFixed(0)} ms of CPU (${r.wallMs.toFixed(0)} ms wall; budget ${budgetMs} ms)`,
  );
}

async function writeManifest(name: string, text: string): Promise<string> {
  const file = join(dir, name);
  await writeFile(file, text);
  return file;
}

describe('fuzzed manifests: malformed YAML through the manifest loader', () => {
  test('random bytes never crash the loader; errors name a line of the input (300 cases)', async () => {
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ maxLength: 400 }), async (bytes) => {
        const text = Buffer.from(bytes).toString('utf8');
        assertWellFormedErrors(await loadText(text), text);
      }),
      { seed: FUZZ_SEED, numRuns: 300 },
    );
  });

  test('valid manifests truncated, re-indented, tab-indented or with a line repeated (400 cases)', async () => {
    const damage = fc.tuple(
      manifestArb.map((doc) => stringify(doc, { version: '1.1' })),
      fc.constantFrom('truncate', 'indent', 'tab', 'repeat-line', 'insert-char'),
      fc.nat(),
      fc.constantFrom(
        ':',
        '-',
        '"',
        "'",
        '{',
        '[',
        '&',
        '*',
        '!',
        '|',
        '>',
        '#',
        '%',
        '@',
        '`',
        '\t',
        '\u0000',
      ),
    );
    await fc.assert(
      fc.asyncProperty(damage, async ([yamlText, how, at, ch]) => {
        const lines = yamlText.split('\n');
        const i = at % lines.length;
        if (how === 'truncate') lines.splice(i, lines.length, (lines[i] ?? '').slice(0, at % 7));
        if (how === 'indent') lines[i] = ` ${lines[i] ?? ''}`;
        if (how === 'tab') lines[i] = `\t${lines[i] ?? ''}`;
        if (how === 'repeat-line') lines.splice(i, 0, lines[i] ?? '');
        if (how === 'insert-char') lines[i] = `${ch}${lines[i] ?? ''}`;
        const text = lines.join('\n');
        assertWellFormedErrors(await loadText(text), text);
      }),
      { seed: FUZZ_SEED, numRuns: 400 },
    );
  });

  test('mutated manifests as YAML: each refusal names the document line (300 cases)', async () => {
    await fc.assert(
      fc.asyncProperty(mutatedManifestArb, async ({ doc }) => {
        const text = `# a comment first\n---\n${stringify(doc, { version: '1.1' })}`;
        const r = await loadText(text);
        assertWellFormedErrors(r, text);
        // One document, starting on line 3: every refusal of its content is placed there.
        for (const e of r.errors.filter((x) => !x.includes('error parsing YAML')))
          assert.ok(e.startsWith(`${STDIN_NAME}:3: `), e);
      }),
      { seed: FUZZ_SEED, numRuns: 300 },
    );
  });

  test('a billion-laughs document is refused as "too many aliases", naming the file and line', async () => {
    const rows = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]'];
    for (let i = 1; i < 10; i++) {
      const prev = String.fromCharCode(96 + i);
      rows.push(
        `${String.fromCharCode(97 + i)}: &${String.fromCharCode(97 + i)} [${Array(9).fill(`*${prev}`).join(',')}]`,
      );
    }
    const file = await writeManifest('laughs.yaml', ['apiVersion: v1', 'kind: Pod', ...rows].join('\n'));
    const started = performance.now();
    const r = await loadManifests([file]);
    assert.ok(performance.now() - started < CASE_BUDGET_MS);
    assert.equal(r.errors.length, 1);
    assert.match(
      r.errors[0] ?? '',
      new RegExp(`^${file}:1: error parsing YAML: too many aliases \\(more than 100 expansions\\)`),
    );
  });

  test('nesting deeper than the limit is refused before parsing, in block, flow and JSON form; just under it parses', async () => {
    const n = 50_000;
    const forms: [string, string][] = [
      [
        'block.yaml',
        'apiVersion: v1\nkind: Pod\nmetadata:\n' +
          Array.from({ length: 2000 }, (_, i) => `${' '.repeat(2 + i)}a${i}:`).join('\n'),
      ],
      ['flow.yaml', `apiVersion: v1\nkind: Pod\nmetadata:\n  labels: ${'['.repeat(n)}${']'.repeat(n)}\n`],
      ['dashes.yaml', `apiVersion: v1\nkind: Pod\nspec:\n  containers:\n  ${'- '.repeat(n)}x\n`],
      ['deep.json', `{"apiVersion":"v1","kind":"Pod","spec":${'{"a":'.repeat(n)}1${'}'.repeat(n)}}`],
    ];
    for (const [name, text] of forms) {
      const file = await writeManifest(name, text);
      const started = performance.now();
      const r = await loadManifests([file]);
      assert.ok(performance.now() - started < CASE_BUDGET_MS, `${name}: ${performance.now() - started} ms`);
      assert.equal(r.errors.length, 1, `${name}: ${r.errors.join('\n')}`);
      assert.match(
        r.errors[0] ?? '',
        new RegExp(
          `^${file}:\\d+: error parsing (YAML|JSON): nested more than ${MAX_NESTING_DEPTH} levels deep`,
        ),
      );
    }
    // Just under the limit the parser copes (no stack error): the refusal is an ordinary field error.
    const depth = MAX_NESTING_DEPTH - 20;
    const text = `apiVersion: v1\nkind: Pod\nmetadata:\n  name: deep\n  labels: {a: ${'['.repeat(depth)}${']'.repeat(depth)}}\n`;
    const r = await loadText(text);
    assert.deepEqual(r.errors, [
      '<stdin>:1: Pod "deep" is invalid: metadata.labels[a]: Invalid value: [[[]]]: must be a string'.replace(
        '[[[]]]',
        JSON.stringify(JSON.parse('['.repeat(depth) + ']'.repeat(depth))),
      ),
    ]);
  });

  test('a mapping with 100,000 keys loads in linear time (the quadratic duplicate-key check took over 3 minutes)', async () => {
    const rows = ['apiVersion: v1', 'kind: Pod', 'metadata:', '  name: many', '  labels:'];
    for (let i = 0; i < 100_000; i++) rows.push(`    k${i}: v`);
    const text = rows.join('\n');
    // Linear: about 3 s of CPU; the budget still rules out the quadratic 190 s.
    const r = await loadText(text);
    assertWellFormedErrors(r, text, 30_000);
    assert.deepEqual(r.errors, ['<stdin>:1: Pod "many" is invalid: spec.containers: Required value']);
  });

  test('a duplicate key is an error naming the key and its line, as go-yaml does', async () => {
    const r = await loadText('apiVersion: v1\nkind: Pod\nmetadata:\n  name: a\n  name: b\n');
    assert.deepEqual(r.errors, [
      '<stdin>:5: error parsing YAML: mapping key "name" already defined: each key may appear once in a mapping',
    ]);
  });

  test('a 10 MB document is refused in bounded time as larger than the API server takes', async () => {
    const text = `apiVersion: v1\nkind: Pod\nmetadata: {name: huge}\nspec: {containers: [{name: a, command: ["${'x'.repeat(10_000_000)}"]}]}\n`;
    const r = await loadText(text);
    assertWellFormedErrors(r, text, 15_000);
    assert.equal(r.errors.length, 1);
    assert.match(
      r.errors[0] ?? '',
      /^<stdin>:1: Pod "huge" is 9\.5 MiB as JSON: the API server takes at most 3 MiB per object/,
    );
  });

  test('a multi-document file with one bad document names that document by its line; nothing is admitted', async () => {
    const good = (name: string): string =>
      `apiVersion: v1\nkind: Pod\nmetadata: {name: ${name}}\nspec: {containers: [{name: c, command: [sleep, "1"]}]}\n`;
    const text = `${good('one')}---\n${good('two')}---\napiVersion: v1\nkind: Pod\nmetadata: {name: three}\nspec: {containers: [{name: c, command: [sleep], ports: [{containerPort: "http"}]}]}\n---\n${good('four')}`;
    const file = await writeManifest('multi.yaml', text);
    const r = await loadManifests([file]);
    assert.deepEqual(r.errors, [
      `${file}:11: Pod "three" is invalid: spec.containers[0].ports[0].containerPort: Invalid value: "http": must be an integer`,
    ]);
    assert.deepEqual(r.objects, []);
  });
});
