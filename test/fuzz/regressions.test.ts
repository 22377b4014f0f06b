import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { admitObject } from '../../src/api/admission.js';
import { formatInvalid, type FieldError } from '../../src/api/field-errors.js';
import {
  exceedsNestingDepth,
  MAX_NESTING_DEPTH,
  nestingOverflow,
  parseYamlValue,
} from '../../src/api/yaml-text.js';

/**
 * The crashes and wrong messages the manifest fuzzer found, each pinned by its shrunk case
 * (spec §1.2: refusals are field errors in Kubernetes' format).
 */

function message(doc: Record<string, unknown>): string {
  const adm = admitObject(doc);
  if (adm.kindError !== undefined) return adm.kindError;
  const name = (doc.metadata as { name?: string } | undefined)?.name ?? '';
  return formatInvalid(String(doc.kind), name, adm.errors);
}

const service = (spec: unknown, metadata: unknown = { name: 'web' }): Record<string, unknown> => ({
  apiVersion: 'v1',
  kind: 'Service',
  metadata,
  spec,
});

describe('manifest fuzzing regressions', () => {
  test('a Service with a wrong type anywhere is a field error, not a TypeError (spec §1.2)', () => {
    assert.equal(
      message(service('text')),
      'Service "web" is invalid: spec: Invalid value: "text": must be an object',
    );
    assert.equal(
      message(service({ ports: [8080] })),
      'Service "web" is invalid: spec.ports[0]: Invalid value: 8080: must be an object',
    );
    assert.equal(
      message(service({ ports: [{ port: 80 }] }, true)),
      'Service "" is invalid: metadata: Invalid value: true: must be an object',
    );
    assert.equal(
      message(service({ ports: [{ port: 80 }] }, { name: 'web', labels: { app: { a: 1 } } })),
      'Service "web" is invalid: metadata.labels[app]: Invalid value: {"a":1}: must be a string',
    );
    assert.equal(
      message(service({ ports: [{ port: 80 }] }, { name: 0.5 })),
      'Service "" is invalid: metadata.name: Invalid value: 0.5: must be a string',
    );
  });

  test('unknown fields of a Service or a Deployment are reported and dropped, as for a Pod', () => {
    const svc = admitObject({ ...service({ ports: [{ port: 80, bogus: 1 }] }), extra: true });
    assert.deepEqual(svc.unknownFields, ['spec.ports[0].bogus', 'extra']);
    assert.deepEqual(svc.warnings.slice(0, 2), [
      'unknown field "spec.ports[0].bogus"',
      'unknown field "extra"',
    ]);
    assert.equal((svc.object as { extra?: unknown }).extra, undefined);
    const deploy = admitObject({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'web' },
      spec: {
        replicas: 'two',
        selector: { matchLabels: { app: 'web' } },
        template: {
          metadata: { labels: { app: 'web' } },
          spec: { containers: [{ name: 'a', command: ['x'] }] },
        },
      },
    });
    assert.deepEqual(deploy.errors, [
      { type: 'Invalid value', field: 'spec.replicas', value: 'two', detail: 'must be an integer' },
    ]);
  });

  test('a kind named like an Object.prototype member is an unsupported kind, not "function toString()"', () => {
    for (const kind of ['toString', 'constructor', 'hasOwnProperty', '__proto__']) {
      const text = message({ apiVersion: 'v1', kind, metadata: { name: 'x' } });
      assert.match(
        text,
        new RegExp(`^kind "${kind}" \\(v1\\) is not supported yet: podvisor runs Pod, Service`),
      );
    }
  });

  test('a label key `__proto__` is validated, not swallowed by the prototype setter', () => {
    const labels = JSON.parse('{"__proto__": "x"}') as Record<string, string>;
    const text = message({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'p', labels },
      spec: { containers: [{ name: 'a', command: ['x'] }] },
    });
    assert.match(
      text,
      /^Pod "p" is invalid: metadata.labels: Invalid value: "__proto__": name part must consist of/,
    );
  });

  test('formatInvalid names an object whose name is not a string as ""', () => {
    const errors: FieldError[] = [
      { type: 'Invalid value', field: 'metadata.name', value: 1, detail: 'must be a string' },
    ];
    assert.equal(
      formatInvalid('Pod', 1 as unknown as string, errors),
      'Pod "" is invalid: metadata.name: Invalid value: 1: must be a string',
    );
  });

  test(`nesting past ${MAX_NESTING_DEPTH} levels is found without recursion, in text and in parsed JSON`, () => {
    const deep = JSON.parse(`${'['.repeat(100_000)}${']'.repeat(100_000)}`) as unknown;
    assert.equal(exceedsNestingDepth(deep), true);
    assert.equal(
      exceedsNestingDepth(JSON.parse(`${'['.repeat(MAX_NESTING_DEPTH)}${']'.repeat(MAX_NESTING_DEPTH)}`)),
      false,
    );
    assert.deepEqual(nestingOverflow(`a:\n${'- '.repeat(600)}x`)?.offset, 3 + MAX_NESTING_DEPTH);
    assert.equal(
      nestingOverflow('spec:\n  containers:\n  - name: a\n    command: ["sh", "-c", "[ -f x ]"]\n'),
      undefined,
    );
    assert.throws(
      () => parseYamlValue(`a: ${'{b: '.repeat(1000)}1${'}'.repeat(1000)}`),
      /^Error: line 1: nested more than 500 levels deep/,
    );
    assert.throws(() => parseYamlValue('a: 1\na: 2\n'), /^Error: line 2: mapping key "a" already defined/);
  });
});
