import { isDeepStrictEqual } from 'node:util';
import { stringify } from 'yaml';
import { admitObject } from '../../src/api/admission.js';
import { formatInvalid, type FieldError } from '../../src/api/field-errors.js';
import { loadManifests } from '../../src/api/manifests.js';
import type { Json } from '../helpers/manifest-arbitraries.js';

/**
 * The properties the fuzz tests and `bench/fuzz` check on one document. Each check returns the
 * problems it found (empty: the property holds), so a failing case names every broken promise.
 */

/** The CI fuzz tests' fixed seed: a failure there is reproducible. */
export const FUZZ_SEED = 20261121;

/** A case taking longer than this is a hang (admission of a generated manifest takes ~1 ms). */
export const CASE_BUDGET_MS = 1000;

const FIELD_ERROR_TYPES = new Set([
  'Invalid value',
  'Required value',
  'Unsupported value',
  'Forbidden',
  'Duplicate value',
  'Not found',
  'Too long',
  'Internal error',
]);

/** `<Kind> "<name>" is invalid: <path>: <Reason>…`, one error or a bracketed list (apierrors.NewInvalid). */
const INVALID_MESSAGE =
  /^[A-Za-z]+ "(?:[^"\\]|\\.)*" is invalid: \[?\S.*?: (?:Invalid value|Required value|Unsupported value|Forbidden|Duplicate value|Not found|Too long|Internal error)\b/;

/**
 * How much of a field path (`spec.containers[0].ports[1].name`, `metadata.labels[app]`) names
 * nodes of `doc`: the characters consumed. Map keys are printed raw in brackets (a key may hold
 * `].`), so every own key is tried rather than parsing the path on its own.
 */
export function matchedLength(doc: unknown, field: string): number {
  let best = 0;
  const boundary = (pos: number): boolean => pos === field.length || field[pos] === '.' || field[pos] === '[';
  const walk = (node: unknown, pos: number): void => {
    best = Math.max(best, pos);
    if (pos === field.length || node === null || typeof node !== 'object') return;
    if (Array.isArray(node)) {
      const m = /^\[(\d+)\]/.exec(field.slice(pos, pos + 24));
      const i = m ? Number(m[1]) : -1;
      if (m && i < node.length && boundary(pos + m[0].length)) walk(node[i], pos + m[0].length);
      return;
    }
    for (const [key, value] of Object.entries(node)) {
      for (const form of [pos === 0 ? key : `.${key}`, `[${key}]`]) {
        if (field.startsWith(form, pos) && boundary(pos + form.length)) walk(value, pos + form.length);
      }
    }
  };
  walk(doc, 0);
  return best;
}

