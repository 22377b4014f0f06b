import type { ContainerStatus, Event, Pod } from '../../src/api/types.js';
import type { ProbeHistory } from '../../src/api/probe-history.js';
import { useState } from 'preact/hooks';
import { ConfirmButton, deletePod, pauseProbes, resumeProbes } from './actions.js';
import { useListWatch } from './api.js';
import {
  backOffRemainingMs,
  countdownText,
  describeState,
  parseTime,
  podRow,
  probesPausedUntil,
  since,
  statusTone,
} from './format.js';
import { LogsPanel } from './logs-panel.js';
import { useNow } from './now.js';
import { ProbeTimeline } from './probe-timeline.js';

type Named<T> = T & { metadata: { name: string } };

const byName = (name: string): string => `fieldSelector=${encodeURIComponent(`metadata.name=${name}`)}`;

/** `#/pods/NS/NAME`: the pod's containers, probe timelines, events and logs, all live. */
export function PodDetail(props: { namespace: string; name: string }) {
  const ns = encodeURIComponent(props.namespace);
  const pods = useListWatch<Named<Pod>>(`/api/v1/namespaces/${ns}/pods?${byName(props.name)}`);
  // One pod's history, not the namespace's: each event carries the whole current history
  // (~150 KiB with three probes), so a namespace-wide watch would stream every pod's.
  const histories = useListWatch<Named<ProbeHistory>>(
    `/apis/podvisor.io/v1alpha1/namespaces/${ns}/probehistories?${byName(props.name)}`,
  );
  const now = useNow();
  const pod = pods.items?.find((p) => p.metadata.name === props.name);
  const history = histories.items?.find((h) => h.metadata.name === props.name);

  if (!pods.items)
    return <p class="muted">{pods.error ? `Cannot read the pod: ${pods.error}` : 'Loading…'}</p>;
  if (!pod)
    return (
      <section>
        <p>
          Pod <span class="mono">{`${props.namespace}/${props.name}`}</span> does not exist (any more).{' '}
          <a href="#/pods">Back to pods</a>
        </p>
      </section>
    );

  const row = podRow(pod, now);
  const statuses = new Map((pod.status?.containerStatuses ?? []).map((s) => [s.name, s]));
  const initStatuses = new Map((pod.status?.initContainerStatuses ?? []).map((s) => [s.name, s]));
  const containers = [
    ...(pod.spec?.initContainers ?? []).map((c) => ({
      name: c.name,
      init: true,
      status: initStatuses.get(c.name),
    })),
    ...(pod.spec?.containers ?? []).map((c) => ({ name: c.name, init: false, status: statuses.get(c.name) })),
  ];
  return (
    <section data-testid="pod-detail">
      <div class="toolbar">
        <h2 class="mono">
          <a href="#/pods">pods</a> / {props.namespace} / {props.name}
        </h2>
        <span class={`status ${statusTone(row.status)}`} data-testid="detail-status">
          {row.status}
        </span>
        <span>ready {row.ready}</span>
        <span>restarts {row.restarts}</span>
        <span class="muted">age {row.age}</span>
        <span class="spacer" />
        <ProbePauseControls pod={pod} now={now} />
        <ConfirmButton
          label="Delete pod"
          danger
          testId="delete-pod"
          question={`Delete pod ${props.namespace}/${props.name}? Its controller (if any) will replace it.`}
          action={() => deletePod(props.namespace, props.name)}
        />
      </div>
      {containers.map((c) => (
        <ContainerCard
          key={c.name}
          name={c.name}
          init={c.init}
          status={c.status}
          now={now}
          history={history}
          pod={pod}
        />
      ))}
      <EventsTable namespace={props.namespace} name={props.name} now={now} />
      <LogsPanel namespace={props.namespace} pod={props.name} containers={containers.map((c) => c.name)} />
    </section>
  );
}

