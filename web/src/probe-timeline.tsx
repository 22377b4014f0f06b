/**
 * The probe timeline: every probe result of one container as a mark over the last minutes, one row
 * per probe type, with the failure runs that reached failureThreshold and the restarts drawn on it.
 * One SVG scaled as a whole (so rows and restart lines stay aligned and marks stay round), colours
 * from classes and geometry from SVG attributes: nothing inline, so it renders under `style-src 'self'`.
 * Hover text is SVG `<title>`, which needs no script.
 */
import { useState } from 'preact/hooks';
import type { Pod, Probe, ProbeType } from '../../src/api/types.js';
import type { ProbeHistory } from '../../src/api/probe-history.js';
import {
  DEFAULT_WINDOW_MIN,
  TIMELINE_WINDOWS_MIN,
  axisTicks,
  buildTimeline,
  type TimelineExtras,
  type TimelineMark,
  type TimelineRow,
} from './timeline-model.js';
import './views.css';

const W = 1000;
const LABEL_H = 18;
const STRIP_H = 26;
const ROW_GAP = 10;
const ROW_H = LABEL_H + STRIP_H + ROW_GAP;
/** A lane above the rows for the restart markers' heads, clear of the row labels. */
const RESTART_LANE = 10;
const AXIS_H = 18;

export function ProbeTimeline(props: {
  history: ProbeHistory | undefined;
  container: string;
  now: number;
  /** Optional: the pod, for initialDelaySeconds in the probe line and the last exit as a restart. */
  pod?: Pod;
}) {
  const [windowMin, setWindowMin] = useState(DEFAULT_WINDOW_MIN);
  const windowMs = windowMin * 60_000;
  const model = buildTimeline(
    props.history,
    props.container,
    props.now,
    windowMs,
    extrasOf(props.pod, props.container),
  );

  if (model.rows.length === 0) {
    return (
      <div class="tl tl-empty" data-testid="probe-timeline">
        {props.history
          ? `Container ${props.container} has no probes: the kubelet treats it as ready once it runs.`
          : 'No probe history yet.'}
      </div>
    );
  }

  const height = RESTART_LANE + model.rows.length * ROW_H + AXIS_H;
  const stripsBottom = RESTART_LANE + model.rows.length * ROW_H - ROW_GAP;
  return (
    <div class="tl" data-testid="probe-timeline">
      <div class="tl-toolbar">
        <span class="tl-legend">
          <span class="tl-key tl-key-success">success</span>
          <span class="tl-key tl-key-warning">warning</span>
          <span class="tl-key tl-key-failure">failure</span>
          <span class="tl-key tl-key-error">error / unknown</span>
          <span class="tl-key tl-key-paused">paused</span>
          <span class="tl-key tl-key-restart">restart</span>
        </span>
        <span class="segmented tl-windows" role="group" aria-label="time window">
          {TIMELINE_WINDOWS_MIN.map((m) => (
            <button
              key={m}
              type="button"
              class={m === windowMin ? 'on' : ''}
              aria-pressed={m === windowMin}
              onClick={() => setWindowMin(m)}
            >
              {m}m
            </button>
          ))}
        </span>
      </div>
      <svg
        class="tl-svg"
        viewBox={`0 0 ${W} ${height}`}
        width="100%"
        role="img"
        aria-label={`probe timeline of ${props.container}`}
      >
        {model.rows.map((row, i) => (
          <Row key={row.probeType} row={row} top={RESTART_LANE + i * ROW_H} windowMs={windowMs} />
        ))}
        {model.restarts.map((r) => (
          <g
            key={`${r.cause}@${r.time}`}
            class={`tl-restart tl-restart-${r.cause === 'exit' ? 'exit' : 'probe'}`}
            data-testid="timeline-restart"
          >
            <title>{r.title}</title>
            <line
              x1={r.x * W}
              x2={r.x * W}
              y1={RESTART_LANE}
              y2={stripsBottom + 2}
              vector-effect="non-scaling-stroke"
            />
            <path d={`M${r.x * W - 5} 1 h10 l-5 8 z`} />
          </g>
        ))}
        <g class="tl-axis" transform={`translate(0 ${stripsBottom + 4})`}>
          <line x1={0} x2={W} y1={0} y2={0} />
          {axisTicks(windowMs).map((t) => (
            <g key={t.label} transform={`translate(${t.x * W} 0)`}>
              <line y1={0} y2={4} />
              <text y={14} text-anchor={t.x === 0 ? 'start' : t.x === 1 ? 'end' : 'middle'}>
                {t.label}
              </text>
            </g>
          ))}
        </g>
      </svg>
    </div>
  );
}

