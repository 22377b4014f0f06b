/**
 * grpc.health.v1 messages, encoded by hand: HealthCheckRequest is `string service = 1` and
 * HealthCheckResponse is `ServingStatus status = 1`. Two one-field messages do not justify
 * loading a .proto file through protobufjs on every start (grpc-health-check's client does).
 */

export const HEALTH_CHECK_PATH = '/grpc.health.v1.Health/Check';

/** HealthCheckResponse.ServingStatus names by number, as Go's enum String() prints them. */
export const SERVING_STATUS_NAMES: Readonly<Record<number, string>> = {
  0: 'UNKNOWN',
  1: 'SERVING',
  2: 'NOT_SERVING',
  3: 'SERVICE_UNKNOWN',
};

export const SERVING_STATUS_NUMBERS: Readonly<Record<string, number>> = {
  UNKNOWN: 0,
  SERVING: 1,
  NOT_SERVING: 2,
  SERVICE_UNKNOWN: 3,
};

/** Go's String() for an enum value: its name, or the bare number when unknown. */
export function servingStatusName(status: number): string {
  return SERVING_STATUS_NAMES[status] ?? String(status);
}

export function encodeHealthCheckRequest(service: string): Buffer {
  return encodeStringField(service);
}

export function decodeHealthCheckRequest(buf: Buffer): { service: string } {
  let service = '';
  forEachField(buf, (field, wire, value) => {
    if (field === 1 && wire === 2 && Buffer.isBuffer(value)) service = value.toString('utf8');
  });
  return { service };
}

export function encodeHealthCheckResponse(status: number): Buffer {
  if (status === 0) return Buffer.alloc(0); // proto3 leaves defaults out
  return Buffer.concat([Buffer.from([0x08]), encodeVarint(BigInt.asUintN(64, BigInt(status)))]);
}

export function decodeHealthCheckResponse(buf: Buffer): { status: number } {
  let status = 0;
  forEachField(buf, (field, wire, value) => {
    if (field === 1 && wire === 0 && typeof value === 'bigint') {
      status = Number(BigInt.asIntN(32, value)); // enums are int32 on the wire
    }
  });
  return { status };
}

function encodeStringField(s: string): Buffer {
  if (s === '') return Buffer.alloc(0);
  const bytes = Buffer.from(s, 'utf8');
  return Buffer.concat([Buffer.from([0x0a]), encodeVarint(BigInt(bytes.length)), bytes]);
}

function encodeVarint(v: bigint): Buffer {
  const out: number[] = [];
  let rest = v;
  do {
    let byte = Number(rest & 0x7fn);
    rest >>= 7n;
    if (rest > 0n) byte |= 0x80;
    out.push(byte);
  } while (rest > 0n);
  return Buffer.from(out);
}

type FieldValue = bigint | Buffer;

/** Walks a protobuf message, skipping fields it does not know; throws on malformed input. */
function forEachField(buf: Buffer, visit: (field: number, wire: number, value: FieldValue) => void): void {
  let pos = 0;
  const readVarint = (): bigint => {
    let result = 0n;
    let shift = 0n;
    for (;;) {
      if (pos >= buf.length || shift > 63n) throw new Error('malformed protobuf varint');
      const byte = buf[pos++] as number;
      result |= BigInt(byte & 0x7f) << shift;
      if ((byte & 0x80) === 0) return result;
      shift += 7n;
    }
  };
  const take = (n: number): Buffer => {
    if (pos + n > buf.length) throw new Error('truncated protobuf field');
    const out = buf.subarray(pos, pos + n);
    pos += n;
    return out;
  };
  while (pos < buf.length) {
    const key = readVarint();
    const field = Number(key >> 3n);
    const wire = Number(key & 7n);
    if (wire === 0) visit(field, wire, readVarint());
    else if (wire === 1) visit(field, wire, take(8));
    else if (wire === 2) visit(field, wire, take(Number(readVarint())));
    else if (wire === 5) visit(field, wire, take(4));
    else throw new Error(`unsupported protobuf wire type ${wire}`);
  }
}
