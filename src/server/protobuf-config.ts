import { ApiError } from './status.js';

/**
 * Kubernetes' protobuf encoding (apimachinery runtime/serializer/protobuf) for the kinds typed
 * kubectl commands send that way: `kubectl create configmap` and `kubectl create secret` POST
 * `application/vnd.kubernetes.protobuf`. A body is the magic `k8s\0` and a runtime.Unknown whose
 * `raw` is the object's message; field numbers are those of k8s.io/api/core/v1/generated.proto.
 */

const MAGIC = Buffer.from([0x6b, 0x38, 0x73, 0x00]);

type Field = { num: number; wire: number; varint?: bigint; bytes?: Buffer };

function readFields(buf: Buffer): Field[] {
  const fields: Field[] = [];
  let pos = 0;
  const varint = (): bigint => {
    let result = 0n;
    let shift = 0n;
    for (;;) {
      if (pos >= buf.length || shift > 63n) throw new Error('malformed protobuf varint');
      const b = buf[pos++] ?? 0;
      result |= BigInt(b & 0x7f) << shift;
      if ((b & 0x80) === 0) return result;
      shift += 7n;
    }
  };
  while (pos < buf.length) {
    const key = varint();
    const num = Number(key >> 3n);
    const wire = Number(key & 7n);
    if (wire === 0) fields.push({ num, wire, varint: varint() });
    else if (wire === 2) {
      const n = Number(varint());
      if (pos + n > buf.length) throw new Error('truncated protobuf field');
      fields.push({ num, wire, bytes: buf.subarray(pos, pos + n) });
      pos += n;
    } else if (wire === 1) pos += 8;
    else if (wire === 5) pos += 4;
    else throw new Error(`unsupported protobuf wire type ${wire}`);
  }
  return fields;
}

const str = (f: Field): string => f.bytes?.toString('utf8') ?? '';

function mapEntry(f: Field, asBase64: boolean): [string, string] {
  let key = '';
  let value = '';
  for (const e of readFields(f.bytes ?? Buffer.alloc(0))) {
    if (e.num === 1) key = str(e);
    else if (e.num === 2) value = asBase64 ? (e.bytes ?? Buffer.alloc(0)).toString('base64') : str(e);
  }
  return [key, value];
}

function addTo(obj: Record<string, unknown>, name: string, entry: [string, string]): void {
  const map = (obj[name] ??= {}) as Record<string, string>;
  map[entry[0]] = entry[1];
}

/** ObjectMeta as far as a create carries it. */
function objectMeta(buf: Buffer): Record<string, unknown> {
  const meta: Record<string, unknown> = {};
  for (const f of readFields(buf)) {
    if (f.num === 1) meta.name = str(f);
    else if (f.num === 2) meta.generateName = str(f);
    else if (f.num === 3) meta.namespace = str(f);
    else if (f.num === 6) meta.resourceVersion = str(f);
    else if (f.num === 11) addTo(meta, 'labels', mapEntry(f, false));
    else if (f.num === 12) addTo(meta, 'annotations', mapEntry(f, false));
    else if (f.num === 14) ((meta.finalizers ??= []) as string[]).push(str(f));
  }
  for (const k of ['name', 'generateName', 'namespace', 'resourceVersion'])
    if (meta[k] === '') delete meta[k];
  return meta;
}

function configMap(raw: Buffer): Record<string, unknown> {
  const obj: Record<string, unknown> = { apiVersion: 'v1', kind: 'ConfigMap' };
  for (const f of readFields(raw)) {
    if (f.num === 1) obj.metadata = objectMeta(f.bytes ?? Buffer.alloc(0));
    else if (f.num === 2) addTo(obj, 'data', mapEntry(f, false));
    else if (f.num === 3) addTo(obj, 'binaryData', mapEntry(f, true));
    else if (f.num === 4) obj.immutable = f.varint === 1n;
  }
  return obj;
}

function secret(raw: Buffer): Record<string, unknown> {
  const obj: Record<string, unknown> = { apiVersion: 'v1', kind: 'Secret' };
  for (const f of readFields(raw)) {
    if (f.num === 1) obj.metadata = objectMeta(f.bytes ?? Buffer.alloc(0));
    else if (f.num === 2) addTo(obj, 'data', mapEntry(f, true));
    else if (f.num === 3) obj.type = str(f);
    else if (f.num === 4) addTo(obj, 'stringData', mapEntry(f, false));
    else if (f.num === 5) obj.immutable = f.varint === 1n;
  }
  return obj;
}

const DECODERS: Readonly<Record<string, (raw: Buffer) => Record<string, unknown>>> = {
  'v1/ConfigMap': configMap,
  'v1/Secret': secret,
};

/**
 * The object in a protobuf request body, or undefined when it is not one of the kinds decoded
 * here (the caller then answers 415, as for any unknown media type).
 */
export function decodeKubeProtobuf(body: Buffer): Record<string, unknown> | undefined {
  if (body.length < MAGIC.length || !body.subarray(0, MAGIC.length).equals(MAGIC)) return undefined;
  let apiVersion = '';
  let kind = '';
  let raw: Buffer = Buffer.alloc(0);
  try {
    for (const f of readFields(body.subarray(MAGIC.length))) {
      if (f.num === 1) {
        for (const t of readFields(f.bytes ?? Buffer.alloc(0))) {
          if (t.num === 1) apiVersion = str(t);
          else if (t.num === 2) kind = str(t);
        }
      } else if (f.num === 2) raw = f.bytes ?? Buffer.alloc(0);
    }
    const decode = DECODERS[`${apiVersion}/${kind}`];
    return decode ? decode(raw) : undefined;
  } catch (err) {
    throw new ApiError(400, 'BadRequest', `unable to decode the protobuf body: ${(err as Error).message}`);
  }
}