function Row(props: { row: TimelineRow; top: number; windowMs: number }) {
  const { row, top } = props;
  const y0 = top + LABEL_H;
  // A mark is at most 70 % of the distance between two runs, so a steady probe reads as a comb.
  const barW = Math.min(8, Math.max(1.5, ((row.periodSeconds * 1000) / props.windowMs) * W * 0.7));
  const c = row.counts;
  const summary = `${c.success + c.warning} ok · ${c.failure} failed${c.warning ? ` (${c.warning} warnings)` : ''}${c.error + c.unknown ? ` · ${c.error + c.unknown} errors` : ''}`;
  return (
    <g class={`tl-row tl-row-${row.probeType.toLowerCase()}`} data-probe={row.probeType}>
      <text class="tl-label" x={0} y={top + 13}>
        <tspan class="tl-type">{row.probeType}</tspan>
        <tspan class="tl-line" dx={10}>
          {row.line}
        </tspan>
        <tspan class="tl-summary" dx={14}>
          {summary}
        </tspan>
      </text>
      <rect class="tl-strip" x={0} y={y0} width={W} height={STRIP_H} rx={3} />
      <line class="tl-threshold" x1={0} x2={W} y1={y0 + 1} y2={y0 + 1}>
        <title>{`failureThreshold ${row.failureThreshold}: a failure bar reaching this line is the one that acts`}</title>
      </line>
      {row.runs.map((run) => {
        // Padded by a bar's width each side so the band frames its marks, but kept inside the strip.
        const x0 = Math.max(0, run.x0 * W - barW);
        const x1 = Math.min(W, run.x1 * W + barW);
        return (
          <rect key={run.start} class="tl-run" x={x0} y={y0} width={x1 - x0} height={STRIP_H}>
            <title>{run.title}</title>
          </rect>
        );
      })}
      {row.marks.map((m) => (
        <Mark key={m.time} mark={m} y0={y0} barW={barW} failureThreshold={row.failureThreshold} />
      ))}
    </g>
  );
}

/**
 * Successes and other verdicts are short bars; a counted failure grows with its consecutive count
 * and touches the threshold line when it reaches failureThreshold, so "3 strikes" is visible.
 */
function Mark(props: { mark: TimelineMark; y0: number; barW: number; failureThreshold: number }) {
  const { mark, y0, barW } = props;
  let h = STRIP_H - 10;
  if (mark.kind === 'failure' && !mark.paused) {
    h = 6 + (STRIP_H - 7) * Math.min(1, mark.consecutive / Math.max(1, props.failureThreshold));
  }
  const cls = `tl-mark tl-${mark.kind}${mark.paused ? ' tl-paused' : ''}${mark.acted ? ` tl-acted-${mark.acted.toLowerCase()}` : ''}`;
  return (
    <g class={cls} data-kind={mark.kind}>
      <title>{mark.title}</title>
      <rect
        x={mark.x * W - barW / 2}
        y={y0 + STRIP_H - h}
        width={barW}
        height={h}
        rx={Math.min(1.5, barW / 2)}
      />
      {mark.acted ? <circle class="tl-acted" cx={mark.x * W} cy={y0 + 4} r={2.5} /> : null}
    </g>
  );
}

function extrasOf(pod: Pod | undefined, container: string): TimelineExtras {
  if (!pod) return {};
  const spec =
    pod.spec?.containers.find((c) => c.name === container) ??
    pod.spec?.initContainers?.find((c) => c.name === container);
  const probes: Partial<Record<ProbeType, Probe | undefined>> = {
    Startup: spec?.startupProbe,
    Liveness: spec?.livenessProbe,
    Readiness: spec?.readinessProbe,
  };
  const status = [
    ...(pod.status?.containerStatuses ?? []),
    ...(pod.status?.initContainerStatuses ?? []),
  ].find((s) => s.name === container);
  const extras: TimelineExtras = { probes };
  const term = status?.lastState?.terminated;
  if (term) extras.lastTermination = term;
  if (pod.spec?.terminationGracePeriodSeconds !== undefined)
    extras.terminationGracePeriodSeconds = pod.spec.terminationGracePeriodSeconds;
  return extras;
}
