/** A child process serving hostile targets for a test file (see target-host-main.ts). */
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { EpochStall } from './starvation.js';
import type { TargetSpec, TargetStats } from './targets.js';
import type { HostCommand, HostReply, HostRequest } from './target-host-main.js';

export interface RemoteTarget {
  host: string;
  port: number;
  stats(): Promise<TargetStats>;
  /** Waits (up to 3 s) until the server sees every connection closed; returns how many stay open. */
  waitAllClosed(): Promise<number>;
}

type Pending = (reply: HostReply) => void;

export class TargetHost {
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();

  private constructor(private readonly child: ChildProcess) {
    child.on('message', (reply: HostReply) => {
      const done = this.pending.get(reply.id);
      this.pending.delete(reply.id);
      done?.(reply);
    });
  }

  static async start(): Promise<TargetHost> {
    const main = fileURLToPath(new URL('./target-host-main.ts', import.meta.url));
    const child = fork(main, ['podvisor-hostile-target-host'], {
      execArgv: ['--import', 'tsx'],
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    await new Promise<void>((resolve, reject) => {
      child.once('spawn', () => resolve());
      child.once('error', reject);
    });
    return new TargetHost(child);
  }

  private call(req: HostCommand): Promise<HostReply> {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, (reply) => {
        if (reply.error !== undefined) reject(new Error(`target host: ${reply.error}`));
        else resolve(reply);
      });
      const message: HostRequest = { ...req, id };
      this.child.send(message);
    });
  }

  async target(spec: TargetSpec): Promise<RemoteTarget> {
    const { port } = await this.call({ op: 'start', spec });
    if (port === undefined) throw new Error(`target host: no port for ${spec.kind}`);
    const stats = async (): Promise<TargetStats> => {
      const reply = await this.call({ op: 'stats', port });
      if (reply.stats === undefined) throw new Error('target host: no stats');
      return reply.stats;
    };
    return {
      host: spec.host,
      port,
      stats,
      async waitAllClosed() {
        const deadline = Date.now() + 3000;
        let open = (await stats()).openConnections;
        while (open > 0 && Date.now() < deadline) {
          await new Promise((resolve) => setTimeout(resolve, 25));
          open = (await stats()).openConnections;
        }
        return open;
      },
    };
  }

  /** When the targets' process waited for a CPU, since an epoch time. */
  async stalls(sinceEpochMs: number): Promise<EpochStall[]> {
    return (await this.call({ op: 'stalls', sinceEpochMs })).stalls ?? [];
  }

  async stop(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => this.child.once('exit', () => resolve()));
    this.child.kill('SIGKILL');
    await exited;
  }
}
