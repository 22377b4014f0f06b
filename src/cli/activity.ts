import type { Event, KubeObject, Pod } from '../api/types.js';
import type { ObjectStore, Watch } from '../store/types.js';
import type { TextSink } from './io.js';
import { eventStreamLine, podStateKey, podStateLine, type StreamStyle } from './printers/node-stream.js';
import { summarizePod } from './printers/pods-table.js';

/**
 * What `podvisor up` shows while it runs: every new or updated Event, and a line whenever a pod's
 * STATUS, READY or RESTARTS changes (nothing for status writes that change none of them).
 */
export interface ActivityObserver {
  onEvent?(ev: Event): void;
  onPod?(pod: Pod): void;
}

export function streamActivity(
  store: ObjectStore,
  out: TextSink,
  style: StreamStyle,
  observer: ActivityObserver = {},
  now: () => number = Date.now,
): { stop(): void } {
  const lastKey = new Map<string, string>();
  const watches: Watch[] = [
    store.watch<KubeObject>('events', {}, (ev) => {
      if (ev.type !== 'ADDED' && ev.type !== 'MODIFIED') return;
      const event = ev.object as unknown as Event;
      out.write(eventStreamLine(event, now(), style));
      observer.onEvent?.(event);
    }),
    store.watch<KubeObject>('pods', {}, (ev) => {
      const pod = ev.object as unknown as Pod;
      const id = pod.metadata?.uid ?? `${pod.metadata?.namespace}/${pod.metadata?.name}`;
      if (ev.type === 'DELETED') {
        lastKey.delete(id);
        out.write(podStateLine(pod, now(), style, true));
        return;
      }
      if (ev.type !== 'ADDED' && ev.type !== 'MODIFIED') return;
      const key = podStateKey(pod);
      // A pod the kubelet has not reported on yet has no STATUS to show.
      if (summarizePod(pod).status !== '' && lastKey.get(id) !== key) {
        lastKey.set(id, key);
        out.write(podStateLine(pod, now(), style));
      }
      observer.onPod?.(pod);
    }),
  ];
  return { stop: () => watches.forEach((w) => w.stop()) };
}
