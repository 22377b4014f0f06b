import { clone, isJsonObject, jsonEqual, PatchError, type Json } from './json-value.js';

/**
 * JSON patch (RFC 6902; `application/json-patch+json`, `kubectl patch --type=json`). The error
 * texts are those of the library the apiserver uses (evanphx/json-patch v4): a malformed patch is
 * a 400, an operation that does not apply (a failed `test` included) a 422.
 */

interface Operation {
  op: string;
  path: string;
  from?: string;
  value?: Json;
  hasValue: boolean;
}

function decodeOperations(patch: unknown): Operation[] {
  if (!Array.isArray(patch)) {
    throw new PatchError('json: cannot unmarshal object into Go value of type jsonpatch.Patch', 'BadRequest');
  }
  return patch.map((raw: unknown) => {
    if (!isJsonObject(raw)) throw new PatchError('json: cannot unmarshal operation: not an object');
    const op = typeof raw.op === 'string' ? raw.op : '';
    const path = raw.path;
    if (typeof path !== 'string') throw new PatchError(`operation ${JSON.stringify(raw)} has no "path"`);
    const o: Operation = { op, path, hasValue: 'value' in raw };
    if ('value' in raw) o.value = raw.value as Json;
    if (typeof raw.from === 'string') o.from = raw.from;
    return o;
  });
}

/** RFC 6901 pointer → unescaped tokens ("" is the whole document). */
function tokens(pointer: string): string[] {
  if (pointer === '') return [];
  if (!pointer.startsWith('/')) throw new PatchError(`invalid JSON pointer: ${JSON.stringify(pointer)}`);
  return pointer
    .slice(1)
    .split('/')
    .map((t) => t.replace(/~1/g, '/').replace(/~0/g, '~'));
}

type Container = Json[] | Record<string, Json>;

/** The parent container of the pointer's last token, or undefined when the path does not exist. */
function parentOf(doc: Json, pointer: string): { parent: Container; key: string } | undefined {
  const toks = tokens(pointer);
  const key = toks.pop();
  if (key === undefined) return undefined;
  let cur: Json = doc;
  for (const t of toks) {
    if (Array.isArray(cur)) {
      const i = arrayIndex(t, cur.length - 1);
      if (i === undefined) return undefined;
      cur = cur[i] as Json;
    } else if (isJsonObject(cur) && Object.prototype.hasOwnProperty.call(cur, t)) {
      cur = cur[t] as Json;
    } else return undefined;
  }
  return Array.isArray(cur) || isJsonObject(cur) ? { parent: cur, key } : undefined;
}

function arrayIndex(token: string, max: number): number | undefined {
  if (!/^(0|[1-9][0-9]*)$/.test(token)) return undefined;
  const i = Number(token);
  return i <= max ? i : undefined;
}

function getAt(doc: Json, pointer: string): Json | undefined {
  if (pointer === '') return doc;
  const p = parentOf(doc, pointer);
  if (!p) return undefined;
  if (Array.isArray(p.parent)) {
    const i = arrayIndex(p.key, p.parent.length - 1);
    return i === undefined ? undefined : p.parent[i];
  }
  return Object.prototype.hasOwnProperty.call(p.parent, p.key) ? p.parent[p.key] : undefined;
}

function add(doc: Json, pointer: string, value: Json): Json {
  if (pointer === '') return value;
  const p = parentOf(doc, pointer);
  if (!p)
    throw new PatchError(
      `add operation does not apply: doc is missing path: "${pointer}": missing value`,
      'Invalid',
    );
  if (Array.isArray(p.parent)) {
    const i = p.key === '-' ? p.parent.length : arrayIndex(p.key, p.parent.length);
    if (i === undefined)
      throw new PatchError(`Unable to access invalid index: ${p.key}: invalid index referenced`, 'Invalid');
    p.parent.splice(i, 0, value);
  } else p.parent[p.key] = value;
  return doc;
}

function remove(doc: Json, pointer: string): Json {
  const p = parentOf(doc, pointer);
  if (p && Array.isArray(p.parent)) {
    const i = arrayIndex(p.key, p.parent.length - 1);
    if (i !== undefined) {
      p.parent.splice(i, 1);
      return doc;
    }
  } else if (p && Object.prototype.hasOwnProperty.call(p.parent, p.key)) {
    delete (p.parent as Record<string, Json>)[p.key];
    return doc;
  }
  const key = tokens(pointer).pop() ?? '';
  throw new PatchError(`Unable to remove nonexistent key: ${key}: missing value`, 'Invalid');
}

function requireValue(o: Operation): Json {
  if (!o.hasValue) throw new PatchError(`${o.op} operation has no "value"`, 'BadRequest');
  return o.value as Json;
}

export function applyJsonPatch(document: Json, patch: unknown): Json {
  let doc = clone(document);
  for (const o of decodeOperations(patch)) {
    switch (o.op) {
      case 'add':
        doc = add(doc, o.path, clone(requireValue(o)));
        break;
      case 'remove':
        doc = remove(doc, o.path);
        break;
      case 'replace': {
        const value = clone(requireValue(o));
        if (getAt(doc, o.path) === undefined) {
          throw new PatchError(
            `replace operation does not apply: doc is missing key: ${o.path}: missing value`,
            'Invalid',
          );
        }
        doc = o.path === '' ? value : add(remove(doc, o.path), o.path, value);
        break;
      }
      case 'move':
      case 'copy': {
        const from = o.from;
        if (from === undefined) throw new PatchError(`${o.op} operation has no "from"`);
        const value = getAt(doc, from);
        if (value === undefined) {
          throw new PatchError(
            `${o.op} operation does not apply: doc is missing from path: ${from}: missing value`,
            'Invalid',
          );
        }
        if (o.op === 'move') doc = remove(doc, from);
        doc = add(doc, o.path, clone(value));
        break;
      }
      case 'test': {
        const expected = requireValue(o);
        const actual = getAt(doc, o.path);
        if (!jsonEqual(actual ?? null, expected)) {
          throw new PatchError(`testing value ${o.path} failed: test failed`, 'Invalid');
        }
        break;
      }
      default:
        throw new PatchError(`Unexpected kind: ${o.op}`, 'BadRequest');
    }
  }
  return doc;
}
