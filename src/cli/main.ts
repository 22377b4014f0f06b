import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import type { CommandContext, GlobalOptions } from './context.js';
import { CliError, EXIT_ERROR, EXIT_OK, EXIT_USAGE } from './errors.js';
import { parseGoDuration } from '../util/go-duration.js';
import { processIO, type CliIO } from './io.js';

/**
 * podvisor's command line (DESIGN "Command line (contract)"). Exit codes: 0 success, 1 error,
 * 2 usage error. Commands load their modules lazily so that a client command does not pay for the
 * node's (kubelet, runtime, server) start-up.
 */
const VERSION = '0.1.0';

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

function nodeCount(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value) || n < 1 || n > 100) {
    throw new InvalidArgumentError('want a whole number of nodes from 1 to 100.');
  }
  return n;
}

/** A kubelet resource.Quantity for `--container-log-max-size` (`10Mi`, `512Ki`, `1G`, plain bytes). */
function logMaxSize(value: string): number {
  const m = /^(\d+)(Ki|Mi|Gi|k|M|G)?$/.exec(value.trim());
  const unit = { Ki: 1024, Mi: 1024 ** 2, Gi: 1024 ** 3, k: 1e3, M: 1e6, G: 1e9 }[m?.[2] ?? ''] ?? 1;
  const bytes = m ? Number(m[1]) * unit : Number.NaN;
  if (!(bytes >= 1024))
    throw new InvalidArgumentError(
      'expected a size of at least 1Ki such as 10Mi (the default), 512Ki or 1Gi.',
    );
  return bytes;
}

/** kubelet validation: containerLogMaxFiles must be greater than 1 (the live file and one rotated). */
function logMaxFiles(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value) || n < 2 || n > 1000)
    throw new InvalidArgumentError('expected a whole number of files from 2 to 1000 (the default is 5).');
  return n;
}

function goDuration(value: string): number {
  const ms = parseGoDuration(value);
  if (ms === undefined || ms < 0)
    throw new InvalidArgumentError('expected a duration such as 10s, 1m30s or 2h.');
  return ms;
}

function integer(value: string): number {
  const n = Number(value);
  if (!/^-?\d+$/.test(value.trim()) || !Number.isSafeInteger(n))
    throw new InvalidArgumentError('expected a whole number.');
  return n;
}

function bool(value: string): boolean {
  if (value === 'true') return true;
  if (value === 'false') return false;
  throw new InvalidArgumentError('expected true or false.');
}

