import { readdir, readFile, stat } from 'node:fs/promises';
import { dirname, extname, isAbsolute, join, resolve as resolvePath } from 'node:path';
import { isMap, isSeq, LineCounter, parseAllDocuments, type Document, type Node } from 'yaml';
import type { KubeObject } from './types.js';
import { admitObject } from './admission.js';
import { formatInvalid } from './field-errors.js';
import {
  describeToJsError,
  MAX_ALIAS_COUNT,
  nestingOverflow,
  structureProblems,
  withLongLiteralsSingleQuoted,
  YAML_OPTIONS,
} from './yaml-text.js';

export { admitObject, type ObjectAdmission } from './admission.js';

export interface LoadedObject {
  object: KubeObject;
  /** Path as the user gave it (or relative to the folder they gave). */
  file: string;
  /** 1-based line where the document starts. */
  line: number;
}

export interface LoadResult {
  objects: LoadedObject[];
  /** Each error prefixed `file:line: ` — e.g. `pods.yaml:14: Pod "web" is invalid: ...`. */
  errors: string[];
  warnings: string[];
}

export interface LoadOptions {
  /** Reads all of standard input for the path `-` (tests pass their own). */
  readStdin?: () => Promise<string>;
}

/** The name `-` is shown with in messages. */
export const STDIN_NAME = '<stdin>';

const MANIFEST_EXTENSIONS = new Set(['.yaml', '.yml', '.json']);

/**
 * The API server takes at most 3 MiB in one request (src/server/http-io.ts MAX_BODY_BYTES), so a
 * bigger object could never be applied: it is refused here, naming the file and line, instead.
 */
export const MAX_OBJECT_BYTES = 3 * 1024 * 1024;

/**
 * Loads files and folders of YAML/JSON, multi-document. Nothing is admitted if errors is non-empty:
 * `objects` is then empty.
 */
/**
 * podvisor runs no images, so a relative `workingDir` in a manifest file means "relative to the
 * file's folder" (stdin: the current directory): it is made absolute here, before the object is
 * sent anywhere, so what is stored is what runs. (A pod created through the API with a relative
 * workingDir is resolved against the node's own working directory instead.)
 */
function anchorWorkingDirs(obj: KubeObject, base: string): void {
  const spec = (obj as { spec?: { containers?: { workingDir?: string }[] } }).spec;
  for (const c of spec?.containers ?? []) {
    if (c.workingDir && !isAbsolute(c.workingDir)) c.workingDir = resolvePath(base, c.workingDir);
  }
}

export async function loadManifests(paths: string[], options: LoadOptions = {}): Promise<LoadResult> {
  const result: LoadResult = { objects: [], errors: [], warnings: [] };
  const sources: { file: string; text: string }[] = [];
  for (const p of paths) {
    if (p === '-') {
      sources.push({ file: STDIN_NAME, text: await (options.readStdin ?? readAllStdin)() });
      continue;
    }
    const files = await expandPath(p, result.errors);
    for (const file of files) {
      try {
        sources.push({ file, text: await readFile(file, 'utf8') });
      } catch (e) {
        result.errors.push(`${file}: ${(e as Error).message}`);
      }
    }
  }
  const seen = new Map<string, string>();
  for (const { file, text } of sources) {
    for (const item of parseManifestText(file, text, result)) {
      const at = `${item.file}:${item.line}`;
      const bytes = Buffer.byteLength(JSON.stringify(item.value));
      if (bytes > MAX_OBJECT_BYTES) {
        const { kind, name } = identityOf(item.value);
        result.errors.push(
          `${at}: ${kind || 'the object'} ${JSON.stringify(name)} is ${(bytes / 1048576).toFixed(1)} MiB as JSON: the API server takes at most ${MAX_OBJECT_BYTES / 1048576} MiB per object; move large data out of the manifest`,
        );
        continue;
      }
      const admitted = admitObject(item.value);
      result.warnings.push(...admitted.warnings.map((w) => `${at}: ${w}`));
      if (admitted.kindError !== undefined) {
        result.errors.push(`${at}: ${admitted.kindError}`);
        continue;
      }
      if (admitted.errors.length > 0 || !admitted.object) {
        const { kind, name } = identityOf(item.value);
        result.errors.push(`${at}: ${formatInvalid(kind, name, admitted.errors)}`);
        continue;
      }
      const obj = admitted.object;
      const key = `${obj.kind}/${obj.metadata.namespace ?? ''}/${obj.metadata.name}`;
      const first = seen.get(key);
      if (first !== undefined) {
        result.errors.push(
          `${at}: ${obj.kind} "${obj.metadata.namespace}/${obj.metadata.name}" is defined twice: first at ${first}`,
        );
        continue;
      }
      seen.set(key, at);
      anchorWorkingDirs(obj, item.file === STDIN_NAME ? process.cwd() : dirname(resolvePath(item.file)));
      result.objects.push({ object: obj, file: item.file, line: item.line });
    }
  }
  if (result.errors.length > 0) result.objects = [];
  return result;
}

