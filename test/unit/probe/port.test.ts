import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { resolvePort } from '../../../src/probe/port.js';

const ports = [
  { name: 'http', containerPort: 8080 },
  { containerPort: 9090 },
  { name: 'metrics', containerPort: 9100 },
];

describe('resolvePort (spec §3.0)', () => {
  test('§3.0: an integer port is used as is', () => {
    assert.deepEqual(resolvePort(3000, ports), { port: 3000 });
  });

  test('§3.0: a named port resolves to its containerPort', () => {
    assert.deepEqual(resolvePort('http', ports), { port: 8080 });
    assert.deepEqual(resolvePort('metrics', ports), { port: 9100 });
  });

  test('§3.0: an unknown name that is an integer string is parsed ("int stored as string")', () => {
    assert.deepEqual(resolvePort('8081', ports), { port: 8081 });
    assert.deepEqual(resolvePort('+80', ports), { port: 80 });
  });

  test("§3.0: an unknown, non-numeric name gives strconv.Atoi's error text", () => {
    assert.deepEqual(resolvePort('htpp', ports), {
      error: 'strconv.Atoi: parsing "htpp": invalid syntax',
    });
    assert.deepEqual(resolvePort('', ports), { error: 'strconv.Atoi: parsing "": invalid syntax' });
    assert.deepEqual(resolvePort('80 ', ports), {
      error: 'strconv.Atoi: parsing "80 ": invalid syntax',
    });
    assert.deepEqual(resolvePort('99999999999999999999', ports), {
      error: 'strconv.Atoi: parsing "99999999999999999999": value out of range',
    });
  });

  test('§3.0: a resolved port outside 1..65535 gives "invalid port number: <n>"', () => {
    assert.deepEqual(resolvePort(0, ports), { error: 'invalid port number: 0' });
    assert.deepEqual(resolvePort(65536, ports), { error: 'invalid port number: 65536' });
    assert.deepEqual(resolvePort('-1', ports), { error: 'invalid port number: -1' });
    assert.deepEqual(resolvePort('9223372036854775807', ports), {
      error: 'invalid port number: 9223372036854775807',
    });
    assert.deepEqual(resolvePort(65535, ports), { port: 65535 });
    assert.deepEqual(resolvePort(1, []), { port: 1 });
  });

  test('§3.0: a named port whose containerPort is out of range is still rejected', () => {
    assert.deepEqual(resolvePort('bad', [{ name: 'bad', containerPort: 70000 }]), {
      error: 'invalid port number: 70000',
    });
  });
});
