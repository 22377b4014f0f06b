import { PODVISOR_API_VERSION, type ProbeRunReport, type ProbeRunRequest } from '../../api/probe-history.js';
import { connect, type CommandContext } from '../context.js';
import { EXIT_ERROR, EXIT_OK, usageError } from '../errors.js';
import { toJson, toYaml } from '../printers/object-output.js';
import { formatProbeRunReport } from '../printers/probe-run-report.js';

interface CheckPodArgs {
  pod: string;
  namespace: string;
  request: ProbeRunRequest;
  output?: 'json' | 'yaml';
}

const USAGE = `Usage: podvisor check pod/NAME [-c CONTAINER] [--probe liveness|readiness|startup] [-n NAMESPACE] [-o json|yaml]

Runs the container's configured probe once now against the running pod, as the kubelet would,
without recording an event or counting towards a restart. Prints the verdict, the latency, the
exact message the kubelet would record, and when the probe would act given its recent results.
Exit 0 when the probe succeeds, 1 when it fails.
`;

const PROBES = ['liveness', 'readiness', 'startup'] as const;

/** `podvisor check pod/NAME …` (issue 5 item 1): POSTs probehistories/NAME/run and prints the report. */
export async function runCheckPod(ctx: CommandContext, args: string[]): Promise<number> {
  if (args.includes('-h') || args.includes('--help')) {
    ctx.io.stdout.write(USAGE);
    return EXIT_OK;
  }
  const parsed = parseCheckPodArgs(args);
  const client = await connect(ctx);
  const path =
    `/apis/${PODVISOR_API_VERSION}/namespaces/${encodeURIComponent(parsed.namespace)}` +
    `/probehistories/${encodeURIComponent(parsed.pod)}/run`;
  const report = await client.request<ProbeRunReport>('POST', path, {
    body: { apiVersion: PODVISOR_API_VERSION, kind: 'ProbeRunRequest', ...parsed.request },
  });
  if (parsed.output === 'json') ctx.io.stdout.write(toJson(report));
  else if (parsed.output === 'yaml') ctx.io.stdout.write(toYaml(report));
  else ctx.io.stdout.write(formatProbeRunReport(report));
  return report.verdict === 'success' || report.verdict === 'warning' ? EXIT_OK : EXIT_ERROR;
}

/** The arguments after `check`: `pod/NAME` first, then flags in any order (usage errors exit 2). */
export function parseCheckPodArgs(args: readonly string[]): CheckPodArgs {
  const target = /^pods?\/(.+)$/.exec(args[0] ?? '');
  if (!target?.[1]) throw usageError(`error: check pod/NAME: name the pod, e.g. 'podvisor check pod/web'`);
  const out: CheckPodArgs = { pod: target[1], namespace: 'default', request: {} };
  for (let i = 1; i < args.length; i++) {
    const arg = args[i] as string;
    const eq = arg.indexOf('=');
    const flag = arg.startsWith('--') && eq > 0 ? arg.slice(0, eq) : arg;
    const value = (): string => {
      if (arg.startsWith('--') && eq > 0) return arg.slice(eq + 1);
      const next = args[++i];
      if (next === undefined || next === '')
        throw usageError(
          `error: check pod/NAME: ${flag} needs a value (see 'podvisor check pod/NAME --help')`,
        );
      return next;
    };
    switch (flag) {
      case '-c':
      case '--container':
        out.request.container = value();
        break;
      case '--probe': {
        const probe = value();
        const known = PROBES.find((p) => p === probe);
        if (!known)
          throw usageError(
            `error: check pod/NAME: --probe ${probe}: use one of liveness, readiness, startup`,
          );
        out.request.probe = known;
        break;
      }
      case '-n':
      case '--namespace':
        out.namespace = value();
        break;
      case '-o':
      case '--output': {
        const format = value();
        if (format !== 'json' && format !== 'yaml')
          throw usageError(`error: check pod/NAME: -o ${format}: use json or yaml (or leave -o out)`);
        out.output = format;
        break;
      }
      default:
        throw usageError(
          `error: check pod/NAME: unknown argument ${JSON.stringify(arg)}: use -c, --probe, -n or -o (see 'podvisor check pod/NAME --help')`,
        );
    }
  }
  return out;
}
