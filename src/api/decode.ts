import { invalid, type FieldError } from './field-errors.js';
import { OBJECT_SCHEMA } from './object-schema.js';
import { POD_SCHEMA } from './pod-schema.js';

/**
 * Turns untrusted JSON into a well-typed object the way the API server's decoder does: unknown
 * fields are dropped (and reported, as Kubernetes' field validation warns
 * `unknown field "spec.containers[0].livnessProbe"`), `null` means absent, and a value of the
 * wrong type is an error instead of something that crashes later layers.
 */
export interface DecodeResult {
  value: unknown;
  /** Paths of fields that are not in the schema, e.g. `spec.containers[0].livnessProbe`. */
  unknownFields: string[];
  errors: FieldError[];
}

type Fields = ReadonlyMap<string, string>;

let parsedSchema: Map<string, Fields> | undefined;

function schema(): Map<string, Fields> {
  if (!parsedSchema) {
    parsedSchema = new Map();
    for (const [typeName, spec] of [...Object.entries(POD_SCHEMA), ...Object.entries(OBJECT_SCHEMA)]) {
      const fields = new Map<string, string>();
      for (const entry of spec.split(' ')) {
        if (entry === '') continue;
        const colon = entry.indexOf(':');
        fields.set(entry.slice(0, colon), entry.slice(colon + 1));
      }
      parsedSchema.set(typeName, fields);
    }
  }
  return parsedSchema;
}

/** Decodes `input` as the schema type `typeName` (e.g. `Pod`); the root path is empty. */
export function decodeAs(typeName: string, input: unknown): DecodeResult {
  const ctx: DecodeResult = { value: undefined, unknownFields: [], errors: [] };
  ctx.value = decodeValue(typeName, input, '', ctx);
  return ctx;
}

/** Field names of a schema type, for callers that look at what a user set. */
export function schemaFields(typeName: string): string[] {
  return [...(schema().get(typeName)?.keys() ?? [])];
}

function child(path: string, name: string): string {
  return path === '' ? name : `${path}.${name}`;
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function decodeValue(code: string, input: unknown, path: string, ctx: DecodeResult): unknown {
  if (code.endsWith('[]')) {
    if (!Array.isArray(input)) return typeError(path, input, 'must be a list', ctx);
    const inner = code.slice(0, -2);
    return input.map((item, i) => decodeValue(inner, item ?? zeroValue(inner), `${path}[${i}]`, ctx));
  }
  if (code.endsWith('{}')) {
    if (!isPlainObject(input))
      return typeError(path, input, 'must be a map (an object with string keys)', ctx);
    const inner = code.slice(0, -2);
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(input))
      setOwn(out, k, decodeValue(inner, v ?? zeroValue(inner), `${path}[${k}]`, ctx));
    return out;
  }
  switch (code) {
    case '*':
      return input;
    case 's':
      return typeof input === 'string' ? input : typeError(path, input, 'must be a string', ctx);
    case 'i':
      return Number.isSafeInteger(input) ? input : typeError(path, input, 'must be an integer', ctx);
    case 'b':
      return typeof input === 'boolean'
        ? input
        : typeError(path, input, 'must be a boolean (true or false)', ctx);
    case 'q':
      // A quantity may be written as a bare number (`cpu: 1`); the API stores it as a string.
      if (typeof input === 'number' && Number.isFinite(input)) return String(input);
      return typeof input === 'string'
        ? input
        : typeError(path, input, 'must be a quantity such as "500m" or 1', ctx);
    case 'x':
      if (typeof input === 'string' || Number.isSafeInteger(input)) return input;
      return typeError(path, input, 'must be an integer or a string', ctx);
    default:
      return decodeObject(code, input, path, ctx);
  }
}

function decodeObject(typeName: string, input: unknown, path: string, ctx: DecodeResult): unknown {
  const fields = schema().get(typeName);
  if (!fields) throw new Error(`pod schema has no type ${typeName}`);
  if (!isPlainObject(input)) return typeError(path, input, 'must be an object', ctx);
  const out: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(input)) {
    const fieldPath = child(path, name);
    const fieldCode = fields.get(name);
    if (fieldCode === undefined) {
      ctx.unknownFields.push(fieldPath);
      continue;
    }
    if (value === null || value === undefined) continue;
    const decoded = decodeValue(fieldCode, value, fieldPath, ctx);
    if (decoded !== undefined) out[name] = decoded;
  }
  return out;
}

/**
 * A map key is data: `out[k] = v` with the key `__proto__` (which JSON.parse and YAML produce as an
 * ordinary key) would set the prototype instead, silently dropping the entry before validation.
 */
function setOwn(out: Record<string, unknown>, key: string, value: unknown): void {
  Object.defineProperty(out, key, { value, enumerable: true, writable: true, configurable: true });
}

/** What Go's decoder leaves for a JSON null inside a list or map. */
function zeroValue(code: string): unknown {
  switch (code) {
    case 's':
    case 'q':
      return '';
    case 'i':
    case 'x':
      return 0;
    case 'b':
      return false;
    case '*':
      return null;
    default:
      return code.endsWith('[]') ? [] : {};
  }
}

function typeError(path: string, input: unknown, detail: string, ctx: DecodeResult): undefined {
  ctx.errors.push(invalid(path || '<root>', input, detail));
  return undefined;
}
