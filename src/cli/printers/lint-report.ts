import { formatSeconds } from '../../api/lint/timing.js';
import type {
  ContainerTimings,
  LintFinding,
  LintReport,
  ProbeTiming,
  Severity,
  Timing,
} from '../../api/lint/lint.js';

/**
 * `podvisor lint`'s human output: grouped by object and container, each probe with its worst-case
 * detection time, then the findings with why and fix. Colour only on a terminal.
 */

const COLOURS: Record<Severity, string> = { error: '\x1b[31m', warning: '\x1b[33m', info: '\x1b[36m' };
const RESET = '\x1b[0m';

interface Group {
  file: string;
  line: number;
  object: string;
  fileFindings: LintFinding[];
  containers: Map<string, { timings?: ContainerTimings; findings: LintFinding[] }>;
}

/** The arithmetic part of a formula: `periodSeconds + … = 5 + 2×5 + 1` → `5 + 2×5 + 1`. */
function arithmetic(t: Timing): string {
  const i = t.formula.lastIndexOf(' = ');
  return i >= 0 ? t.formula.slice(i + 3) : t.formula;
}

function probeLines(p: ProbeTiming, grace: number): string[] {
  const label = `${p.probe}:`.padEnd(11);
  const what =
    p.probe === 'liveness'
      ? `a dead app is detected within ${formatSeconds(p.detect.seconds)} (${arithmetic(p.detect)}), then SIGTERM, SIGKILL ${formatSeconds(grace)} later at most`
      : p.probe === 'readiness'
        ? `a dead app leaves its Services within ${formatSeconds(p.detect.seconds)} (${arithmetic(p.detect)})`
        : `a start-up gets ${formatSeconds(p.detect.seconds)} (${arithmetic(p.detect)}) before the kill`;
  return [`    ${label}${p.description}`, `    ${' '.repeat(11)}${what}`];
}

function windowLine(t: ContainerTimings): string {
  if (!t.startupWindow) return '    start-up window: unlimited (no startup or liveness probe)';
  const how = t.startupWindow.formula.startsWith('no startupProbe')
    ? 'no startupProbe: liveness initialDelaySeconds + detection'
    : 'startupProbe initialDelaySeconds + failureThreshold × periodSeconds';
  return `    start-up window: ${formatSeconds(t.startupWindow.seconds)} (${how} = ${arithmetic(t.startupWindow)})`;
}

function findingLines(f: LintFinding, indent: string, colour: boolean): string[] {
  const sev = f.severity.toUpperCase();
  const head = colour ? `${COLOURS[f.severity]}${sev}${RESET}` : sev;
  const where = f.fieldPath ? ` ${f.fieldPath}` : '';
  return [
    `${indent}${head} ${f.rule}${where} (${f.file}${f.line > 0 ? `:${f.line}` : ''})`,
    `${indent}  ${f.message}`,
    `${indent}  why: ${f.why}`,
    `${indent}  fix: ${f.fix}`,
  ];
}

export function formatLintReport(report: LintReport, opts: { colour: boolean }): string {
  const groups = new Map<string, Group>();
  const groupOf = (file: string, line: number, object: string): Group => {
    const key = `${file}\u0000${object || `:${line}`}`;
    let g = groups.get(key);
    if (!g) {
      g = { file, line, object, fileFindings: [], containers: new Map() };
      groups.set(key, g);
    }
    g.line = Math.min(g.line, line);
    return g;
  };
  for (const t of report.containers) {
    const g = groupOf(t.file, t.line, t.object);
    g.containers.set(t.container, { timings: t, findings: [] });
  }
  for (const f of report.findings) {
    const g = groupOf(f.file, f.line, f.object);
    if (f.container === undefined) {
      g.fileFindings.push(f);
      continue;
    }
    const c = g.containers.get(f.container) ?? { findings: [] };
    c.findings.push(f);
    g.containers.set(f.container, c);
  }
  const ordered = [...groups.values()].sort((a, b) => a.file.localeCompare(b.file) || a.line - b.line);
  const out: string[] = [];
  for (const g of ordered) {
    out.push(g.object ? `${g.object} (${g.file})` : `${g.file}${g.line > 0 ? `:${g.line}` : ''}`);
    for (const f of g.fileFindings) out.push(...findingLines(f, '  ', opts.colour));
    for (const [name, c] of g.containers) {
      const line = c.timings?.line ?? c.findings[0]?.line;
      out.push(`  container ${name}${line ? ` (line ${line})` : ''}`);
      if (c.timings) {
        for (const p of c.timings.probes) out.push(...probeLines(p, c.timings.killGraceSeconds));
        out.push(windowLine(c.timings));
      }
      for (const f of c.findings) out.push(...findingLines(f, '    ', opts.colour));
    }
    out.push('');
  }
  const s = report.summary;
  const plural = (n: number, word: string): string => `${n} ${word}${n === 1 ? '' : 's'}`;
  out.push(
    `${plural(s.objects, 'object')} linted: ${plural(s.errors, 'error')}, ${plural(s.warnings, 'warning')}, ` +
      `${plural(s.infos, 'info')}.`,
  );
  if (report.containers.length > 0) {
    out.push(
      'Detection times are worst cases from the app going dead, right after a passing probe: periodSeconds + ' +
        '(failureThreshold-1) × max(periodSeconds, timeoutSeconds) + timeoutSeconds (spec §2.1, §2.2).',
    );
  }
  if (s.notes > 0) {
    out.push(
      `${plural(s.notes, 'note')} about running under podvisor (e.g. images are not pulled) left out: podvisor apply prints them, -o json lists them.`,
    );
  }
  return `${out.join('\n')}\n`;
}
