import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { isDeepStrictEqual } from 'node:util';
import fc from 'fast-check';
import type { Deployment } from 'kubernetes-types/apps/v1.js';
import type { Pod } from 'kubernetes-types/core/v1.js';
import { defaultPod } from '../../src/api/defaults.js';
import { defaultService, type StoredService } from '../../src/api/service.js';
import { defaultDeployment } from '../../src/api/workloads/defaults.js';
import {
  deploymentArb,
  manifestArb,
  podArb,
  serviceArb,
  type Json,
  type JsonObject,
} from '../helpers/manifest-arbitraries.js';
import { allPaths, applyMutation, mutatedManifestArb, type Mutation } from './mutations.js';
import { checkAdmission, checkJsonRoundTrip, checkYamlRoundTrip, FUZZ_SEED } from './properties.js';

/**
 * Fuzzed manifests on the in-process path `podvisor apply -f` and the API server's create share
 * (admitObject: decode, defaults, validation; spec §1.1, §1.2). Fixed seed, so a failure here is
 * reproducible; `npm run bench -- fuzz --runs N --seed S` runs as many more as you like.
 */

function fail(problems: string[], doc: unknown): void {
  if (problems.length > 0)
    assert.fail(`${problems.join('\n')}\ndocument: ${JSON.stringify(doc).slice(0, 4000)}`);
}

/** Defaulting an admitted object again changes nothing (SetDefaults_* are idempotent). */
function defaultingProblems(obj: unknown): string[] {
  const kind = (obj as { kind: string }).kind;
  const copy = structuredClone(obj);
  const again =
    kind === 'Pod'
      ? defaultPod(copy as Pod)
      : kind === 'Deployment'
        ? defaultDeployment(copy as Deployment)
        : defaultService(copy as StoredService);
  return isDeepStrictEqual(again, obj)
    ? []
    : [`defaulting ${kind} twice changed it: ${JSON.stringify(again)}`];
}

describe('fuzzed manifests: admission (spec §1.1, §1.2)', () => {
  test('valid Pods, Deployments and Services are accepted, and re-admitting one changes nothing (1000 cases)', () => {
    fc.assert(
      fc.property(manifestArb, (doc) => {
        const out = checkAdmission(doc);
        fail(out.problems, doc);
        if (out.accepted === undefined) assert.fail(`a valid document was refused: ${JSON.stringify(doc)}`);
        fail([...checkJsonRoundTrip(out.accepted), ...defaultingProblems(out.accepted)], doc);
      }),
      { seed: FUZZ_SEED, numRuns: 1000 },
    );
  });

  test('an accepted object written as YAML loads back as the same object (150 cases)', async () => {
    await fc.assert(
      fc.asyncProperty(manifestArb, async (doc) => {
        const out = checkAdmission(doc);
        if (out.accepted === undefined) assert.fail(`a valid document was refused: ${JSON.stringify(doc)}`);
        fail(await checkYamlRoundTrip(out.accepted), doc);
      }),
      { seed: FUZZ_SEED, numRuns: 150 },
    );
  });

  test('mutated manifests: no crash, no hang, Kubernetes-format refusals naming real fields, accepted ones round-trip (2500 cases)', () => {
    let refused = 0;
    fc.assert(
      fc.property(mutatedManifestArb, ({ doc, mutations }) => {
        const out = checkAdmission(doc);
        fail(out.problems, { mutations, doc });
        if (out.accepted === undefined) refused++;
        else fail(checkJsonRoundTrip(out.accepted), { mutations, doc });
      }),
      { seed: FUZZ_SEED, numRuns: 2500 },
    );
    // Most mutations break the document; if few were refused the mutators would be broken.
    assert.ok(refused > 1250, `only ${refused} of 2500 mutated documents were refused`);
  });

  test('a wrong type at every level of a Pod, a Deployment and a Service is a field error, never a crash', (t) => {
    const wrong: Json[] = ['text', 7, 2.5, true, [], ['a'], {}, { k: 'v' }, null];
    let cases = 0;
    for (const arb of [podArb, deploymentArb, serviceArb]) {
      const [doc] = fc.sample(arb, { seed: FUZZ_SEED, numRuns: 1 }) as [JsonObject];
      for (const path of allPaths(doc)) {
        for (const value of wrong) {
          const mutated = applyMutation(doc, {
            op: 'set',
            path,
            value,
            why: 'wrong type',
          } satisfies Mutation);
          cases++;
          fail(checkAdmission(mutated).problems, { path, value });
        }
      }
    }
    t.diagnostic(`${cases} cases`);
    assert.ok(cases > 300, `only ${cases} cases`);
  });

  test('arbitrary JSON, alone or under any kind podvisor admits, never crashes admission (1000 cases)', () => {
    const kinds = fc.constantFrom(
      { apiVersion: 'v1', kind: 'Pod' },
      { apiVersion: 'apps/v1', kind: 'Deployment' },
      { apiVersion: 'v1', kind: 'Service' },
      { apiVersion: 'apps/v1', kind: 'ReplicaSet' },
      { apiVersion: 'v1', kind: 'ReplicationController' },
      { apiVersion: 'v1', kind: 'ConfigMap' },
      { apiVersion: 'v1', kind: 'Secret' },
      { apiVersion: 'settings.k8s.io/v1alpha1', kind: 'PodPreset' },
    );
    const anyJson = fc.jsonValue({ maxDepth: 4 }) as fc.Arbitrary<Json>;
    // Metadata is where every kind's validation starts: a name with labels and annotations of any shape.
    const metadata = fc.oneof(
      anyJson,
      fc.record(
        { name: fc.constantFrom('a', 'b-1'), labels: anyJson, annotations: anyJson },
        { requiredKeys: ['name'] },
      ),
    );
    const fieldName = fc.oneof(
      fc.string({ maxLength: 12 }),
      fc.constantFrom('data', 'stringData', 'binaryData', 'immutable', 'type', 'items', 'status'),
    );
    const doc = fc
      .tuple(kinds, fc.dictionary(fieldName, anyJson, { maxKeys: 4 }), metadata, anyJson)
      .map(([k, extra, meta, spec]) => ({ ...extra, ...k, metadata: meta, spec }));
    fc.assert(
      fc.property(fc.oneof(doc, anyJson), (d) => fail(checkAdmission(d).problems, d)),
      { seed: FUZZ_SEED, numRuns: 1000 },
    );
  });
});
