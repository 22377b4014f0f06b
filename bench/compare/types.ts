/**
 * Issue 6: the same scenarios on podvisor and on the supervisors people would otherwise use, in one
 * run, printed as one table. Every scenario module returns ScenarioReports; report.ts prints them.
 */

/** Who was measured. `podvisor` is always one of them; the ratio column is podvisor / peer. */
export type Subject = 'podvisor' | 'pm2' | 'supervisord' | 'monit' | 'bare-loop';

export interface Measurement {
  /** e.g. `S1 crash → replacement answering HTTP`, `S3 RSS, 200 idle, no probes`. */
  metric: string;
  subject: Subject;
  unit: 'ms' | 'MiB' | '% of a core' | 'probes/s' | 'count';
  /** Every sample (≥ 25 for timed scenarios); a single reading is a one-element array. */
  samples: number[];
  /** Why a subject has no figure (not installed, not root, cannot do HTTP checks). */
  skipped?: string;
  note?: string;
}

export interface TargetCheck {
  /** e.g. `S1 ≤ 1.1× the bare respawn loop`. */
  target: string;
  met: boolean;
  detail: string;
}

export interface ScenarioReport {
  /** `S1`, `S2`, `S2'`, `S3`, `S4`, `S5`. */
  id: string;
  title: string;
  measurements: Measurement[];
  targets: TargetCheck[];
  /** The exact configuration given to each subject (manifest, ecosystem file, supervisord.conf, monitrc). */
  configs: { subject: Subject; text: string }[];
  /** Facts a reader needs: the semantic floor, machine load, what was skipped and why. */
  notes: string[];
  /** The command that reruns just this scenario. */
  rerun: string;
}
