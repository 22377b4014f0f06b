import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  fieldsMatch,
  labelsMatch,
  parseFieldSelector,
  parseLabelSelector,
} from '../../../src/store/selectors.js';
import { StoreError } from '../../../src/store/types.js';

function badRequest(fn: () => unknown, message: string): void {
  assert.throws(fn, (err: unknown) => {
    assert.ok(err instanceof StoreError);
    assert.equal(err.code, 400);
    assert.equal(err.reason, 'BadRequest');
    assert.equal(err.message, message);
    return true;
  });
}

describe('label selectors (apimachinery labels.Parse)', () => {
  const labels = { app: 'web', tier: 'frontend', env: 'prod', replicas: '3' };

  test('equality, inequality and double equals', () => {
    assert.ok(labelsMatch(parseLabelSelector('app=web'), labels));
    assert.ok(labelsMatch(parseLabelSelector('app==web'), labels));
    assert.ok(!labelsMatch(parseLabelSelector('app!=web'), labels));
    assert.ok(labelsMatch(parseLabelSelector('app!=db'), labels));
    // != matches objects without the label at all, as Kubernetes does.
    assert.ok(labelsMatch(parseLabelSelector('missing!=x'), labels));
    assert.ok(labelsMatch(parseLabelSelector('app=web,tier=frontend'), labels));
    assert.ok(!labelsMatch(parseLabelSelector('app=web,tier=backend'), labels));
  });

  test('set-based: in, notin, exists, !exists', () => {
    assert.ok(labelsMatch(parseLabelSelector('env in (prod, staging)'), labels));
    assert.ok(!labelsMatch(parseLabelSelector('env in (dev)'), labels));
    assert.ok(labelsMatch(parseLabelSelector('env notin (dev,qa)'), labels));
    assert.ok(labelsMatch(parseLabelSelector('missing notin (dev)'), labels));
    assert.ok(labelsMatch(parseLabelSelector('tier'), labels));
    assert.ok(!labelsMatch(parseLabelSelector('!tier'), labels));
    assert.ok(labelsMatch(parseLabelSelector('!gone,app'), labels));
    assert.ok(labelsMatch(parseLabelSelector('replicas>2'), labels));
    assert.ok(!labelsMatch(parseLabelSelector('replicas<2'), labels));
    assert.ok(labelsMatch(parseLabelSelector(''), undefined));
    assert.ok(!labelsMatch(parseLabelSelector('app'), undefined));
  });

  test('in/notin are values inside a set and keys may carry a prefix', () => {
    assert.deepEqual(parseLabelSelector('x in (in,notin)'), [
      { key: 'x', operator: 'in', values: ['in', 'notin'] },
    ]);
    assert.ok(
      labelsMatch(parseLabelSelector('app.kubernetes.io/name=web'), { 'app.kubernetes.io/name': 'web' }),
    );
  });

  test('parse errors carry apimachinery wording', () => {
    badRequest(
      () => parseLabelSelector('env IN (a)'),
      "unable to parse requirement: found 'IN', expected: in, notin, =, ==, !=, gt, lt",
    );
    badRequest(
      () => parseLabelSelector('test-label=====name1'),
      "unable to parse requirement: found '==', expected: identifier",
    );
    badRequest(() => parseLabelSelector('env in a'), "unable to parse requirement: found 'a' expected: '('");
    badRequest(() => parseLabelSelector('app=web,'), "found '', expected: identifier after ','");
    badRequest(() => parseLabelSelector('=web'), "found '=', expected: !, identifier, or 'end of string'");
    assert.throws(() => parseLabelSelector('app=we b'), StoreError);
    assert.throws(
      () => parseLabelSelector('-bad=x'),
      /unable to parse requirement: invalid label key "-bad"/,
    );
  });
});

describe('field selectors (apimachinery fields.ParseSelector)', () => {
  const event = {
    metadata: { name: 'web.17d', namespace: 'default' },
    involvedObject: {
      kind: 'Pod',
      name: 'web',
      uid: 'u1',
      namespace: 'default',
      fieldPath: 'spec.containers{app}',
    },
    reason: 'Unhealthy',
    type: 'Warning',
    count: 3,
  };

  test('§1.6 involvedObject terms in any order, with = and ==', () => {
    const a = parseFieldSelector(
      'involvedObject.namespace=default,involvedObject.uid=u1,involvedObject.name=web',
    );
    const b = parseFieldSelector(
      'involvedObject.name==web,involvedObject.namespace=default,involvedObject.uid=u1',
    );
    assert.ok(fieldsMatch(a, event));
    assert.ok(fieldsMatch(b, event));
    assert.ok(!fieldsMatch(parseFieldSelector('involvedObject.uid=other'), event));
    assert.ok(
      fieldsMatch(parseFieldSelector('involvedObject.kind=Pod,reason=Unhealthy,type!=Normal'), event),
    );
    assert.ok(fieldsMatch(parseFieldSelector('involvedObject.fieldPath=spec.containers{app}'), event));
    assert.ok(fieldsMatch(parseFieldSelector('count=3'), event));
  });

  test('absent fields compare as the empty string (spec.nodeName= finds unbound pods)', () => {
    assert.ok(fieldsMatch(parseFieldSelector('spec.nodeName='), { metadata: { name: 'p' } }));
    assert.ok(!fieldsMatch(parseFieldSelector('spec.nodeName!='), { metadata: { name: 'p' } }));
    assert.ok(
      fieldsMatch(parseFieldSelector('metadata.name=p,status.phase!=Running'), { metadata: { name: 'p' } }),
    );
  });

  test('escaped commas and equals signs in values', () => {
    const reqs = parseFieldSelector('message=a\\,b\\=c');
    assert.deepEqual(reqs, [{ field: 'message', operator: '=', value: 'a,b=c' }]);
  });

  test('parse errors', () => {
    badRequest(
      () => parseFieldSelector('metadata.name'),
      "invalid selector: 'metadata.name'; can't understand 'metadata.name'",
    );
    badRequest(() => parseFieldSelector('a=b\\x'), 'invalid field selector: invalid escape sequence: \\x');
  });
});
