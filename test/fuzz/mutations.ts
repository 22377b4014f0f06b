import fc from 'fast-check';
import type { DocPath, Json, JsonObject } from '../helpers/manifest-arbitraries.js';
import { manifestArb } from '../helpers/manifest-arbitraries.js';

/**
 * Mutators for generated manifests: each breaks one place of a valid document the way a person
 * or a buggy tool does. Applied to a copy; a mutation whose path no longer resolves (an earlier
 * mutation removed it) is a no-op.
 */
export type Mutation =
  | { op: 'drop'; path: DocPath }
  | {
      op: 'set';
      path: DocPath;
      value: Json;
      why: 'wrong type' | 'out of range' | 'invalid name' | 'bad kind';
    }
  | { op: 'unknown'; path: DocPath; key: string; value: Json }
  | { op: 'duplicate'; path: DocPath };

/** Every node of a document below the root, parents before children. */
export function allPaths(doc: Json, prefix: DocPath = []): DocPath[] {
  const out: DocPath[] = [];
  if (Array.isArray(doc)) {
    doc.forEach((v, i) => out.push([...prefix, i], ...allPaths(v, [...prefix, i])));
  } else if (doc !== null && typeof doc === 'object') {
    for (const [k, v] of Object.entries(doc)) out.push([...prefix, k], ...allPaths(v, [...prefix, k]));
  }
  return out;
}

export function getAt(doc: Json, path: DocPath): Json | undefined {
  let cur: Json | undefined = doc;
  for (const seg of path) {
    if (cur === null || typeof cur !== 'object') return undefined;
    if (Array.isArray(cur)) cur = typeof seg === 'number' ? cur[seg] : undefined;
    else cur = Object.hasOwn(cur, seg) ? cur[seg] : undefined;
  }
  return cur;
}

/** Own-property assignment, so a `__proto__` key is a key (as JSON.parse makes it), not a prototype. */
function setOwn(obj: JsonObject, key: string, value: Json): void {
  Object.defineProperty(obj, key, { value, enumerable: true, writable: true, configurable: true });
}

const WRONG_TYPES: readonly Json[] = ['text', 7, -3, 2.5, true, false, [], ['a', 1], {}, { k: 'v' }, null];
const OUT_OF_RANGE: readonly Json[] = [
  -1,
  0,
  65536,
  2 ** 31,
  2 ** 53 + 2,
  1e300,
  0.5,
  -2147483649,
  'NaN',
  'Infinity',
  '-1',
  '1e3',
  '0x1F',
  '',
];
const INVALID_NAMES: readonly Json[] = [
  'UPPER',
  '-lead',
  'trail-',
  'a'.repeat(64),
  'b'.repeat(254),
  'has space',
  'under_score',
  '',
  'ünïcode',
  'a..b',
  'x--y',
  '0',
  '"quoted"',
  'tab\there',
  'new\nline',
];
/** Kinds that are property names of every JS object: a lookup table must not mistake them for kinds. */
const BAD_KINDS: readonly Json[] = [
  'toString',
  'constructor',
  '__proto__',
  'hasOwnProperty',
  'pod',
  'List',
  '',
];
const UNKNOWN_KEYS = ['livnessProbe', 'bogus', '__proto__', 'constructor', 'toString', 'containers ', 'Name'];

function typeOf(v: Json | undefined): string {
  return v === null ? 'null' : Array.isArray(v) ? 'array' : typeof v;
}

/** One mutation of `doc`, at a path chosen from the document's own nodes. */
export function mutationArb(doc: JsonObject): fc.Arbitrary<Mutation> {
  const paths = allPaths(doc);
  const objects = [[] as DocPath, ...paths.filter((p) => typeOf(getAt(doc, p)) === 'object')];
  const arrays = paths.filter((p) => Array.isArray(getAt(doc, p)) && (getAt(doc, p) as Json[]).length > 0);
  const strings = paths.filter((p) => typeof getAt(doc, p) === 'string');
  const path = fc.constantFrom(...paths);
  const options: fc.Arbitrary<Mutation>[] = [
    path.map((p) => ({ op: 'drop', path: p })),
    fc.tuple(path, fc.constantFrom(...WRONG_TYPES)).map(([p, value]) => ({
      op: 'set',
      path: p,
      value: typeOf(value) === typeOf(getAt(doc, p)) ? (typeof value === 'string' ? 1 : 'text') : value,
      why: 'wrong type',
    })),
    fc
      .tuple(path, fc.constantFrom(...OUT_OF_RANGE))
      .map(([p, value]) => ({ op: 'set', path: p, value, why: 'out of range' })),
    fc
      .tuple(
        fc.constantFrom(...objects),
        fc.constantFrom(...UNKNOWN_KEYS),
        fc.constantFrom<Json>('x', 1, {}, { a: [] }),
      )
      .map(([p, key, value]) => ({ op: 'unknown', path: p, key, value })),
    fc
      .constantFrom<Mutation>({ op: 'set', path: ['kind'], value: 'x', why: 'bad kind' })
      .chain(() =>
        fc
          .constantFrom(...BAD_KINDS)
          .map((value) => ({ op: 'set', path: ['kind'], value, why: 'bad kind' }) as Mutation),
      ),
  ];
  if (strings.length > 0)
    options.push(
      fc.tuple(fc.constantFrom(...strings), fc.constantFrom(...INVALID_NAMES)).map(([p, value]) => ({
        op: 'set',
        path: p,
        value,
        why: 'invalid name',
      })),
    );
  if (arrays.length > 0) options.push(fc.constantFrom(...arrays).map((p) => ({ op: 'duplicate', path: p })));
  return fc.oneof(...options);
}

/** A deep copy in which own `__proto__` keys stay keys. */
export function cloneJson(v: Json): Json {
  if (Array.isArray(v)) return v.map(cloneJson);
  if (v === null || typeof v !== 'object') return v;
  const out: JsonObject = {};
  for (const [k, x] of Object.entries(v)) setOwn(out, k, cloneJson(x));
  return out;
}

export function applyMutation(doc: JsonObject, m: Mutation): JsonObject {
  const out = cloneJson(doc) as JsonObject;
  const parentPath = m.op === 'unknown' || m.op === 'duplicate' ? m.path : m.path.slice(0, -1);
  const target = getAt(out, parentPath);
  if (target === undefined || target === null || typeof target !== 'object') return out;
  const last = m.path[m.path.length - 1];
  switch (m.op) {
    case 'drop':
      if (Array.isArray(target) && typeof last === 'number') target.splice(last, 1);
      else if (!Array.isArray(target) && typeof last === 'string') delete target[last];
      break;
    case 'set':
      if (Array.isArray(target) && typeof last === 'number') target[last] = m.value;
      else if (!Array.isArray(target) && typeof last === 'string') setOwn(target, last, m.value);
      break;
    case 'unknown':
      if (!Array.isArray(target)) setOwn(target, m.key, m.value);
      break;
    case 'duplicate':
      if (Array.isArray(target) && target.length > 0) target.push(cloneJson(target[0] as Json));
      break;
  }
  return out;
}

export interface MutatedManifest {
  original: JsonObject;
  mutations: Mutation[];
  doc: JsonObject;
}

/** A valid manifest with one to three mutations applied. */
export const mutatedManifestArb: fc.Arbitrary<MutatedManifest> = manifestArb.chain((original) =>
  fc.array(mutationArb(original), { minLength: 1, maxLength: 3 }).map((mutations) => ({
    original,
    mutations,
    doc: mutations.reduce(applyMutation, original),
  })),
);
