/**
 * The one table of issue 6: every scenario's measurements as a Markdown table (one row per metric,
 * one column per subject: median / p90 / max, or the single reading, and the ratio podvisor/peer),
 * then the target checks, notes, each subject's exact configuration and the rerun commands.
 * Plain text that pastes into bench/README.md.
 */
import type { Measurement, ScenarioReport, Subject, TargetCheck } from './types.js';

const COLUMNS: readonly Subject[] = ['podvisor', 'pm2', 'supervisord', 'monit', 'bare-loop'];
/** Skip reasons longer than this go to a numbered footnote under the table. */
const INLINE_REASON = 28;

export function median(xs: number[]): number {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
}

/** Nearest-rank percentile (as bench/harness.ts). */
export function percentile(xs: number[], p: number): number {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))]!;
}

/** A target "podvisor's median ≤ factor × the peer's median". */
export function ratioTarget(target: string, podvisor: number[], peer: number[], factor: number): TargetCheck {
  if (podvisor.length === 0 || peer.length === 0)
    return {
      target,
      met: false,
      detail: `not measured (${podvisor.length ? 'peer' : 'podvisor'} has no samples)`,
    };
  const a = median(podvisor);
  const b = median(peer);
  return {
    target,
    met: a <= factor * b,
    detail: `podvisor ${num(a)} vs ${num(b)}: ${(a / b).toFixed(2)}× (limit ${factor}×)`,
  };
}

/** A target "median of `values` ≤ limit". */
export function limitTarget(target: string, values: number[], limit: number, unit: string): TargetCheck {
  if (values.length === 0) return { target, met: false, detail: 'not measured' };
  const m = median(values);
  return { target, met: m <= limit, detail: `median ${num(m)} ${unit} (limit ${num(limit)} ${unit})` };
}

function num(n: number): string {
  if (!Number.isFinite(n)) return 'n/a';
  const abs = Math.abs(n);
  const digits = abs >= 100 ? 0 : abs >= 10 ? 1 : abs >= 1 ? 2 : 3;
  return n.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

function unitSuffix(unit: Measurement['unit']): string {
  return unit === 'count' ? '' : unit === '% of a core' ? ' %' : ` ${unit}`;
}

function figure(m: Measurement): string {
  const u = unitSuffix(m.unit);
  if (m.samples.length === 1) return `${num(m.samples[0]!)}${u}`;
  return `${num(median(m.samples))}${u} / ${num(percentile(m.samples, 90))} / ${num(Math.max(...m.samples))} (n=${m.samples.length})`;
}

/** Markdown cells must not contain a bare `|` or a newline. */
function cell(s: string): string {
  return s.replace(/\|/g, '\\|').replace(/\n/g, ' ');
}

function table(reports: ScenarioReport[], footnotes: string[]): string {
  const present = COLUMNS.filter((s) => reports.some((r) => r.measurements.some((m) => m.subject === s)));
  const lines = [
    `| scenario | metric | ${present.join(' | ')} |`,
    `|---|---|${present.map(() => '---').join('|')}|`,
  ];
  const footnote = (text: string): string => {
    let i = footnotes.indexOf(text);
    if (i === -1) i = footnotes.push(text) - 1;
    return `[${i + 1}]`;
  };
  for (const r of reports) {
    const metrics = [...new Set(r.measurements.map((m) => m.metric))];
    for (const metric of metrics) {
      const byS = new Map(r.measurements.filter((m) => m.metric === metric).map((m) => [m.subject, m]));
      const pv = byS.get('podvisor');
      const pvMedian = pv && !pv.skipped && pv.samples.length ? median(pv.samples) : NaN;
      const cells = present.map((s) => {
        const m = byS.get(s);
        if (!m) return '';
        if (m.skipped || m.samples.length === 0) {
          const why = m.skipped ?? 'no samples';
          return `— ${why.length <= INLINE_REASON ? why : footnote(`${s}: ${why}`)}`;
        }
        let text = figure(m);
        const med = median(m.samples);
        if (s !== 'podvisor' && Number.isFinite(pvMedian) && med !== 0)
          text += ` · **${(pvMedian / med).toFixed(2)}×**`;
        if (m.note) text += ` ${footnote(`${s}, ${metric}: ${m.note}`)}`;
        return cell(text);
      });
      lines.push(`| ${r.id} | ${cell(metric)} | ${cells.join(' | ')} |`);
    }
  }
  return lines.join('\n');
}

/** The full comparison as plain text (Markdown). */
export function printComparison(reports: ScenarioReport[]): string {
  const footnotes: string[] = [];
  const out: string[] = [];
  out.push('## podvisor side by side (issue 6)', '');
  out.push(
    'Each cell: median / p90 / max (n = samples), or the single reading; **r×** = podvisor ÷ that subject (median); — = not measured, with the reason.',
    '',
  );
  out.push(table(reports, footnotes));
  if (footnotes.length) out.push('', ...footnotes.map((f, i) => `[${i + 1}] ${f}`));
  out.push('', '### Targets', '');
  const targets = reports.flatMap((r) => r.targets);
  if (targets.length === 0) out.push('(none)');
  for (const t of targets) out.push(`- ${t.met ? 'met' : 'MISSED'}: ${t.target} — ${t.detail}`);
  out.push('', '### Notes', '');
  for (const r of reports) {
    out.push(`**${r.id}** ${r.title}`, '');
    for (const n of r.notes) out.push(`- ${n}`);
    out.push('');
  }
  out.push('### Configurations', '');
  // the same text (e.g. a peer's config shared by S2 and S2') is printed once
  const seen = new Map<string, string[]>();
  for (const r of reports)
    for (const c of r.configs) {
      const key = `${c.subject}\n${c.text}`;
      seen.set(key, [...(seen.get(key) ?? []), r.id]);
    }
  for (const [key, ids] of seen) {
    const nl = key.indexOf('\n');
    out.push(
      `#### ${key.slice(0, nl)} (${ids.join(', ')})`,
      '',
      '```',
      key.slice(nl + 1).trimEnd(),
      '```',
      '',
    );
  }
  out.push('### Rerun', '');
  for (const cmd of [...new Set(reports.map((r) => r.rerun))]) out.push(`- \`${cmd}\``);
  if (reports.length > 1) out.push(`- all of them: \`npm run bench -- compare\``);
  return out.join('\n');
}