/** What is left after the matched part is one more segment: `.name` or `[key]` (or `name` at the root). */
function isOneSegment(rest: string, atRoot: boolean): boolean {
  if (rest.startsWith('[')) return rest.endsWith(']') && !rest.slice(0, -1).includes('][');
  const body = atRoot ? rest : rest.slice(1);
  return (atRoot || rest.startsWith('.')) && body !== '' && !/[.[]/.test(body);
}

/** Objects admission creates when they are absent, so errors may name their children. */
const DEFAULTED_CONTAINERS = [
  'metadata',
  'spec',
  'spec.selector',
  'spec.template',
  'spec.template.metadata',
  'spec.template.spec',
];

function describe(value: unknown): string {
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 300 ? `${text.slice(0, 300)}…` : text;
}

/**
 * Every field error names a real place: the path itself is in the document, or its parent is (a
 * missing required child); a missing field under an object defaulting creates (`metadata`,
 * `spec`, a template) may also be named.
 */
export function fieldErrorProblems(doc: unknown, errors: FieldError[]): string[] {
  const problems: string[] = [];
  for (const e of errors) {
    if (!FIELD_ERROR_TYPES.has(e.type)) problems.push(`field error of unknown type ${describe(e)}`);
    if (typeof e.field !== 'string' || e.field === '') {
      problems.push(`field error without a field path: ${describe(e)}`);
      continue;
    }
    if (e.field === '<root>') continue;
    const consumed = matchedLength(doc, e.field);
    const rest = e.field.slice(consumed);
    if (rest === '' || isOneSegment(rest, consumed === 0)) continue;
    const underDefaulted = DEFAULTED_CONTAINERS.some((c) => {
      const parent = c.includes('.') ? c.slice(0, c.lastIndexOf('.')).length : 0;
      return (
        (e.field === c || e.field.startsWith(`${c}.`) || e.field.startsWith(`${c}[`)) && consumed >= parent
      );
    });
    if (underDefaulted) continue;
    problems.push(
      `field path ${JSON.stringify(e.field)} (${e.type}) is not in the document: only ${JSON.stringify(e.field.slice(0, consumed))} is`,
    );
  }
  return problems;
}

export interface AdmissionOutcome {
  problems: string[];
  accepted?: unknown;
  ms: number;
}

/** Admission never throws, answers within budget, and a refusal is Kubernetes-formatted with real field paths. */
export function checkAdmission(doc: unknown): AdmissionOutcome {
  const started = performance.now();
  let adm: ReturnType<typeof admitObject>;
  try {
    adm = admitObject(doc);
  } catch (err) {
    return {
      problems: [`admitObject threw: ${(err as Error).stack ?? String(err)}`],
      ms: performance.now() - started,
    };
  }
  const ms = performance.now() - started;
  const problems: string[] = [];
  if (ms > CASE_BUDGET_MS) problems.push(`admission took ${ms.toFixed(0)} ms (budget ${CASE_BUDGET_MS} ms)`);
  if (adm.kindError !== undefined) {
    if (!/\b(kind|apiVersion)\b/.test(adm.kindError))
      problems.push(`kind refusal names neither kind nor apiVersion: ${adm.kindError}`);
    if (/function|\[native code\]|undefined/.test(adm.kindError))
      problems.push(`kind refusal leaks internals: ${adm.kindError}`);
    return { problems, ms };
  }
  if (adm.errors.length > 0 || !adm.object) {
    if (adm.errors.length === 0) problems.push('refused without a field error');
    const obj = doc as { kind?: unknown; metadata?: { name?: unknown } };
    const message = formatInvalid(
      String(obj.kind),
      typeof obj.metadata?.name === 'string' ? obj.metadata.name : '',
      adm.errors,
    );
    if (!INVALID_MESSAGE.test(message))
      problems.push(`refusal is not Kubernetes-formatted: ${message.slice(0, 400)}`);
    problems.push(...fieldErrorProblems(doc, adm.errors));
    return { problems, ms };
  }
  return { problems, accepted: adm.object, ms };
}

/** An accepted object admitted again (after a JSON round trip) is accepted unchanged: defaulting is idempotent. */
export function checkJsonRoundTrip(accepted: unknown): string[] {
  const again = admitObject(JSON.parse(JSON.stringify(accepted)) as unknown);
  if (again.kindError !== undefined) return [`re-admission refused the kind: ${again.kindError}`];
  if (again.errors.length > 0) {
    const obj = accepted as { kind: string; metadata: { name: string } };
    return [`re-admission refused it: ${formatInvalid(obj.kind, obj.metadata.name, again.errors)}`];
  }
  if (!isDeepStrictEqual(normalise(again.object), normalise(accepted)))
    return [`re-admission changed it:\n  first:  ${describe(accepted)}\n  second: ${describe(again.object)}`];
  return [];
}

/** An accepted object written as YAML and loaded as `podvisor apply -f` loads files comes back the same. */
export async function checkYamlRoundTrip(accepted: unknown): Promise<string[]> {
  // YAML 1.1 output quotes `yes`, `0644` and friends, as kubectl's YAML would.
  const text = stringify(accepted, { version: '1.1' });
  const loaded = await loadManifests(['-'], { readStdin: () => Promise.resolve(text) });
  if (loaded.errors.length > 0) return [`the YAML form does not load: ${loaded.errors.join('; ')}\n${text}`];
  const back = loaded.objects[0]?.object;
  if (!isDeepStrictEqual(normalise(back), normalise(accepted)))
    return [`the YAML form loads differently:\n  object: ${describe(accepted)}\n  loaded: ${describe(back)}`];
  return [];
}

/** Parsed JSON has no `undefined` members; the admitted object may, and they mean "absent". */
function normalise(v: unknown): unknown {
  return v === undefined ? undefined : (JSON.parse(JSON.stringify(v)) as unknown);
}

export type { Json };
