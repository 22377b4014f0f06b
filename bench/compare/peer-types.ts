import type { Subject } from './types.js';

/**
 * The peers (PM2, supervisord, monit, a bare Node respawn loop) behind one interface, so every
 * scenario runs the same app the same way on each. Implemented in bench/compare/peers/.
 */
export interface AppSpec {
  name: string;
  /** argv of the app (argv[0] absolute, e.g. process.execPath). */
  argv: string[];
  env: Record<string, string>;
  /** The HTTP port the app listens on (127.0.0.1), when it serves HTTP. */
  port?: number;
  /** An HTTP liveness check, for the subjects that have one (podvisor, monit). */
  httpCheck?: { path: string; periodSeconds: number; timeoutSeconds: number; failureThreshold: number };
}

export interface RunningSupervisor {
  subject: Subject;
  /** The supervisor's own process(es): RSS and CPU are summed over these (not the apps). */
  supervisorPids(): number[];
  /** The app instances' current pids, by app name. */
  appPids(): Promise<Map<string, number>>;
  /** The configuration it was given, printed in the report. */
  configText: string;
  stop(): Promise<void>;
}

export interface PeerSupervisor {
  subject: Subject;
  /** Installs what is missing (npm on demand; apt as root); `ok: false` names why it cannot run. */
  prepare(): Promise<{ ok: true; version: string } | { ok: false; reason: string }>;
  start(apps: AppSpec[], workDir: string): Promise<RunningSupervisor>;
}
