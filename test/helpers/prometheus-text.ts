import assert from 'node:assert/strict';

/** One sample line of the Prometheus text format (0.0.4). */
export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL = /\s*([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\\n]|\\["\\n])*)"\s*(,|$)/y;
const TYPES = new Set(['counter', 'gauge', 'histogram', 'summary', 'untyped']);
/** What a family of each type may emit besides its own name. */
const SUFFIXES: Record<string, string[]> = {
  histogram: ['_bucket', '_sum', '_count'],
  summary: ['_sum', '_count'],
};

/** Parses the exposition text; throws (an assertion) on the first line that breaks the format. */
export function parseExposition(text: string): Sample[] {
  const samples: Sample[] = [];
  const typed = new Map<string, string>();
  assert.ok(text === '' || text.endsWith('\n'), 'the exposition ends with a newline');
  for (const line of text.split('\n')) {
    if (line === '') continue;
    if (line.startsWith('#')) {
      const m = /^# (HELP|TYPE) (\S+)(?: (.*))?$/.exec(line);
      if (!m) continue; // other comments are allowed
      assert.match(m[2] ?? '', NAME, `metric name in: ${line}`);
      if (m[1] === 'TYPE') {
        assert.ok(TYPES.has(m[3] ?? ''), `type in: ${line}`);
        assert.ok(!typed.has(m[2] ?? ''), `one TYPE per family: ${line}`);
        typed.set(m[2] ?? '', m[3] ?? '');
      }
      continue;
    }
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)(?: (-?\d+))?$/.exec(line);
    assert.ok(m, `sample line: ${line}`);
    const [, name = '', labelText = '', valueText = ''] = m;
    const value = valueText === '+Inf' ? Infinity : valueText === '-Inf' ? -Infinity : Number(valueText);
    assert.ok(valueText === 'NaN' || !Number.isNaN(value), `value in: ${line}`);
    assert.ok(familyOf(name, typed) !== undefined, `a TYPE line precedes: ${line}`);
    samples.push({ name, labels: parseLabels(labelText, line), value });
  }
  return samples;
}

function familyOf(name: string, typed: Map<string, string>): string | undefined {
  if (typed.has(name)) return name;
  for (const [family, type] of typed) {
    for (const suffix of SUFFIXES[type] ?? []) if (name === family + suffix) return family;
  }
  return undefined;
}

function parseLabels(text: string, line: string): Record<string, string> {
  const labels: Record<string, string> = {};
  let at = 0;
  while (at < text.length) {
    LABEL.lastIndex = at;
    const m = LABEL.exec(text);
    assert.ok(m, `labels in: ${line}`);
    const key = m[1] ?? '';
    assert.ok(!(key in labels), `label ${key} once in: ${line}`);
    labels[key] = (m[2] ?? '').replace(/\\(["\\n])/g, (_, c: string) => (c === 'n' ? '\n' : c));
    at = LABEL.lastIndex;
  }
  return labels;
}

/** Asserts the whole text is valid exposition format. */
export function checkExposition(text: string): void {
  parseExposition(text);
}

/** The value of the sample with exactly these labels, or undefined when there is none. */
export function sampleValue(text: string, name: string, labels: Record<string, string>): number | undefined {
  const want = Object.entries(labels).sort();
  for (const s of parseExposition(text)) {
    if (s.name !== name) continue;
    const have = Object.entries(s.labels).sort();
    if (have.length === want.length && have.every(([k, v], i) => want[i]?.[0] === k && want[i]?.[1] === v))
      return s.value;
  }
  return undefined;
}
