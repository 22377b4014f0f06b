import { goQuote } from '../util/goquote.js';

/**
 * Field errors in apimachinery's format (util/validation/field/errors.go), spec §1.2.
 * `toString()` of an error: `<field.path>: <Type>: <value>: <detail>`.
 */
export type FieldErrorType =
  | 'Invalid value'
  | 'Required value'
  | 'Unsupported value'
  | 'Forbidden'
  | 'Duplicate value'
  | 'Not found'
  | 'Too long'
  | 'Internal error';

export interface FieldError {
  type: FieldErrorType;
  /** e.g. `spec.containers[0].livenessProbe.successThreshold` */
  field: string;
  /** Printed bare for numbers/booleans, Go-%q-quoted for strings; omitted for Required/Forbidden/Too long/Internal. */
  value?: unknown;
  detail: string;
}

/** Error types whose value apimachinery never prints (ErrorBody). */
const VALUE_OMITTED: ReadonlySet<FieldErrorType> = new Set([
  'Required value',
  'Forbidden',
  'Too long',
  'Internal error',
]);

export function formatFieldError(e: FieldError): string {
  let body: string = e.type;
  if (!VALUE_OMITTED.has(e.type)) body += `: ${formatGoValue(e.value)}`;
  if (e.detail !== '') body += `: ${e.detail}`;
  return `${e.field}: ${body}`;
}

/**
 * `Pod "web" is invalid: <e1>` or `Pod "web" is invalid: [<e1>, <e2>]` (apierrors.NewInvalid).
 * Identical messages are printed once, as ErrorList.ToAggregate does.
 */
export function formatInvalid(kind: string, name: string, errors: FieldError[]): string {
  const messages = [...new Set(errors.map(formatFieldError))];
  // Callers pass metadata.name of untrusted input: `name: 1` is itself one of the errors listed.
  const head = `${kind} ${goQuote(typeof name === 'string' ? name : '')} is invalid`;
  if (messages.length === 0) return head;
  if (messages.length === 1) return `${head}: ${messages[0]}`;
  return `${head}: [${messages.join(', ')}]`;
}

/** A value already in Go's %#v form (e.g. `map[string]string{"app":"web"}`), printed as it is. */
export class GoSyntax {
  constructor(readonly text: string) {}
  toJSON(): string {
    return this.text;
  }
}

/** How apimachinery prints a bad value: simple types with %v, strings with %q, nil as null. */
function formatGoValue(value: unknown): string {
  if (value === undefined || value === null) return 'null';
  if (value instanceof GoSyntax) return value.text;
  if (typeof value === 'string') return goQuote(value);
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint')
    return String(value);
  return JSON.stringify(value) ?? String(value);
}

// Constructors named after apimachinery's field.Required, field.Invalid, ... so validation code reads
// like the Kubernetes code it mirrors.

export function required(field: string, detail = ''): FieldError {
  return { type: 'Required value', field, detail };
}

export function invalid(field: string, value: unknown, detail: string): FieldError {
  return { type: 'Invalid value', field, value, detail };
}

export function forbidden(field: string, detail: string): FieldError {
  return { type: 'Forbidden', field, detail };
}

export function duplicate(field: string, value: unknown): FieldError {
  return { type: 'Duplicate value', field, value, detail: '' };
}

export function notFound(field: string, value: unknown): FieldError {
  return { type: 'Not found', field, value, detail: '' };
}

export function notSupported(field: string, value: unknown, supported: readonly string[]): FieldError {
  const detail = supported.length > 0 ? `supported values: ${supported.map(goQuote).join(', ')}` : '';
  return { type: 'Unsupported value', field, value, detail };
}

export function tooLong(field: string, maxBytes: number): FieldError {
  return { type: 'Too long', field, detail: `must have at most ${maxBytes} bytes` };
}
