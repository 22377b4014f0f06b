import { spawn, type ChildProcess } from 'node:child_process';
import { stat } from 'node:fs';
import type { Readable } from 'node:stream';
import { formatGoDuration } from '../util/duration.js';
import { startDeadline } from './deadline.js';
import { asSystemError, errnoText, goQuote, type NodeSystemError } from './go-text.js';
import { PROBE_OUTPUT_LIMIT, type ProbeOutcome } from './types.js';

export interface ExecProbeRequest {
  argv: string[];
  env: Record<string, string>;
  cwd: string;
  timeoutMs: number;
  /**
   * Aborting ends the probe at once: its process group is SIGKILLed and the outcome is an error
   * (so a kubelet discards it). The kubelet aborts when a worker stops, e.g. at shutdown, so no
   * probe process outlives podvisor.
   */
  signal?: AbortSignal;
}

/** The error of a probe ended by its caller (never counted: it is an error, spec §2.6). */
export const PROBE_CANCELLED = 'probe cancelled: the probe worker stopped';

/** Spawn errors that mean "this binary cannot run": a Failure, not an infrastructure error. */
const BINARY_ERRORS = new Set(['ENOENT', 'EACCES', 'ENOTDIR', 'ENOEXEC', 'EISDIR', 'ELOOP']);

/** Signal a whole process group; a group that is already gone is not an error. */
export function killProcessGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    // ESRCH: nothing left to signal. EPERM cannot happen for our own children.
  }
}

/**
 * One exec probe (spec §3.3): argv run directly (no shell) in its own process group with the
 * container's env and cwd. Output is stdout then stderr, 10 KiB in total. Exit 0 is Success,
 * any other exit Failure; a timeout is a Failure with the cri-client text and SIGKILLs the
 * group. The verdict follows the process *exit*, not EOF on its pipes: once the leader exits
 * its group is killed, so a background child holding the pipes (e2e A11) neither delays the
 * verdict nor outlives the probe. Never rejects.
 */
export function probeExec(req: ExecProbeRequest): Promise<ProbeOutcome> {
  // The timeout covers starting the process too (CRI ExecSync's context does): a fork that is
  // slow on a loaded machine must not add to the time the probe gets.
  const startedAt = performance.now();
  return new Promise((resolve) => {
    const file = req.argv[0];
    if (req.signal?.aborted) {
      resolve({ result: 'unknown', output: '', error: PROBE_CANCELLED });
      return;
    }
    if (file === undefined || file === '') {
      resolve({ result: 'unknown', output: '', error: 'exec: no command' });
      return;
    }
    let child: ChildProcess;
    try {
      child = spawn(file, req.argv.slice(1), {
        env: req.env,
        cwd: req.cwd === '' ? undefined : req.cwd,
        detached: true,
        stdio: ['ignore', 'pipe', 'pipe'],
      });
    } catch (err) {
      spawnFailure(asSystemError(err), file, req.cwd, resolve);
      return;
    }
    new ExecRun(req, child, resolve, startedAt).watch();
  });
}

/** Keeps at most `limit` bytes and drops the rest, while the stream keeps flowing. */
class CappedSink {
  private readonly chunks: Buffer[] = [];
  size = 0;
  constructor(private readonly limit: number) {}
  push(chunk: Buffer): void {
    const room = this.limit - this.size;
    if (room <= 0) return;
    const kept = chunk.length > room ? chunk.subarray(0, room) : chunk;
    this.chunks.push(kept);
    this.size += kept.length;
  }
  bytes(): Buffer {
    return Buffer.concat(this.chunks, this.size);
  }
}

class ExecRun {
  private settled = false;
  private exited: { code: number | null } | undefined;
  private readonly cancelDeadline: () => void;
  // Each stream keeps up to the full limit: stdout's final length is unknown while stderr flows.
  private readonly stdout = new CappedSink(PROBE_OUTPUT_LIMIT);
  private readonly stderr = new CappedSink(PROBE_OUTPUT_LIMIT);
  private readonly onAbort = (): void => this.cancel();

  constructor(
    private readonly req: ExecProbeRequest,
    private readonly child: ChildProcess,
    private readonly resolve: (o: ProbeOutcome) => void,
    startedAt: number,
  ) {
    this.cancelDeadline = startDeadline(req.timeoutMs, () => this.onDeadline(), startedAt);
    req.signal?.addEventListener('abort', this.onAbort, { once: true });
  }

  private settle(outcome: ProbeOutcome): void {
    if (this.settled) return;
    this.settled = true;
    this.cancelDeadline();
    this.req.signal?.removeEventListener('abort', this.onAbort);
    this.resolve(outcome);
  }

