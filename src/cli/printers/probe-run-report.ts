import type { ProbeRunReport } from '../../api/probe-history.js';
import { tabulate, DESCRIBE_TABWRITER } from '../tabwriter.js';

/** Milliseconds as describe prints durations: `3ms`, `1.2s`. */
export function formatLatency(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)}ms`;
  return `${(ms / 1000).toFixed(1)}s`;
}

/** `podvisor check pod/NAME`: the run's verdict, latency, the kubelet's message and when it would act. */
export function formatProbeRunReport(r: ProbeRunReport): string {
  const current =
    r.current.result === 'None' ? 'none counted yet' : `${r.current.result} × ${r.current.count}`;
  const lines = [
    `Pod:\t${r.namespace}/${r.pod}`,
    `Container:\t${r.container} (${r.containerID})`,
    `Probe:\t${r.probeType.toLowerCase()} ${r.handler}`,
    `Verdict:\t${r.verdict}`,
    `Latency:\t${formatLatency(r.latencyMs)}`,
    `Output:\t${oneLine(r.output) || '<none>'}`,
    `Kubelet message:\t${oneLine(r.kubeletMessage) || '<none: the kubelet records no event for this result>'}`,
    `Worker's run:\t${current}`,
    `Would act:\t${r.wouldAct}`,
  ];
  return tabulate(`${lines.join('\n')}\n`, DESCRIBE_TABWRITER);
}

/** Multi-line output on one line, as an event message column shows it. */
function oneLine(text: string): string {
  return text.replace(/\s*\n\s*/g, ' ').trim();
}
