import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  duplicate,
  forbidden,
  formatFieldError,
  formatInvalid,
  invalid,
  notFound,
  notSupported,
  required,
  tooLong,
} from '../../../src/api/field-errors.js';
import { goQuote } from '../../../src/util/goquote.js';

describe('field error format (spec §1.2, apimachinery field/errors.go)', () => {
  test('§1.2 one error: Pod "<name>" is invalid: <path>: <Type>: <value>: <detail>', () => {
    const e = invalid('spec.containers[0].livenessProbe.successThreshold', 2, 'must be 1');
    assert.equal(
      formatInvalid('Pod', 'web', [e]),
      'Pod "web" is invalid: spec.containers[0].livenessProbe.successThreshold: Invalid value: 2: must be 1',
    );
  });

  test('§1.2 several errors are bracketed and joined by ", "', () => {
    const errs = [
      invalid('spec.containers[0].livenessProbe.successThreshold', 2, 'must be 1'),
      invalid(
        'spec.containers[0].readinessProbe.terminationGracePeriodSeconds',
        10,
        'must not be set for readinessProbes',
      ),
    ];
    assert.equal(
      formatInvalid('Pod', 'web', errs),
      'Pod "web" is invalid: [spec.containers[0].livenessProbe.successThreshold: Invalid value: 2: must be 1, ' +
        'spec.containers[0].readinessProbe.terminationGracePeriodSeconds: Invalid value: 10: must not be set for readinessProbes]',
    );
  });

  test('§1.2 identical messages are printed once, and one remaining message has no brackets', () => {
    const e = required('spec.containers[0].name');
    assert.equal(
      formatInvalid('Pod', 'web', [e, { ...e }]),
      'Pod "web" is invalid: spec.containers[0].name: Required value',
    );
  });

  test('§1.2 numbers and booleans are bare, strings are Go-quoted, nil is null', () => {
    assert.equal(formatFieldError(invalid('a', -1, 'd')), 'a: Invalid value: -1: d');
    assert.equal(formatFieldError(invalid('a', true, 'd')), 'a: Invalid value: true: d');
    assert.equal(formatFieldError(invalid('a', 'x"y', 'd')), 'a: Invalid value: "x\\"y": d');
    assert.equal(formatFieldError(invalid('a', '', 'd')), 'a: Invalid value: "": d');
    assert.equal(formatFieldError(invalid('a', undefined, 'd')), 'a: Invalid value: null: d');
  });

  test('§1.2 Required, Forbidden, Too long and Internal error omit the value', () => {
    assert.equal(formatFieldError(required('spec.containers')), 'spec.containers: Required value');
    assert.equal(
      formatFieldError(required('spec.containers[0].livenessProbe', 'must specify a handler type')),
      'spec.containers[0].livenessProbe: Required value: must specify a handler type',
    );
    assert.equal(
      formatFieldError(
        forbidden('spec.containers[0].restartPolicy', 'may not be set for non-init containers'),
      ),
      'spec.containers[0].restartPolicy: Forbidden: may not be set for non-init containers',
    );
    assert.equal(
      formatFieldError(tooLong('metadata.annotations', 262144)),
      'metadata.annotations: Too long: must have at most 262144 bytes',
    );
    assert.equal(
      formatFieldError({ type: 'Internal error', field: 'x', value: 'ignored', detail: 'boom' }),
      'x: Internal error: boom',
    );
  });

  test('§1.2 Unsupported value lists the supported values quoted', () => {
    assert.equal(
      formatFieldError(
        notSupported('spec.containers[0].livenessProbe.httpGet.scheme', 'FTP', ['HTTP', 'HTTPS']),
      ),
      'spec.containers[0].livenessProbe.httpGet.scheme: Unsupported value: "FTP": supported values: "HTTP", "HTTPS"',
    );
  });

  test('§1.2 Duplicate value and Not found print the value and no detail', () => {
    assert.equal(
      formatFieldError(duplicate('spec.containers[1].name', 'app')),
      'spec.containers[1].name: Duplicate value: "app"',
    );
    assert.equal(formatFieldError(notFound('x.name', 'data')), 'x.name: Not found: "data"');
  });

  test('§1.2 the object name is Go-quoted too', () => {
    assert.equal(
      formatInvalid('Pod', '', [required('metadata.name')]),
      'Pod "" is invalid: metadata.name: Required value',
    );
  });
});

describe("goQuote is Go's strconv.Quote (%q)", () => {
  test('escapes quotes, backslashes and control characters the way Go does', () => {
    assert.equal(goQuote('a"b\\c'), '"a\\"b\\\\c"');
    assert.equal(goQuote('\n\t\r\x07\x08\x0c\x0b'), '"\\n\\t\\r\\a\\b\\f\\v"');
    assert.equal(goQuote('\x00\x1b\x7f'), '"\\x00\\x1b\\x7f"');
  });

  test('keeps printable Unicode, escapes non-printing runes with \\u', () => {
    assert.equal(goQuote('héllo 世界 🙂'), '"héllo 世界 🙂"');
    assert.equal(goQuote('a\u00a0b\u200bc'), '"a\\u00a0b\\u200bc"');
  });
});