function identityOf(value: unknown): { kind: string; name: string } {
  const obj = value as { kind?: unknown; metadata?: { name?: unknown } };
  return {
    kind: typeof obj.kind === 'string' ? obj.kind : '',
    name: typeof obj.metadata?.name === 'string' ? obj.metadata.name : '',
  };
}

async function readAllStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(Buffer.from(chunk as Uint8Array));
  return Buffer.concat(chunks).toString('utf8');
}

/** A file as given, or a folder's manifest files, recursively and in sorted order. */
async function expandPath(p: string, errors: string[]): Promise<string[]> {
  let info;
  try {
    info = await stat(p);
  } catch {
    errors.push(`the path ${JSON.stringify(p)} does not exist`);
    return [];
  }
  if (!info.isDirectory()) return [p];
  const files = await walkFolder(p);
  if (files.length === 0) errors.push(`${p}: no .yaml, .yml or .json files in this folder`);
  return files;
}

/** Hidden entries and node_modules are skipped: they hold tool configuration, not manifests. */
async function walkFolder(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true });
  entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const out: string[] = [];
  for (const entry of entries) {
    if (entry.name.startsWith('.') || entry.name === 'node_modules') continue;
    const full = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...(await walkFolder(full)));
    else if (entry.isFile() && MANIFEST_EXTENSIONS.has(extname(entry.name).toLowerCase())) out.push(full);
  }
  return out;
}

interface ParsedItem {
  file: string;
  line: number;
  value: unknown;
}

/** Splits one file into objects, expanding `kind: List`; problems go to `result.errors`. */
function parseManifestText(file: string, text: string, result: LoadResult): ParsedItem[] {
  const lineCounter = new LineCounter();
  const what = extname(file).toLowerCase() === '.json' ? 'JSON' : 'YAML';
  const tooDeep = nestingOverflow(text);
  if (tooDeep) {
    const line = text.slice(0, tooDeep.offset).split('\n').length;
    result.errors.push(`${file}:${line}: error parsing ${what}: ${tooDeep.message}`);
    return [];
  }
  const docs = parseAllDocuments(withLongLiteralsSingleQuoted(text), { ...YAML_OPTIONS, lineCounter }) as
    Document[] | { empty: true };
  if (!Array.isArray(docs)) return [];
  const lineOf = (offset: number): number => lineCounter.linePos(offset).line;
  const items: ParsedItem[] = [];
  for (const doc of docs) {
    const contents = doc.contents as Node | null;
    const line = lineOf(contents?.range?.[0] ?? doc.range?.[0] ?? 0);
    if (doc.errors.length > 0) {
      for (const e of doc.errors)
        result.errors.push(`${file}:${lineOf(e.pos[0])}: error parsing ${what}: ${e.message}`);
      continue;
    }
    for (const w of doc.warnings) result.warnings.push(`${file}:${lineOf(w.pos[0])}: ${what}: ${w.message}`);
    const problems = structureProblems(contents);
    if (problems.length > 0) {
      for (const p of problems)
        result.errors.push(`${file}:${lineOf(p.offset)}: error parsing ${what}: ${p.message}`);
      continue;
    }
    let value: unknown;
    try {
      value = doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT });
    } catch (e) {
      result.errors.push(`${file}:${line}: error parsing ${what}: ${describeToJsError(e)}`);
      continue;
    }
    if (value === null || value === undefined) continue;
    items.push(...expandList(file, line, value, contents, lineOf, result));
  }
  return items;
}

/** `kind: List` (or any `*List` with `items`) stands for its items, each with its own line. */
function expandList(
  file: string,
  line: number,
  value: unknown,
  node: Node | null,
  lineOf: (offset: number) => number,
  result: LoadResult,
): ParsedItem[] {
  const kind = (value as { kind?: unknown }).kind;
  if (typeof kind !== 'string' || !kind.endsWith('List') || Array.isArray(value))
    return [{ file, line, value }];
  const items = (value as { items?: unknown }).items;
  if (items === undefined || items === null) return [];
  if (!Array.isArray(items)) {
    result.errors.push(`${file}:${line}: ${kind}: items must be a list of objects`);
    return [];
  }
  const itemsNode = isMap(node) ? node.get('items', true) : undefined;
  const itemNodes = isSeq(itemsNode) ? (itemsNode.items as Node[]) : [];
  return items.flatMap((item: unknown, i) => {
    const start = itemNodes[i]?.range?.[0];
    const itemLine = start === undefined ? line : lineOf(start);
    return item === null ? [] : expandList(file, itemLine, item, itemNodes[i] ?? null, lineOf, result);
  });
}
