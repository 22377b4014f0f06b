import { isMap, isScalar, isSeq, LineCounter, parseAllDocuments, type Node } from 'yaml';

/** `spec.containers[0].livenessProbe` → `['spec', 'containers', 0, 'livenessProbe']`. */
export function pathSegments(fieldPath: string): (string | number)[] {
  const out: (string | number)[] = [];
  for (const part of fieldPath.split('.')) {
    const m = /^([^[]*)((?:\[\d+\])*)$/.exec(part);
    if (!m) {
      out.push(part);
      continue;
    }
    if (m[1]) out.push(m[1]);
    for (const idx of (m[2] ?? '').matchAll(/\[(\d+)\]/g)) out.push(Number(idx[1]));
  }
  return out;
}

interface ParsedSource {
  roots: Node[];
  lineOf: (offset: number) => number;
}

/**
 * The line of a field in the file it came from. Manifest loading only knows where each object
 * starts; a finding is more useful pointing at the field itself, or, for a defaulted field that is
 * not written in the file, at its nearest written ancestor.
 */
export class SourceLines {
  private readonly parsed = new Map<string, ParsedSource>();

  constructor(private readonly sources: ReadonlyMap<string, string>) {}

  /** The line of `fieldPath` in the object starting at `objectLine` of `file`; objectLine if unknown. */
  lineOf(file: string, objectLine: number, fieldPath: string): number {
    const source = this.parse(file);
    if (!source) return objectLine;
    const root = source.roots
      .flatMap((r) => withListItems(r))
      .find((n) => n.range && source.lineOf(n.range[0]) === objectLine);
    if (!root) return objectLine;
    let node: Node | undefined = root;
    let line = objectLine;
    for (const seg of pathSegments(fieldPath)) {
      if (typeof seg === 'number' && isSeq(node)) {
        node = node.items[seg] as Node | undefined;
        if (!node?.range) break;
        line = source.lineOf(node.range[0]);
      } else if (typeof seg === 'string' && isMap(node)) {
        const pair = node.items.find((p) => isScalar(p.key) && p.key.value === seg);
        if (!pair) break;
        const key = pair.key as Node;
        if (key.range) line = source.lineOf(key.range[0]);
        node = (pair.value ?? undefined) as Node | undefined;
      } else break;
    }
    return line;
  }

  private parse(file: string): ParsedSource | undefined {
    const cached = this.parsed.get(file);
    if (cached) return cached;
    const text = this.sources.get(file);
    if (text === undefined) return undefined;
    const counter = new LineCounter();
    const docs = parseAllDocuments(text, { lineCounter: counter, prettyErrors: false });
    const list = Array.isArray(docs) ? docs : [];
    const roots = list.map((d) => d.contents as Node | null).filter((n): n is Node => n !== null);
    const parsed = { roots, lineOf: (offset: number) => counter.linePos(offset).line };
    this.parsed.set(file, parsed);
    return parsed;
  }
}

/** A `kind: List` document stands for its items (manifest loading numbers each item's line). */
function withListItems(node: Node): Node[] {
  if (!isMap(node)) return [node];
  const items = node.get('items', true);
  if (!isSeq(items)) return [node];
  return [node, ...(items.items as Node[]).flatMap((n) => withListItems(n))];
}
