import {
  isAlias,
  isMap,
  isNode,
  isScalar,
  isSeq,
  parseAllDocuments,
  Parser,
  type Document,
  type DocumentOptions,
  type Node,
  type ParseOptions,
  type ScalarTag,
  type SchemaOptions,
  type Tags,
} from 'yaml';

/**
 * YAML as Kubernetes reads it, hardened for untrusted text (manifest files and API request
 * bodies): bounded alias expansion, bounded nesting, and a linear-time duplicate-key check.
 */

/** A billion-laughs document expands aliases without bound; yaml stops past this many. */
export const MAX_ALIAS_COUNT = 100;

/**
 * Kubernetes objects nest a few dozen levels at most. The yaml library composes recursively and
 * runs out of stack near 800 levels (reported as an error, but a stack overflow inside V8's regexp
 * compiler has aborted the whole process), so text nesting deeper than this is refused before
 * the parser sees it, and the parsed tree is checked again exactly.
 */
export const MAX_NESTING_DEPTH = 500;

export const NESTING_MESSAGE = `nested more than ${MAX_NESTING_DEPTH} levels deep: no Kubernetes object is; check what generated this document`;

/** The yaml library's YAML 1.1 float, which also takes `.` and `._` (so `workingDir: .` became NaN). */
const LOOSE_FLOAT = /^[-+]?(?:[0-9][0-9_]*)?\.[0-9_]*$/;
/** go-yaml v2's float (resolve.go yamlStyleFloat): at least one digit. */
const GO_FLOAT = /^[-+]?(?:\.[0-9][0-9_]*|[0-9][0-9_]*\.[0-9_]*)$/;

/**
 * Kubernetes reads YAML the way go-yaml v2 does (YAML 1.1: `yes` is true, `0644` is octal), but
 * without sexagesimal numbers or timestamps, which sigs.k8s.io/yaml never produces for a Pod.
 * yaml's own duplicate-key check compares each key with every earlier one (100,000 keys took
 * minutes), so it is off and `structureProblems` does it in linear time.
 */
export const YAML_OPTIONS: ParseOptions & DocumentOptions & SchemaOptions = {
  version: '1.1',
  prettyErrors: false,
  uniqueKeys: false,
  customTags: (tags: Tags) =>
    tags
      .filter(
        (t) => typeof t === 'string' || (t.format !== 'TIME' && t.tag !== 'tag:yaml.org,2002:timestamp'),
      )
      .map(goFloat),
};

function goFloat(t: Tags[number]): Tags[number] {
  if (typeof t === 'string' || t.test?.source !== LOOSE_FLOAT.source) return t;
  const strict: ScalarTag = { ...(t as ScalarTag), test: GO_FLOAT };
  return strict;
}

export interface StructureProblem {
  /** Offset into the text of the node at fault. */
  offset: number;
  message: string;
}

/**
 * Duplicate keys (as go-yaml: `mapping key "name" already defined`) and nesting deeper than
 * MAX_NESTING_DEPTH, found by an iterative walk so a hostile depth cannot overflow the stack.
 * Stops at the first nesting problem: everything below it is the same problem.
 */
export function structureProblems(root: Node | null): StructureProblem[] {
  const problems: StructureProblem[] = [];
  const stack: [Node, number][] = root ? [[root, 1]] : [];
  while (stack.length > 0) {
    const [node, depth] = stack.pop() as [Node, number];
    if (depth > MAX_NESTING_DEPTH) {
      problems.push({
        offset: node.range?.[0] ?? 0,
        message: NESTING_MESSAGE,
      });
      return problems;
    }
    if (isMap(node)) {
      const seen = new Set<string>();
      for (const pair of node.items) {
        const key = pair.key;
        // `<<` merge keys may repeat (YAML 1.1 merge); other scalar keys may not.
        if (isScalar(key) && key.value !== '<<') {
          const name = String(key.value);
          if (seen.has(name))
            problems.push({
              offset: key.range?.[0] ?? 0,
              message: `mapping key ${JSON.stringify(name)} already defined: each key may appear once in a mapping`,
            });
          seen.add(name);
        } else if (isNode(key) && !isAlias(key)) stack.push([key, depth + 1]);
        if (isNode(pair.value) && !isAlias(pair.value)) stack.push([pair.value, depth + 1]);
      }
    } else if (isSeq(node)) {
      for (const item of node.items) if (isNode(item) && !isAlias(item)) stack.push([item, depth + 1]);
    }
  }
  return problems;
}

/**
 * A linear scan that over-estimates how deep the text nests: indentation plus leading `- ` and
 * `? ` indicators (block collections) plus open brackets (flow collections, counted even inside
 * quotes, which no real manifest holds hundreds of). The offset where the estimate first passes
 * MAX_NESTING_DEPTH, or undefined.
 */
