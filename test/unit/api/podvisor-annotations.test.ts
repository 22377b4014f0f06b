import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { admitObject } from '../../../src/api/admission.js';
import { formatFieldError, formatInvalid } from '../../../src/api/field-errors.js';
import {
  parseCrashLoopKnob,
  podKnobs,
  validatePodvisorAnnotations,
} from '../../../src/api/podvisor-annotations.js';

const CRASH = 'podvisor.io/crashloop-backoff';

function podWith(annotations: Record<string, string>): Record<string, unknown> {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'web', annotations },
    spec: { containers: [{ name: 'app', image: 'busybox', command: ['sleep', '1'] }] },
  };
}

function deploymentWith(
  annotations: Record<string, string>,
  templateAnnotations: Record<string, string> = {},
): Record<string, unknown> {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'web', annotations },
    spec: {
      selector: { matchLabels: { app: 'web' } },
      template: {
        metadata: { labels: { app: 'web' }, annotations: templateAnnotations },
        spec: { containers: [{ name: 'app', image: 'busybox', command: ['sleep', '1'] }] },
      },
    },
  };
}

/** The apiserver's `Pod "web" is invalid: …` text of an admission. */
function refusal(obj: Record<string, unknown>): string {
  const adm = admitObject(obj);
  assert.ok(adm.errors.length > 0, 'expected the object to be refused');
  return formatInvalid(String(obj.kind), 'web', adm.errors);
}

describe('podvisor.io/crashloop-backoff: parseCrashLoopKnob', () => {
  test('any subset of initial, max and reset, in any order, as Go durations', () => {
    assert.deepEqual(parseCrashLoopKnob('initial=1s,max=60s,reset=2m'), {
      initialMs: 1000,
      maxMs: 60_000,
      resetMs: 120_000,
    });
    assert.deepEqual(parseCrashLoopKnob(' reset=1m30s , initial=500ms'), { resetMs: 90_000, initialMs: 500 });
    assert.deepEqual(parseCrashLoopKnob('max=1h'), { maxMs: 3_600_000 });
  });

  test('unknown key, bad duration, missing value, twice, non-positive, initial > max: an error naming the fix', () => {
    const error = (v: string): string => {
      const r = parseCrashLoopKnob(v);
      assert.ok('error' in r, `${v} should be refused`);
      return r.error;
    };
    assert.match(error('initail=1s'), /unknown key "initail": the keys are initial, max and reset/);
    assert.match(error('initial=fast'), /initial: "fast" is not a duration: use a Go duration such as 500ms/);
    assert.match(error('initial=10'), /"10" is not a duration/);
    assert.match(error('max'), /max has no value: write max=<duration>/);
    assert.match(error('max=1s,max=2s'), /max is given twice/);
    assert.match(error('initial=0s'), /initial: 0s must be positive/);
    assert.match(error('reset=-5s'), /reset: -5s must be positive/);
    assert.match(error('initial=2m,max=1m'), /initial is greater than max/);
    assert.match(error(''), /is empty/);
  });

  test('podKnobs reads a valid knob and treats an unreadable one as the default', () => {
    assert.deepEqual(podKnobs({ annotations: { [CRASH]: 'initial=1s' } }).crashloop, { initialMs: 1000 });
    assert.equal(podKnobs({ annotations: { [CRASH]: 'initial=x' } }).crashloop, undefined);
  });
});

