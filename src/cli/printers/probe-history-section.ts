import type { ProbeHistory, ProbeHistoryEntry, ProbeRecord } from '../../api/probe-history.js';
import { DESCRIBE_TABWRITER, tabulate } from '../tabwriter.js';
import { formatLatency } from './probe-run-report.js';
import { since } from './time.js';

/** Results shown per probe in `describe pod` (the API keeps up to 100). */
export const DESCRIBE_RESULTS_PER_PROBE = 10;
/** Longest message shown on a result line. */
const MESSAGE_CHARS = 120;

/**
 * describe pod's "Probe History:" section (issue 5 item 2), from podvisor.io ProbeHistory:
 * per container and probe the last results as compact lines
 * `12s ago  failure  1.0s  HTTP probe failed with statuscode: 500  (2/3)`, then the restarts
 * probes caused with the verdicts that caused them. Empty when the pod has no probes.
 */
export function describeProbeHistory(history: ProbeHistory, now: number): string {
  if (history.probes.length === 0 && history.restarts.length === 0) return '';
  let text = 'Probe History:\n';
  for (const p of history.probes) {
    text += `  ${p.container} ${p.probeType.toLowerCase()}:\t${p.handler} period=${p.periodSeconds}s #failure=${p.failureThreshold}\n`;
    const shown = p.results.slice(-DESCRIBE_RESULTS_PER_PROBE);
    if (shown.length === 0) text += '    <no results yet>\n';
    for (const r of shown) text += `    ${resultLine(r, p, now)}\n`;
  }
  if (history.restarts.length > 0) {
    text += '  Restarts caused by probes:\n';
    for (const restart of history.restarts) {
      text += `    ${since(restart.time, now)} ago\t${restart.container} ${restart.probeType.toLowerCase()}\t${restart.message}\n`;
      const entry = history.probes.find(
        (p) => p.container === restart.container && p.probeType === restart.probeType,
      );
      for (const v of restart.verdicts) text += `      ${resultLine(v, entry, now)}\n`;
    }
  }
  return tabulate(text, DESCRIBE_TABWRITER);
}

function resultLine(r: ProbeRecord, p: ProbeHistoryEntry | undefined, now: number): string {
  const cells = [`${since(r.time, now)} ago`, r.verdict, formatLatency(r.latencyMs)];
  const message = oneLine(r.message);
  cells.push(message.length > MESSAGE_CHARS ? `${message.slice(0, MESSAGE_CHARS - 1)}…` : message);
  const notes: string[] = [];
  if (r.verdict === 'failure' && p && !r.paused) notes.push(`(${r.consecutive}/${p.failureThreshold})`);
  if (r.paused) notes.push('[paused: not counted]');
  if (r.acted) notes.push(`[→ ${r.acted}]`);
  if (notes.length > 0) cells.push(notes.join(' '));
  return cells.join('  ');
}

function oneLine(text: string): string {
  return text.replace(/\s*\n\s*/g, ' ').trim();
}