function buildProgram(io: CliIO, setResult: (code: number) => void): Command {
  const program = new Command('podvisor');
  program
    .description("The kubelet's self-healing for plain processes: run Kubernetes Pod manifests locally.")
    .version(VERSION, '--version', 'print the podvisor version')
    .option('--server <url>', 'the node API address (default: from the state directory)')
    .option('--token <token>', 'bearer token for --server')
    .option(
      '--state-dir <dir>',
      'state directory (default: $PODVISOR_STATE_DIR, $XDG_STATE_HOME/podvisor or ~/.local/state/podvisor)',
    )
    .exitOverride()
    .configureOutput({ writeOut: (s) => io.stdout.write(s), writeErr: (s) => io.stderr.write(s) })
    .showHelpAfterError("(run 'podvisor --help' for usage)");

  const ctxOf = (cmd: Command): CommandContext => ({ io, globals: cmd.optsWithGlobals<GlobalOptions>() });
  const run =
    <A extends unknown[]>(fn: (ctx: CommandContext, ...args: A) => Promise<number>) =>
    async (...args: A): Promise<void> => {
      const cmd = args[args.length - 1] as Command;
      setResult(await fn(ctxOf(cmd), ...args));
    };
  const command = (name: string, description: string): Command =>
    program
      .command(name)
      .description(description)
      .showHelpAfterError(`(run 'podvisor ${name.split(' ')[0]} --help' for usage)`);
  const namespaceOption = (cmd: Command): Command =>
    cmd.option('-n, --namespace <ns>', 'namespace (default "default")');

  command('up', 'run a node in the foreground: serve the Kubernetes API and run the pods of the files')
    .option('-f, --filename <path>', 'manifest file or folder (repeatable)', collect, [])
    .option('--listen <host:port>', 'API address; port 0 picks a free one', '127.0.0.1:6443')
    .option('--allow-remote', 'allow a --listen address other than loopback (see SECURITY.md first)')
    .option('--node-name <name>', "the node's name (default: the host name)")
    .option('--crash-loop-backoff-initial <duration>', 'first CrashLoopBackOff delay', goDuration)
    .option('--max-container-restart-period <duration>', 'CrashLoopBackOff ceiling', goDuration)
    .option(
      '--crash-loop-backoff-reset <duration>',
      'an instance that ran this long resets its CrashLoopBackOff (default 10m0s)',
      goDuration,
    )
    .option('--nodes <n>', 'virtual nodes to run (node-1 … node-N when more than 1)', nodeCount)
    .option(
      '--node-monitor-grace-period <duration>',
      'silence before a node is marked NotReady (default 50s)',
      goDuration,
    )
    .option(
      '--pod-eviction-timeout <duration>',
      "how long pods tolerate their node's NotReady (default 5m0s)",
      goDuration,
    )
    .option(
      '--container-log-max-size <quantity>',
      "rotate a container's log at this size (the kubelet's containerLogMaxSize; default 10Mi)",
      logMaxSize,
    )
    .option(
      '--container-log-max-files <n>',
      'log files kept per container instance, the live one included (containerLogMaxFiles; default 5)',
      logMaxFiles,
    )
    .addOption(
      new Option(
        '--process-containment <mode>',
        "keep each container's processes together with a cgroup v2 per container (cgroup), the descendant scan of /proc (scan), or the cgroup where the machine allows it (auto)",
      )
        .choices(['auto', 'cgroup', 'scan'])
        .default('auto'),
    )
    .option('--plain', 'the plain event stream, without colours, even in a terminal (no live table)')
    .action(
      run(async (ctx, opts: Record<string, unknown>) => {
        const { runUp } = await import('./commands/up.js');
        return runUp(ctx, opts);
      }),
    );

  command('demo', 'the self-healing demo: a liveness restart, a CrashLoopBackOff and a readiness flap')
    .option('--duration <duration>', 'end the demo after this long at most', goDuration)
    .option('--listen <host:port>', 'API address', '127.0.0.1:0')
    .option('--plain', 'no colours in the event stream')
    .action(
      run(async (ctx, opts: Record<string, unknown>) => {
        const { runDemo } = await import('./commands/demo.js');
        return runDemo(ctx, opts);
      }),
    );

  for (const name of ['apply', 'create', 'replace'] as const) {
    namespaceOption(
      command(
        name,
        `${name} the objects of manifest files (pods, workloads, services, config) (-f - reads standard input)`,
      ),
    )
      .option('-f, --filename <path>', 'manifest file, folder or - (repeatable)', collect, [])
      .action(
        run(async (ctx, opts: Record<string, unknown>) => {
          const { runApply } = await import('./commands/apply.js');
          return runApply(ctx, name, opts);
        }),
      );
  }

  namespaceOption(
    command('get', 'list objects as kubectl get does (pods, events, deploy, rs, rc, svc, ep, nodes, …)'),
  )
    .argument('<resource>', 'pods|pod|po or events|event|ev (or TYPE/NAME)')
    .argument('[names...]', 'names of objects to get')
    .option('-A, --all-namespaces', 'list across all namespaces')
    .option('-l, --selector <selector>', 'label selector, e.g. app=web')
    .option('--field-selector <selector>', 'field selector, e.g. involvedObject.name=web')
    .addOption(new Option('-o, --output <format>', 'output format').choices(['wide', 'json', 'yaml', 'name']))
    .option('-w, --watch', 'after listing, print each change as it happens')
    .action(
      run(async (ctx, resource: string, names: string[], opts: Record<string, unknown>) => {
        const { runGet } = await import('./commands/get.js');
        return runGet(ctx, resource, names, opts);
      }),
    );

  namespaceOption(command('describe', 'show a pod or a node in detail, with its events'))
    .argument('<resource>', 'pod|pods|po or node|nodes|no (or pod/NAME, node/NAME)')
    .argument('[names...]', 'names (a prefix matches every object starting with it)')
    .option('-l, --selector <selector>', 'label selector')
    .action(
      run(async (ctx, resource: string, names: string[], opts: Record<string, unknown>) => {
        const { runDescribe } = await import('./commands/describe.js');
        return runDescribe(ctx, resource, names, opts);
      }),
    );

  namespaceOption(command('logs', "print a container's log"))
    .argument('<pod>', 'pod name (or pod/NAME)')
    .option('-c, --container <name>', 'container (default: the only or first one)')
    .option('-p, --previous', "the previous instance's log")
    .option('-f, --follow', 'keep printing as the container writes')
    .option('--tail <lines>', 'only the last N lines (-1: all)', integer)
    .option('--since <duration>', 'only lines newer than this, e.g. 5m', goDuration)
    .option('--timestamps', 'prefix each line with its RFC3339 time')
    .action(
      run(async (ctx, pod: string, opts: Record<string, unknown>) => {
        const { runLogs } = await import('./commands/logs.js');
        return runLogs(ctx, pod, opts);
      }),
    );

  namespaceOption(
    command('port-forward', "forward local ports to a pod's ports (127.0.0.1 only) until Ctrl-C"),
  )
    .argument('<pod>', 'pod name (or pod/NAME)')
    .argument('<ports...>', '[LOCAL:]REMOTE, e.g. 8080:80 or :80 (any free local port)')
    .action(
      run(async (ctx, pod: string, ports: string[], opts: Record<string, unknown>) => {
        const { runPortForward } = await import('./commands/port-forward.js');
        return runPortForward(ctx, pod, ports, opts);
      }),
    );

  namespaceOption(command('delete', 'delete pods or workloads (cascading) and wait until they are gone'))
    .argument('[resource]', 'pod|rs|deploy|rc (or TYPE/NAME)')
    .argument('[names...]', 'pod names')
    .option('-f, --filename <path>', 'delete the objects of manifest files (repeatable)', collect, [])
    .option('--grace-period <seconds>', 'seconds the pod gets to stop (-1: its own)', integer)
    .option('--now', 'same as --grace-period=1')
    .option('--all', 'every pod of the namespace')
    .option('--ignore-not-found', 'a missing pod is not an error')
    .option('--wait [bool]', 'wait until the pods are gone (default true)', bool, true)
    .action(
      run(async (ctx, resource: string | undefined, names: string[], opts: Record<string, unknown>) => {
        const { runDelete } = await import('./commands/delete.js');
        return runDelete(ctx, resource, names, opts);
      }),
    );

  namespaceOption(command('scale', 'set the replicas of a deployment, replicaset or replicationcontroller'))
    .argument('<resource>', 'deploy|rs|rc (or TYPE/NAME)')
    .argument('[names...]', 'names')
    .option('--replicas <n>', 'the new number of replicas', integer)
    .action(
      run(async (ctx, resource: string, names: string[], opts: Record<string, unknown>) => {
        const { runScale } = await import('./commands/scale.js');
        return runScale(ctx, resource, names, opts);
      }),
    );

  const probes = command(
    'probes',
    'pause or resume the liveness and startup probes of a pod (while debugging)',
  );
  namespaceOption(
    probes
      .command('pause')
      .description('liveness and startup probes stop acting on the pod until the time runs out or resume')
      .argument('<pod>', 'pod name (or pod/NAME)')
      .option('--for <duration>', 'how long the pause lasts (default 30m)', goDuration),
  ).action(
    run(async (ctx, pod: string, opts: Record<string, unknown>) => {
      const { runProbesPause } = await import('./commands/probes.js');
      return runProbesPause(ctx, pod, opts);
    }),
  );
  namespaceOption(
    probes
      .command('resume')
      .description('end a pause now: liveness and startup probes act again')
      .argument('<pod>', 'pod name (or pod/NAME)'),
  ).action(
    run(async (ctx, pod: string, opts: Record<string, unknown>) => {
      const { runProbesResume } = await import('./commands/probes.js');
      return runProbesResume(ctx, pod, opts);
    }),
  );

  command('dashboard', "print the web dashboard's URL (the token rides in its #fragment)")
    .option('--open', 'also open it in the browser (xdg-open)')
    .action(
      run(async (ctx, opts: Record<string, unknown>) => {
        const { runDashboard } = await import('./commands/dashboard.js');
        return runDashboard(ctx, opts);
      }),
    );

  command('top', "a running node's live view of pods and latest events (as `up` shows in a terminal)")
    .option('-n, --namespace <ns>', 'only this namespace (default: every namespace)')
    .option('--once', 'print one frame and exit (needed when the output is not a terminal)')
    .action(
      run(async (ctx, opts: Record<string, unknown>) => {
        const { runTop } = await import('./commands/top.js');
        return runTop(ctx, opts);
      }),
    );

  command('kubeconfig', 'print a kubeconfig (server + token) for kubectl --kubeconfig or KUBECONFIG')
    .option('--output-file <path>', 'write it to this file (mode 0600) instead of printing it')
    .action(
      run(async (ctx, opts: Record<string, unknown>) => {
        const { runKubeconfig } = await import('./commands/kubeconfig.js');
        return runKubeconfig(ctx, opts);
      }),
    );

  command(
    'node',
    'stop or start a virtual node: stop kills it as a dying machine would; start brings it back',
  )
    .argument('<action>', 'stop|start')
    .argument('<name>', "the node's name (podvisor get nodes / kubectl get nodes)")
    .action(
      run(async (ctx, action: string, name: string) => {
        const { runNode } = await import('./commands/node.js');
        return runNode(ctx, action, name);
      }),
    );

  const rollout = command('rollout', "a deployment's rollout: status, undo, history (as kubectl rollout)");
  const rolloutAction = (action: 'status' | 'undo' | 'history', description: string): Command =>
    namespaceOption(rollout.command(action).description(description))
      .argument('<resource>', 'deploy/NAME (or deployment NAME)')
      .argument('[names...]')
      .action(
        run(async (ctx, resource: string, names: string[], opts: Record<string, unknown>) => {
          const { runRollout } = await import('./commands/rollout.js');
          return runRollout(ctx, action, resource, names, opts);
        }),
      );
  rolloutAction('status', 'wait until the rollout is done, printing its progress')
    .option('-w, --watch [bool]', 'watch until done (default true)', bool, true)
    .option('--timeout <duration>', 'give up after this long (0: never)', goDuration);
  rolloutAction('undo', 'roll back to the previous revision (or --to-revision)').option(
    '--to-revision <n>',
    'the revision to roll back to (0: the previous one)',
    integer,
  );
  rolloutAction('history', 'list the revisions with their change-cause');

  // Every argument after `check` goes to the check's own parser (it has kind-specific flags and
  // its own -h); only the global --server/--token/--state-dir are taken by the program.
  command(
    'check',
    "one check now, with its verdict and timing: http|tcp|grpc|exec|log|silence|conn, pod/NAME ('podvisor check -h')",
  )
    .helpOption(false)
    .allowUnknownOption()
    .allowExcessArguments()
    .argument('[args...]')
    .action(
      run(async (ctx, args: string[]) => {
        const { runCheckCommand } = await import('./commands/check.js');
        return runCheckCommand(ctx, args);
      }),
    );

  command('lint', 'probe-configuration advice for manifests: findings with why and fix, detection times')
    .argument('[paths...]', 'manifest files or folders, - for standard input')
    .option('-f, --filename <path>', 'manifest file, folder or - (repeatable)', collect, [])
    .addOption(new Option('-o, --output <format>', 'json instead of the human report').choices(['json']))
    .action(
      run(async (ctx, paths: string[], opts: Record<string, unknown>) => {
        const { runLint } = await import('./commands/lint.js');
        return runLint(ctx, paths, opts);
      }),
    );
  return program;
}

export async function main(argv: string[], io: CliIO = processIO()): Promise<number> {
  let result = EXIT_OK;
  const program = buildProgram(io, (code) => {
    result = code;
  });
  try {
    await program.parseAsync(argv, { from: 'user' });
    return result;
  } catch (err) {
    if (err instanceof CommanderError) {
      if (err.code === 'commander.helpDisplayed' || err.code === 'commander.version') return EXIT_OK;
      if (err.code === 'commander.executeSubCommandAsync') return EXIT_ERROR;
      return EXIT_USAGE; // commander already printed what was wrong and the --help hint
    }
    if (err instanceof CliError) {
      io.stderr.write(`${err.message}\n`);
      return err.exitCode;
    }
    io.stderr.write(`error: ${(err as Error).message ?? String(err)}\n`);
    return EXIT_ERROR;
  }
}