export function nestingOverflow(text: string): StructureProblem | undefined {
  let flow = 0;
  let lineStart = true;
  let block = 0;
  for (let i = 0; i < text.length; i++) {
    const ch = text.charCodeAt(i);
    if (ch === 10) {
      lineStart = true;
      block = 0;
      continue;
    }
    if (lineStart) {
      // Spaces, and `-`/`?` followed by a space, open a block level each at most.
      if (ch === 32) block++;
      else if ((ch === 45 || ch === 63) && text.charCodeAt(i + 1) === 32) block++;
      else lineStart = false;
    }
    if (ch === 91 || ch === 123) flow++;
    else if ((ch === 93 || ch === 125) && flow > 0) flow--;
    if (block + flow > MAX_NESTING_DEPTH) return { offset: i, message: NESTING_MESSAGE };
  }
  return undefined;
}

/**
 * Whether a parsed value (JSON.parse, which does not recurse) nests deeper than MAX_NESTING_DEPTH;
 * checked without recursion, before anything recursive (structuredClone, JSON.stringify) meets it.
 */
export function exceedsNestingDepth(value: unknown): boolean {
  const stack: [unknown, number][] = [[value, 1]];
  while (stack.length > 0) {
    const [v, depth] = stack.pop() as [unknown, number];
    if (v === null || typeof v !== 'object') continue;
    if (depth > MAX_NESTING_DEPTH) return true;
    for (const child of Array.isArray(v) ? v : Object.values(v)) stack.push([child, depth + 1]);
  }
  return false;
}

/** yaml's alias-limit error, said so that a user knows what was refused and why. */
export function describeToJsError(err: unknown): string {
  const message = err instanceof Error ? err.message : String(err);
  if (/alias count/i.test(message))
    return `too many aliases (more than ${MAX_ALIAS_COUNT} expansions): a document that multiplies itself through aliases ("billion laughs") is refused`;
  return message;
}

/** Shorter double-quoted scalars cost nothing worth avoiding. */
const LONG_SCALAR = 4096;

/**
 * Whether two neighbouring `"` enclose a long run without escapes, single quotes or line breaks:
 * the only way such a scalar can look, since an unescaped `"` would end it. Linear time.
 */
function hasLongLiteralRun(text: string): boolean {
  let open = text.indexOf('"');
  while (open >= 0) {
    const close = text.indexOf('"', open + 1);
    if (close < 0) return false;
    if (close - open >= LONG_SCALAR - 1 && !/[\\'\r\n]/.test(text.slice(open + 1, close))) return true;
    open = close;
  }
  return false;
}

/**
 * The yaml library builds a double-quoted scalar one character at a time: a 10 MB one took 1 s
 * here, nearly all of it garbage collection, and 16 s on a loaded CI machine; a single-quoted one
 * is sliced (34 ms). A double-quoted scalar without escapes, single quotes or line breaks means
 * the same in single quotes, so a long one has its two quotes swapped. The text keeps its length,
 * so every offset and line number in error messages stays right. Call after nestingOverflow (the
 * walk is recursive).
 */
export function withLongLiteralsSingleQuoted(text: string): string {
  // The parser pass below costs as much as the parse itself (1 s for 100k keys): skip it unless
  // the text holds a long enough run that could be such a scalar (a linear scan).
  if (text.length < LONG_SCALAR || !hasLongLiteralRun(text)) return text;
  const quotes: number[] = [];
  const visit = (token: unknown): void => {
    if (Array.isArray(token)) {
      for (const t of token) visit(t);
      return;
    }
    if (typeof token !== 'object' || token === null) return;
    const t = token as { type?: unknown; offset?: unknown; source?: unknown };
    if (t.type === 'double-quoted-scalar') {
      const src = t.source;
      if (
        typeof t.offset === 'number' &&
        typeof src === 'string' &&
        src.length >= LONG_SCALAR &&
        src.endsWith('"') &&
        !/[\\'\r\n]/.test(src.slice(1, -1))
      )
        quotes.push(t.offset, t.offset + src.length - 1);
      return;
    }
    for (const value of Object.values(token)) visit(value);
  };
  for (const token of new Parser().parse(text)) visit(token);
  if (quotes.length === 0) return text;
  let out = '';
  let from = 0;
  for (const at of quotes) {
    out += `${text.slice(from, at)}'`;
    from = at + 1;
  }
  return out + text.slice(from);
}

/**
 * One YAML document (an API request body) to a value, with the same rules as manifest files.
 * Throws an Error whose message says what is wrong and where (line).
 */
export function parseYamlValue(text: string): unknown {
  const lineOf = (offset: number): number => text.slice(0, offset).split('\n').length;
  const tooDeep = nestingOverflow(text);
  if (tooDeep) throw new Error(`line ${lineOf(tooDeep.offset)}: ${tooDeep.message}`);
  const docs = parseAllDocuments(withLongLiteralsSingleQuoted(text), YAML_OPTIONS) as
    Document[] | { empty: true };
  if (!Array.isArray(docs) || docs.length === 0) return null;
  if (docs.length > 1) throw new Error('expected one YAML document, found several (separated by ---)');
  const doc = docs[0] as Document;
  const first = doc.errors[0];
  if (first) throw new Error(`line ${lineOf(first.pos[0])}: ${first.message}`);
  const problem = structureProblems(doc.contents as Node | null)[0];
  if (problem) throw new Error(`line ${lineOf(problem.offset)}: ${problem.message}`);
  try {
    return doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT }) as unknown;
  } catch (err) {
    throw new Error(describeToJsError(err));
  }
}
