import { eventSortTime } from '../api/event-summary.js';
import type { Event, KubeObject, Pod } from '../api/types.js';
import type { ObjectStore } from '../store/types.js';
import { FRAME_EVENTS, type FrameInput } from './terminal-frame.js';
import { LiveScreen, type TerminalLike } from './terminal-screen.js';

export type ChangeType = 'ADDED' | 'MODIFIED' | 'DELETED';

/** Events kept beyond the ones shown, so a deleted or re-sorted one still leaves ten. */
const EVENTS_KEPT = FRAME_EVENTS * 5;

/** The pods and latest events the live view shows, kept current from a watch (store or API). */
export class LiveViewState {
  private readonly pods = new Map<string, Pod>();
  private readonly events = new Map<string, Event>();

  applyPod(type: ChangeType, pod: Pod): void {
    const key = keyOf(pod);
    if (type === 'DELETED') this.pods.delete(key);
    else this.pods.set(key, pod);
  }

  applyEvent(type: ChangeType, ev: Event): void {
    const key = keyOf(ev);
    if (type === 'DELETED') {
      this.events.delete(key);
      return;
    }
    this.events.set(key, ev);
    // Only the latest are ever shown: an hour of events (the store's retention) is not kept here.
    if (this.events.size > EVENTS_KEPT * 2) {
      const keep = [...this.events.entries()]
        .sort(([, a], [, b]) => eventSortTime(a) - eventSortTime(b))
        .slice(-EVENTS_KEPT);
      this.events.clear();
      for (const [k, e] of keep) this.events.set(k, e);
    }
  }

  /** A fresh list replaces what a watch had built (a relist after the watch ended). */
  resetPods(pods: readonly Pod[]): void {
    this.pods.clear();
    for (const p of pods) this.applyPod('ADDED', p);
  }

  resetEvents(events: readonly Event[]): void {
    this.events.clear();
    for (const e of events) this.applyEvent('ADDED', e);
  }

  frame(title: string, server: string, now: number): FrameInput {
    return { title, server, pods: [...this.pods.values()], events: [...this.events.values()], now };
  }
}

function keyOf(obj: Pod | Event): string {
  const meta = obj.metadata;
  return meta?.uid ?? `${meta?.namespace ?? ''}/${meta?.name ?? ''}`;
}

/**
 * `podvisor up` in a terminal: the live view of the node's own store on the alternate screen,
 * redrawn on every pod or event change (at most ~10 times a second) and every second for the
 * ages. `stop()` puts the terminal back as it was.
 */
export function startStoreLiveView(
  store: ObjectStore,
  terminal: TerminalLike,
  header: { title: string; server: string },
): { stop(): void } {
  const state = new LiveViewState();
  const screen = new LiveScreen(terminal, () => state.frame(header.title, header.server, Date.now()));
  const watches = [
    store.watch<KubeObject>('pods', {}, (ev) => {
      if (ev.type !== 'ADDED' && ev.type !== 'MODIFIED' && ev.type !== 'DELETED') return;
      state.applyPod(ev.type, ev.object as unknown as Pod);
      screen.changed();
    }),
    store.watch<KubeObject>('events', {}, (ev) => {
      if (ev.type !== 'ADDED' && ev.type !== 'MODIFIED' && ev.type !== 'DELETED') return;
      state.applyEvent(ev.type, ev.object as unknown as Event);
      screen.changed();
    }),
  ];
  // The watches start empty: the objects already in the store come from a list.
  state.resetPods(store.list<KubeObject>('pods').items as unknown as Pod[]);
  state.resetEvents(store.list<KubeObject>('events').items as unknown as Event[]);
  screen.start();
  return {
    stop: () => {
      for (const w of watches) w.stop();
      screen.stop();
    },
  };
}
