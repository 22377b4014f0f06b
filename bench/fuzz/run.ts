/**
 * Fuzzed manifests at any volume (issue 7): the properties of test/fuzz with as many cases as you
 * ask for and any seed. Prints cases run, failures and, for a failure, fast-check's shrunk
 * counterexample with the seed and path that replay it.
 *   npm run bench -- fuzz [--runs N] [--seed S]      # N cases per property (default 10000)
 *   node --import tsx bench/fuzz/run.ts [--runs N] [--seed S]
 */
import { pathToFileURL } from 'node:url';
import fc from 'fast-check';
import { stringify } from 'yaml';
import { loadManifests } from '../../src/api/manifests.js';
import { manifestArb, type Json } from '../../test/helpers/manifest-arbitraries.js';
import { mutatedManifestArb } from '../../test/fuzz/mutations.js';
import { checkAdmission, checkJsonRoundTrip, checkYamlRoundTrip } from '../../test/fuzz/properties.js';

function problemsToThrow(problems: string[], doc: unknown): void {
  if (problems.length > 0)
    throw new Error(`${problems.join('\n')}\ndocument: ${JSON.stringify(doc).slice(0, 4000)}`);
}

const anyJson = fc.jsonValue({ maxDepth: 5 }) as fc.Arbitrary<Json>;

interface Outcome {
  failed: boolean;
  numRuns: number;
  report: string | undefined;
}
type Runner = (params: { seed: number; numRuns: number }) => Promise<Outcome>;

/** A property (throwing on a broken promise) as a runner that reports instead of throwing. */
function runner<T>(property: () => fc.IAsyncProperty<T>): Runner {
  return async (params) => {
    const details = await fc.check(property(), params);
    const error =
      details.errorInstance instanceof Error ? details.errorInstance.message : String(details.errorInstance);
    const report = details.failed ? `${fc.defaultReportMessage(details) ?? ''}\nError: ${error}` : undefined;
    return { failed: details.failed, numRuns: details.numRuns, report };
  };
}

const PROPERTIES: Record<string, Runner> = {
  'valid manifests are accepted and round-trip (JSON and YAML)': runner(() =>
    fc.asyncProperty(manifestArb, async (doc) => {
      const out = checkAdmission(doc);
      problemsToThrow(out.problems, doc);
      if (out.accepted === undefined) throw new Error(`a valid document was refused: ${JSON.stringify(doc)}`);
      problemsToThrow(
        [...checkJsonRoundTrip(out.accepted), ...(await checkYamlRoundTrip(out.accepted))],
        doc,
      );
    }),
  ),
  'mutated manifests: no crash or hang, Kubernetes-format refusals, accepted ones round-trip': runner(() =>
    fc.asyncProperty(mutatedManifestArb, async ({ doc, mutations }) => {
      const out = checkAdmission(doc);
      problemsToThrow(out.problems, { mutations, doc });
      if (out.accepted !== undefined) problemsToThrow(checkJsonRoundTrip(out.accepted), { mutations, doc });
      await Promise.resolve();
    }),
  ),
  'arbitrary JSON, alone or as a known kind': runner(() =>
    fc.asyncProperty(
      fc.oneof(
        anyJson,
        fc
          .tuple(
            fc.constantFrom(
              ['v1', 'Pod'],
              ['v1', 'Service'],
              ['apps/v1', 'Deployment'],
              ['v1', 'ConfigMap'],
              ['v1', 'Secret'],
              ['settings.k8s.io/v1alpha1', 'PodPreset'],
            ),
            anyJson,
            anyJson,
          )
          .map(([[apiVersion, kind], metadata, spec]) => ({ apiVersion, kind, metadata, spec })),
      ),
      async (doc) => {
        problemsToThrow(checkAdmission(doc).problems, doc);
        await Promise.resolve();
      },
    ),
  ),
  'damaged YAML through the manifest loader': runner(() =>
    fc.asyncProperty(
      fc.tuple(
        manifestArb.map((d) => stringify(d, { version: '1.1' })),
        fc.nat(),
        fc.string({ maxLength: 3 }),
      ),
      async ([text, at, junk]) => {
        const cut = at % (text.length + 1);
        const damaged = text.slice(0, cut) + junk + text.slice(cut + (at % 5));
        const r = await loadManifests(['-'], { readStdin: () => Promise.resolve(damaged) });
        const lines = damaged.split('\n').length;
        for (const e of r.errors) {
          const m = /^<stdin>:(\d+): \S/.exec(e);
          if (!m || Number(m[1]) < 1 || Number(m[1]) > lines) throw new Error(`bad error location: ${e}`);
        }
      },
    ),
  ),
};

function arg(args: string[], name: string, fallback: number): number {
  const i = args.indexOf(name);
  if (i < 0) return fallback;
  const v = Number(args[i + 1]);
  if (!Number.isSafeInteger(v) || v < 0)
    throw new Error(`${name} wants a whole number, got ${JSON.stringify(args[i + 1])}`);
  return v;
}

/** Runs every property `--runs` times from `--seed`; returns the number of failed properties. */
export async function runFuzzBench(args: string[]): Promise<number> {
  const runs = arg(args, '--runs', 10_000);
  const seed = arg(args, '--seed', Date.now() % 2 ** 31);
  console.log(`fuzzed manifests: ${runs} cases per property, seed ${seed}\n`);
  let failures = 0;
  let total = 0;
  const started = performance.now();
  for (const [name, run] of Object.entries(PROPERTIES)) {
    const t0 = performance.now();
    const details = await run({ seed, numRuns: runs });
    total += details.numRuns;
    const seconds = ((performance.now() - t0) / 1000).toFixed(1);
    console.log(`${details.failed ? 'FAIL' : 'ok  '}  ${name}: ${details.numRuns} cases, ${seconds} s`);
    if (details.failed) {
      failures++;
      console.log(details.report?.replace(/^/gm, '      '));
    }
  }
  const seconds = ((performance.now() - started) / 1000).toFixed(1);
  console.log(`\n${total} cases, ${failures} failed properties, ${seconds} s`);
  console.log(`rerun: npm run bench -- fuzz --runs ${runs} --seed ${seed}`);
  return failures;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  runFuzzBench(process.argv.slice(2)).then(
    (failures) => process.exit(failures > 0 ? 1 : 0),
    (err: unknown) => {
      console.error('fuzz bench failed:', err);
      process.exit(2);
    },
  );
}
