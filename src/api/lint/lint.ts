import type { LoadedObject } from '../manifests.js';
import { PodvisorAnnotation } from '../podvisor-annotations.js';
import { describeProbeShort, PROBE_FIELDS } from './handler.js';
import { loadErrorFindings, loadWarningFindings } from './load-findings.js';
import { objectRef, probedContainers, type ProbedContainer } from './probed-containers.js';
import { containerFindings } from './rules-container.js';
import { probeFindings, type FindingDraft } from './rules-probe.js';
import { SourceLines } from './source-lines.js';
import { detectionTime, probeParams, startupWindow } from './timing.js';
import type {
  ContainerTimings,
  LintFinding,
  LintOptions,
  LintReport,
  ProbeTiming,
  Severity,
} from './types.js';

export type * from './types.js';
export { LINT_RULES } from './types.js';

/** What manifest loading gave: the admitted objects and its `file:line: …` errors and warnings. */
export interface LoadedManifests {
  objects: readonly LoadedObject[];
  errors: readonly string[];
  warnings: readonly string[];
}

const SEVERITY_ORDER: Record<Severity, number> = { error: 0, warning: 1, info: 2 };

/**
 * Lints loaded manifests: every probe of every container of Pods and of Deployment / ReplicaSet /
 * ReplicationController templates (sidecars included), plus the loading errors as error findings.
 * Pure: no I/O.
 */
export function lintManifests(loaded: LoadedManifests, options: LintOptions = {}): LintReport {
  const lines = options.sources ? new SourceLines(options.sources) : undefined;
  const findings: LintFinding[] = [...loadErrorFindings(loaded.errors, lines)];
  const warned = loadWarningFindings(loaded.warnings, lines);
  for (const { objectLine, ...f } of warned.findings) {
    const owner = loaded.objects.find((o) => o.file === f.file && o.line === objectLine);
    findings.push({ ...f, object: owner ? objectRef(owner.object) : '' });
  }
  const containers: ContainerTimings[] = [];
  for (const item of loaded.objects) {
    const object = objectRef(item.object);
    for (const pc of probedContainers(item.object)) {
      const at = (fieldPath: string): number => lines?.lineOf(item.file, item.line, fieldPath) ?? item.line;
      const place = (d: FindingDraft): LintFinding => ({
        severity: d.severity,
        rule: d.rule,
        file: item.file,
        line: at(d.fieldPath),
        object,
        container: pc.container.name,
        fieldPath: d.fieldPath,
        message: d.message,
        why: d.why,
        fix: d.fix,
      });
      findings.push(...containerLint(item, pc, options).map(place));
      const timings = containerTimings(pc, at);
      if (timings.length > 0) {
        containers.push({
          file: item.file,
          line: at(pc.path),
          object,
          container: pc.container.name,
          fieldPath: pc.path,
          probes: timings,
          startupWindow: startupWindow(pc.container.startupProbe, pc.container.livenessProbe),
          killGraceSeconds:
            pc.container.livenessProbe?.terminationGracePeriodSeconds ??
            pc.podSpec.terminationGracePeriodSeconds ??
            30,
        });
      }
    }
  }
  findings.sort(
    (a, b) =>
      a.file.localeCompare(b.file) ||
      a.line - b.line ||
      SEVERITY_ORDER[a.severity] - SEVERITY_ORDER[b.severity] ||
      a.fieldPath.localeCompare(b.fieldPath) ||
      a.rule.localeCompare(b.rule),
  );
  const count = (s: Severity): number => findings.filter((f) => f.severity === s).length;
  return {
    apiVersion: 'podvisor.io/v1alpha1',
    kind: 'LintReport',
    summary: {
      errors: count('error'),
      warnings: count('warning'),
      infos: count('info'),
      objects: loaded.objects.length,
      notes: warned.notes.length,
    },
    findings,
    containers,
    notes: warned.notes,
  };
}

function containerLint(item: LoadedObject, pc: ProbedContainer, options: LintOptions): FindingDraft[] {
  const out: FindingDraft[] = [];
  for (const { kind, field } of PROBE_FIELDS) {
    const probe = pc.container[field];
    if (!probe) continue;
    out.push(
      ...probeFindings({
        kind,
        probe,
        path: `${pc.path}.${field}`,
        container: pc.container,
        podSpec: pc.podSpec,
        objectKind: item.object.kind,
        restartBudget: item.object.metadata.annotations?.[PodvisorAnnotation.livenessRestartBudget],
        checks: options.checks,
      }),
    );
  }
  out.push(...containerFindings(pc.container, pc.path));
  return out;
}

function containerTimings(pc: ProbedContainer, at: (fieldPath: string) => number): ProbeTiming[] {
  const out: ProbeTiming[] = [];
  for (const { kind, field } of PROBE_FIELDS) {
    const probe = pc.container[field];
    if (!probe) continue;
    const fieldPath = `${pc.path}.${field}`;
    out.push({
      probe: kind,
      fieldPath,
      line: at(fieldPath),
      description: describeProbeShort(probe),
      detect:
        kind === 'startup'
          ? (startupWindow(probe, undefined) ?? detectionTime(probeParams(probe)))
          : detectionTime(probeParams(probe)),
    });
  }
  return out;
}
