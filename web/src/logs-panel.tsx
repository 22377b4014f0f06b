import { useEffect, useRef, useState } from 'preact/hooks';
import { ApiFailure, streamLines } from './api.js';

const TAIL_LINES = 500;
/** A follow keeps at most this many lines on the page (a chatty container must not eat the tab). */
const KEEP_LINES = 2000;

type Mode = 'current' | 'previous' | 'follow';

/** A container's log: the current instance, the previous one (`?previous=true`), or followed live. */
export function LogsPanel(props: { namespace: string; pod: string; containers: string[] }) {
  const [container, setContainer] = useState(props.containers[0] ?? '');
  const [mode, setMode] = useState<Mode>('current');
  const [reload, setReload] = useState(0);
  const [lines, setLines] = useState<string[]>([]);
  const [state, setState] = useState<{ loading: boolean; error?: string }>({ loading: true });
  const pre = useRef<HTMLPreElement>(null);

  useEffect(() => {
    if (!props.containers.includes(container) && props.containers[0]) setContainer(props.containers[0]);
  }, [props.containers.join(','), container]);

  useEffect(() => {
    if (!container) return undefined;
    const abort = new AbortController();
    const buffer: string[] = [];
    let scheduled = false;
    // Batch the lines of one burst into one render.
    const flush = (): void => {
      scheduled = false;
      if (buffer.length > KEEP_LINES) buffer.splice(0, buffer.length - KEEP_LINES);
      setLines([...buffer]);
    };
    setLines([]);
    setState({ loading: true });
    const query = new URLSearchParams({ container, tailLines: String(TAIL_LINES) });
    if (mode === 'previous') query.set('previous', 'true');
    if (mode === 'follow') query.set('follow', 'true');
    const path = `/api/v1/namespaces/${encodeURIComponent(props.namespace)}/pods/${encodeURIComponent(props.pod)}/log?${query.toString()}`;
    streamLines(
      path,
      (line) => {
        buffer.push(line);
        if (!scheduled) {
          scheduled = true;
          requestAnimationFrame(flush);
        }
      },
      abort.signal,
    )
      .then(() => {
        flush();
        setState({ loading: false });
      })
      .catch((e: unknown) => {
        if (abort.signal.aborted) return;
        const message = e instanceof ApiFailure || e instanceof Error ? e.message : String(e);
        setState({ loading: false, error: message });
      });
    return () => abort.abort();
  }, [props.namespace, props.pod, container, mode, reload]);

  useEffect(() => {
    if (mode === 'follow' && pre.current) pre.current.scrollTop = pre.current.scrollHeight;
  }, [lines, mode]);

  return (
    <section class="panel" data-testid="logs-panel">
      <div class="toolbar">
        <h3>Logs</h3>
        {props.containers.length > 1 && (
          <select value={container} onChange={(e) => setContainer((e.target as HTMLSelectElement).value)}>
            {props.containers.map((c) => (
              <option key={c} value={c}>
                {c}
              </option>
            ))}
          </select>
        )}
        <div class="segmented">
          <button type="button" class={mode === 'current' ? 'on' : ''} onClick={() => setMode('current')}>
            current
          </button>
          <button
            type="button"
            class={mode === 'previous' ? 'on' : ''}
            data-testid="logs-previous"
            onClick={() => setMode('previous')}
          >
            previous
          </button>
          {mode === 'follow' ? (
            <button type="button" class="on" data-testid="logs-stop" onClick={() => setMode('current')}>
              stop following
            </button>
          ) : (
            <button type="button" data-testid="logs-follow" onClick={() => setMode('follow')}>
              follow
            </button>
          )}
        </div>
        {mode !== 'follow' && (
          <button type="button" onClick={() => setReload((n) => n + 1)}>
            reload
          </button>
        )}
        <span class="muted">last {TAIL_LINES} lines</span>
      </div>
      {state.error && <p class="error">{state.error}</p>}
      <pre ref={pre} class="logs" data-testid="logs">
        {lines.length
          ? lines.join('\n')
          : state.loading
            ? mode === 'follow'
              ? 'Following: new lines appear here.'
              : 'Loading…'
            : state.error
              ? ''
              : '(empty log)'}
      </pre>
    </section>
  );
}