  private cancel(): void {
    if (this.settled) return;
    if (this.child.pid !== undefined) killProcessGroup(this.child.pid, 'SIGKILL');
    destroyStdio(this.child);
    this.settle({ result: 'unknown', output: '', error: PROBE_CANCELLED });
  }

  watch(): void {
    const { child } = this;
    attach(child.stdout, this.stdout);
    attach(child.stderr, this.stderr);
    child.on('error', (err) => {
      // Only a failed spawn leaves pid unset; later errors (failed kill) change nothing.
      if (child.pid !== undefined || this.settled) return;
      this.cancelDeadline(); // the verdict is the spawn error, even if naming it takes a stat
      destroyStdio(child);
      spawnFailure(asSystemError(err), this.req.argv[0] ?? '', this.req.cwd, (o) => this.settle(o));
    });
    child.on('exit', (code) => {
      this.exited = { code };
      // The probe's group must not leave children behind (and they may hold our pipes open).
      if (child.pid !== undefined) killProcessGroup(child.pid, 'SIGKILL');
    });
    // 'close' = exited and both pipes drained, so the output is complete.
    child.on('close', () => this.finishWithExit());
  }

  private onDeadline(): void {
    if (this.settled) return;
    if (this.exited !== undefined) {
      // Exited in time but something outside the group still holds the pipes: decide now, with
      // what the pipes already hold. On a loaded machine the exit can be seen before the output
      // written ahead of it is read (CI: one verdict of 1,000 had an empty output); the next
      // poll phase reads it, and the second immediate runs after that phase.
      setImmediate(() => setImmediate(() => this.finishWithExit()));
      return;
    }
    if (this.child.pid !== undefined) killProcessGroup(this.child.pid, 'SIGKILL');
    destroyStdio(this.child);
    const cmd = goQuote(this.req.argv.join(' '));
    const output = `command timed out: ${cmd} timed out after ${formatGoDuration(this.req.timeoutMs)}`;
    this.settle({ result: 'failure', output });
  }

  private finishWithExit(): void {
    if (this.settled || this.exited === undefined) return;
    destroyStdio(this.child);
    const all = Buffer.concat([this.stdout.bytes(), this.stderr.bytes()]);
    const output = all.subarray(0, PROBE_OUTPUT_LIMIT).toString('utf8');
    // A signal death has no exit code: Go's ExitStatus() is -1 then, i.e. a Failure too.
    this.settle({ result: this.exited.code === 0 ? 'success' : 'failure', output });
  }
}

function attach(stream: Readable | null, sink: CappedSink): void {
  if (stream === null) return;
  stream.on('data', (chunk: Buffer) => sink.push(chunk));
  stream.on('error', () => undefined);
}

function destroyStdio(child: ChildProcess): void {
  child.stdout?.destroy();
  child.stderr?.destroy();
}

/**
 * Spawn failures in Go's wording (os/exec): a missing binary looked up in PATH is
 * `exec: "x": executable file not found in $PATH`; one given by path is
 * `fork/exec /x: no such file or directory`. A missing working directory is reported as
 * `chdir /dir: no such file or directory` (clearer than Go's fork/exec text for the same
 * errno). ENOENT/EACCES and friends are Failures (spec §3.3 recommendation); anything else
 * (EAGAIN, EMFILE, ...) is an infrastructure error: Unknown with the error, retried (§2.6).
 */
function spawnFailure(
  err: NodeSystemError,
  file: string,
  cwd: string,
  resolve: (o: ProbeOutcome) => void,
): void {
  const code = err.code ?? '';
  if (!BINARY_ERRORS.has(code)) {
    const text = code === '' ? err.message : `fork/exec ${file}: ${errnoText(err)}`;
    resolve({ result: 'unknown', output: '', error: text });
    return;
  }
  const byPath = file.includes('/');
  const describe = (): string =>
    byPath || code !== 'ENOENT'
      ? `fork/exec ${file}: ${errnoText(err)}`
      : `exec: ${goQuote(file)}: executable file not found in $PATH`;
  if (code !== 'ENOENT' || cwd === '') {
    resolve({ result: 'failure', output: describe() });
    return;
  }
  // Node reports a missing cwd as ENOENT of the command; tell the two apart.
  stat(cwd, (statErr) => {
    if (statErr !== null) {
      resolve({ result: 'failure', output: `chdir ${cwd}: ${errnoText(asSystemError(statErr))}` });
    } else {
      resolve({ result: 'failure', output: describe() });
    }
  });
}