describe('admission refuses invalid knobs with field errors on metadata.annotations[…]', () => {
  test('a pod: the field, the value and the fix, in the apiserver format', () => {
    assert.equal(
      refusal(podWith({ [CRASH]: 'initial=1s,max=60x' })),
      'Pod "web" is invalid: metadata.annotations[podvisor.io/crashloop-backoff]: Invalid value: "initial=1s,max=60x": max: "60x" is not a duration: use a Go duration such as 500ms, 10s, 1m30s or 2h',
    );
    assert.equal(
      refusal(podWith({ 'podvisor.io/liveness-action': 'ignore' })),
      'Pod "web" is invalid: metadata.annotations[podvisor.io/liveness-action]: Unsupported value: "ignore": supported values: "report", "restart"',
    );
    assert.equal(
      refusal(podWith({ 'podvisor.io/probe-events': 'loud' })),
      'Pod "web" is invalid: metadata.annotations[podvisor.io/probe-events]: Unsupported value: "loud": supported values: "default", "verbose"',
    );
    assert.match(
      refusal(podWith({ 'podvisor.io/probes-paused-until': 'tomorrow' })),
      /metadata\.annotations\[podvisor\.io\/probes-paused-until\]: Invalid value: "tomorrow": must be an RFC 3339 time such as 2026-11-21T10:00:00Z: set it with `podvisor probes pause POD --for 30m`/,
    );
    assert.match(
      refusal(podWith({ 'podvisor.io/liveness-restart-budget': '1' })),
      /metadata\.annotations\[podvisor\.io\/liveness-restart-budget\]: Invalid value: "1": the restart budget is read from the Deployment, ReplicaSet or ReplicationController/,
    );
  });

  test('valid knobs are admitted and kept; an unknown podvisor.io/ name is a warning', () => {
    const adm = admitObject(
      podWith({
        [CRASH]: 'initial=1s,max=60s,reset=2m',
        'podvisor.io/liveness-action': 'report',
        'podvisor.io/probe-events': 'verbose',
        'podvisor.io/probes-paused-until': '2026-11-21T10:00:00Z',
        'podvisor.io/liveness-acton': 'report',
      }),
    );
    assert.deepEqual(adm.errors, []);
    assert.equal(adm.object?.metadata.annotations?.[CRASH], 'initial=1s,max=60s,reset=2m');
    const knobWarnings = adm.warnings.filter((w) => w.includes('podvisor.io/'));
    assert.equal(knobWarnings.length, 1);
    assert.match(
      knobWarnings[0] ?? '',
      /^metadata\.annotations\[podvisor\.io\/liveness-acton\]: unknown podvisor annotation, ignored: the known ones are podvisor\.io\/crashloop-backoff, /,
    );
  });

  test('a Deployment: the budget on its metadata, pod knobs on its template (path spec.template…)', () => {
    assert.deepEqual(
      admitObject(deploymentWith({ 'podvisor.io/liveness-restart-budget': '2' }, { [CRASH]: 'max=30s' }))
        .errors,
      [],
    );
    assert.equal(
      refusal(deploymentWith({}, { [CRASH]: 'initial=5s,max=1s' })),
      'Deployment "web" is invalid: spec.template.metadata.annotations[podvisor.io/crashloop-backoff]: Invalid value: "initial=5s,max=1s": initial is greater than max: the first delay must not exceed the cap',
    );
    assert.match(
      refusal(deploymentWith({ 'podvisor.io/liveness-restart-budget': '0' })),
      /metadata\.annotations\[podvisor\.io\/liveness-restart-budget\]: Invalid value: "0": must be a whole number of pods, at least 1/,
    );
    assert.match(
      refusal(deploymentWith({ 'podvisor.io/liveness-action': 'report' })),
      /metadata\.annotations\[podvisor\.io\/liveness-action\]: Invalid value: "report": podvisor reads this knob from pods: put it in spec\.template\.metadata\.annotations/,
    );
  });

  test('validatePodvisorAnnotations: no annotations, no errors', () => {
    assert.deepEqual(validatePodvisorAnnotations(undefined, 'metadata.annotations', 'Pod'), []);
    const [e] = validatePodvisorAnnotations(
      { annotations: { [CRASH]: 'jitter=1s' } },
      'metadata.annotations',
      'PodTemplate',
    );
    assert.ok(e);
    assert.equal(
      formatFieldError(e),
      'metadata.annotations[podvisor.io/crashloop-backoff]: Invalid value: "jitter=1s": unknown key "jitter": the keys are initial, max and reset, written key=duration and separated by commas, e.g. "initial=1s,max=60s,reset=2m"',
    );
  });
});
