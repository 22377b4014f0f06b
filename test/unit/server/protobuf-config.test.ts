import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeKubeProtobuf } from '../../../src/server/protobuf-config.js';

/** A minimal protobuf writer: length-delimited fields and varints, as Go's generated marshallers emit. */
function varint(n: number): Buffer {
  const out: number[] = [];
  let v = n;
  while (v > 0x7f) {
    out.push((v & 0x7f) | 0x80);
    v >>>= 7;
  }
  out.push(v);
  return Buffer.from(out);
}
const bytesField = (num: number, value: Buffer | string): Buffer => {
  const b = typeof value === 'string' ? Buffer.from(value) : value;
  return Buffer.concat([varint((num << 3) | 2), varint(b.length), b]);
};
const boolField = (num: number, v: boolean): Buffer => Buffer.concat([varint(num << 3), varint(v ? 1 : 0)]);
const entry = (num: number, k: string, v: Buffer | string): Buffer =>
  bytesField(num, Buffer.concat([bytesField(1, k), bytesField(2, v)]));

function envelope(apiVersion: string, kind: string, raw: Buffer): Buffer {
  const typeMeta = Buffer.concat([bytesField(1, apiVersion), bytesField(2, kind)]);
  return Buffer.concat([Buffer.from([0x6b, 0x38, 0x73, 0x00]), bytesField(1, typeMeta), bytesField(2, raw)]);
}

const meta = (name: string): Buffer =>
  bytesField(1, Buffer.concat([bytesField(1, name), entry(11, 'app', 'web')]));

describe('protobuf request bodies (kubectl create configmap/secret)', () => {
  test('a ConfigMap: metadata, data, binaryData (base64 in JSON) and immutable', () => {
    const raw = Buffer.concat([
      meta('demo'),
      entry(2, 'a', '1'),
      entry(2, 'b', '2'),
      entry(3, 'bin', Buffer.from([0, 1, 2])),
      boolField(4, true),
    ]);
    assert.deepEqual(decodeKubeProtobuf(envelope('v1', 'ConfigMap', raw)), {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'demo', labels: { app: 'web' } },
      data: { a: '1', b: '2' },
      binaryData: { bin: 'AAEC' },
      immutable: true,
    });
  });

  test('a Secret: data bytes become base64, type and stringData kept', () => {
    const raw = Buffer.concat([
      meta('creds'),
      entry(2, 'password', 'hunter2'),
      bytesField(3, 'Opaque'),
      entry(4, 's', 'x'),
    ]);
    assert.deepEqual(decodeKubeProtobuf(envelope('v1', 'Secret', raw)), {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 'creds', labels: { app: 'web' } },
      data: { password: Buffer.from('hunter2').toString('base64') },
      type: 'Opaque',
      stringData: { s: 'x' },
    });
  });

  test('other kinds and non-protobuf bodies are not decoded (the caller answers 415)', () => {
    assert.equal(decodeKubeProtobuf(envelope('v1', 'Pod', Buffer.alloc(0))), undefined);
    assert.equal(decodeKubeProtobuf(Buffer.from('{"kind":"ConfigMap"}')), undefined);
  });

  test('a truncated message is a 400', () => {
    const bad = Buffer.concat([
      envelope('v1', 'ConfigMap', Buffer.alloc(0)),
      Buffer.from([0x12, 0x05, 0x01]),
    ]);
    assert.throws(
      () => decodeKubeProtobuf(bad),
      /unable to decode the protobuf body: truncated protobuf field/,
    );
  });
});