function ProbePauseControls(props: { pod: Named<Pod>; now: number }) {
  const [minutes, setMinutes] = useState('30');
  const { namespace = 'default', name } = props.pod.metadata;
  const until = probesPausedUntil(props.pod, props.now);
  if (until !== undefined)
    return (
      <span class="paused">
        probes paused for {countdownText(until - props.now)}{' '}
        <ConfirmButton
          label="Resume probes"
          testId="resume-probes"
          question={`Resume the liveness and startup probes of ${namespace}/${name} now? A failing probe will restart the container.`}
          action={() => resumeProbes(namespace, name)}
        />
      </span>
    );
  const n = Number(minutes);
  return (
    <ConfirmButton
      label="Pause probes"
      testId="pause-probes"
      question={`Pause the liveness and startup probes of ${namespace}/${name}? They will not restart it while paused.`}
      action={() => pauseProbes(namespace, name, n)}
    >
      <label>
        for{' '}
        <input
          type="number"
          min={1}
          value={minutes}
          class="narrow"
          onInput={(e) => setMinutes((e.target as HTMLInputElement).value)}
        />{' '}
        minutes
      </label>
    </ConfirmButton>
  );
}

function ContainerCard(props: {
  name: string;
  init: boolean;
  status: ContainerStatus | undefined;
  now: number;
  history: ProbeHistory | undefined;
  pod: Pod;
}) {
  const s = props.status;
  const backOff = s ? backOffRemainingMs(s, props.now) : undefined;
  const last = s?.lastState?.terminated;
  return (
    <article class="panel container" data-testid="container" data-container={props.name}>
      <div class="toolbar">
        <h3 class="mono">
          {props.name}
          {props.init ? ' (init)' : ''}
        </h3>
        <span class={s?.ready ? 'status ok' : 'status warn'}>{s?.ready ? 'ready' : 'not ready'}</span>
        <span data-testid="container-restarts">restarts {s?.restartCount ?? 0}</span>
      </div>
      <dl class="facts">
        <dt>State</dt>
        <dd data-testid="container-state">{describeState(s?.state, props.now)}</dd>
        {backOff !== undefined && (
          <>
            <dt>Back-off</dt>
            <dd data-testid="backoff-countdown" class="status bad">
              {backOff > 0 ? `restarting in ${countdownText(backOff)}` : 'restarting now'}
            </dd>
          </>
        )}
        <dt>Last state</dt>
        <dd data-testid="container-last-state">
          {last ? describeState({ terminated: last }, props.now) : 'none'}
        </dd>
      </dl>
      <ProbeTimeline history={props.history} container={props.name} now={props.now} pod={props.pod} />
    </article>
  );
}

function EventsTable(props: { namespace: string; name: string; now: number }) {
  const selector = encodeURIComponent(`involvedObject.name=${props.name}`);
  const { items, error } = useListWatch<Named<Event>>(
    `/api/v1/namespaces/${encodeURIComponent(props.namespace)}/events?fieldSelector=${selector}`,
  );
  const time = (e: Event): number =>
    parseTime(e.lastTimestamp) ?? parseTime(e.eventTime) ?? parseTime(e.metadata.creationTimestamp) ?? 0;
  const events = [...(items ?? [])].sort((a, b) => time(a) - time(b));
  return (
    <section class="panel">
      <h3>Events</h3>
      {error && <p class="error">{error}</p>}
      <table class="grid" data-testid="events-table">
        <thead>
          <tr>
            <th>LAST SEEN</th>
            <th>TYPE</th>
            <th>REASON</th>
            <th>COUNT</th>
            <th>MESSAGE</th>
          </tr>
        </thead>
        <tbody>
          {events.map((e) => (
            <tr key={e.metadata.name} class={e.type === 'Warning' ? 'warning' : ''}>
              <td>{since(new Date(time(e)).toISOString(), props.now)}</td>
              <td>{e.type}</td>
              <td>{e.reason}</td>
              <td>{e.count ?? 1}</td>
              <td class="message">{e.message}</td>
            </tr>
          ))}
          {items && events.length === 0 && (
            <tr>
              <td colSpan={5} class="muted">
                No events.
              </td>
            </tr>
          )}
        </tbody>
      </table>
    </section>
  );
}
