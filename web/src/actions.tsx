/**
 * The dashboard's writes, each behind an in-page confirmation (no window.confirm: a dialog in the
 * page is styled, testable, and names exactly what will happen). They are the same requests the CLI
 * makes: DELETE a pod, a merge patch of deployments/scale, the `podvisor.io/probes-paused-until`
 * annotation of `podvisor probes pause/resume`.
 */
import type { ComponentChildren } from 'preact';
import { useState } from 'preact/hooks';
import { api } from './api.js';

const MERGE_PATCH = 'application/merge-patch+json';
const PAUSE_ANNOTATION = 'podvisor.io/probes-paused-until';

const seg = (s: string): string => encodeURIComponent(s);

export async function deletePod(namespace: string, name: string): Promise<void> {
  await api('DELETE', `/api/v1/namespaces/${seg(namespace)}/pods/${seg(name)}`);
}

export async function scaleDeployment(namespace: string, name: string, replicas: number): Promise<void> {
  if (!Number.isInteger(replicas) || replicas < 0)
    throw new Error(`replicas must be a whole number ≥ 0, not ${replicas}`);
  await api(
    'PATCH',
    `/apis/apps/v1/namespaces/${seg(namespace)}/deployments/${seg(name)}/scale`,
    { spec: { replicas } },
    MERGE_PATCH,
  );
}

/** RFC 3339 in whole seconds, rounded up so the pause lasts at least `minutes` (as the CLI does). */
function pauseEnd(minutes: number, now: number): string {
  const until = Math.ceil((now + minutes * 60_000) / 1000) * 1000;
  return new Date(until).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

export async function pauseProbes(namespace: string, name: string, minutes: number): Promise<void> {
  if (!(minutes > 0)) throw new Error(`the pause must last more than 0 minutes, not ${minutes}`);
  await api(
    'PATCH',
    `/api/v1/namespaces/${seg(namespace)}/pods/${seg(name)}`,
    { metadata: { annotations: { [PAUSE_ANNOTATION]: pauseEnd(minutes, Date.now()) } } },
    MERGE_PATCH,
  );
}

export async function resumeProbes(namespace: string, name: string): Promise<void> {
  await api(
    'PATCH',
    `/api/v1/namespaces/${seg(namespace)}/pods/${seg(name)}`,
    { metadata: { annotations: { [PAUSE_ANNOTATION]: null } } },
    MERGE_PATCH,
  );
}

export interface ConfirmButtonProps {
  /** The button's text, e.g. "Delete". */
  label: string;
  /** What will happen, shown in the dialog, e.g. "Delete pod default/web-1?". */
  question: string;
  /** Runs on confirmation; a rejection is shown in the dialog. */
  action: () => Promise<void>;
  danger?: boolean;
  disabled?: boolean;
  /** data-testid of the button (the dialog's buttons are `confirm-yes` / `confirm-no`). */
  testId?: string;
  children?: ComponentChildren;
}

/** A button that asks first: a small in-page dialog with the question, Confirm / Cancel and any error. */
export function ConfirmButton(props: ConfirmButtonProps) {
  const [open, setOpen] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | undefined>();
  const confirm = async (): Promise<void> => {
    setBusy(true);
    setError(undefined);
    try {
      await props.action();
      setOpen(false);
    } catch (e) {
      setError(e instanceof Error ? e.message : String(e));
    } finally {
      setBusy(false);
    }
  };
  return (
    <span class="confirm">
      <button
        type="button"
        class={props.danger ? 'danger' : ''}
        disabled={props.disabled || open}
        data-testid={props.testId}
        onClick={() => {
          setError(undefined);
          setOpen(true);
        }}
      >
        {props.label}
      </button>
      {open && (
        <div class="dialog" role="dialog" aria-modal="true" aria-label={props.question}>
          <p>{props.question}</p>
          {props.children}
          {error && (
            <p class="error" role="alert">
              {error}
            </p>
          )}
          <div class="dialog-buttons">
            <button
              type="button"
              class={props.danger ? 'danger' : 'primary'}
              disabled={busy}
              data-testid="confirm-yes"
              onClick={() => void confirm()}
            >
              {busy ? 'Working…' : 'Confirm'}
            </button>
            <button type="button" disabled={busy} data-testid="confirm-no" onClick={() => setOpen(false)}>
              Cancel
            </button>
          </div>
        </div>
      )}
    </span>
  );
}

/** Replicas input + confirmed Scale button, for the Deployments view (`data-testid="scale-NAME"`). */
export function ScaleControl(props: { namespace: string; name: string; replicas: number }) {
  const [replicas, setReplicas] = useState(String(props.replicas));
  const n = Number(replicas);
  const valid = replicas.trim() !== '' && Number.isInteger(n) && n >= 0;
  return (
    <span class="scale">
      <input
        type="number"
        min={0}
        step={1}
        value={replicas}
        aria-label={`replicas of ${props.name}`}
        data-testid={`scale-input-${props.name}`}
        onInput={(e) => setReplicas((e.target as HTMLInputElement).value)}
      />
      <ConfirmButton
        label="Scale"
        testId={`scale-${props.name}`}
        disabled={!valid || n === props.replicas}
        question={`Scale deployment ${props.namespace}/${props.name} from ${props.replicas} to ${replicas} replicas?`}
        action={() => scaleDeployment(props.namespace, props.name, n)}
      />
    </span>
  );
}
