import type { FieldError, FieldErrorType } from '../api/validation.js';
import { formatFieldError, formatInvalid } from '../api/validation.js';
import { StoreError } from '../store/types.js';

/**
 * Kubernetes `Status` objects (apimachinery metav1.Status) and the API errors that become them.
 * kubectl prints `message` as given, so the wording follows pkg/api/errors.
 */

export interface StatusCause {
  reason: string;
  message: string;
  field: string;
}

export interface StatusDetails {
  name?: string;
  group?: string;
  kind?: string;
  uid?: string;
  causes?: StatusCause[];
}

export interface StatusObject {
  kind: 'Status';
  apiVersion: 'v1';
  metadata: Record<string, never>;
  status: 'Failure' | 'Success';
  message?: string;
  reason?: string;
  details?: StatusDetails;
  /** Absent on the Success status of a DELETE, as the apiserver sends it. */
  code?: number;
}

/** An HTTP-level API failure; any StoreError is turned into one of these by `statusOf`. */
export class ApiError extends Error {
  constructor(
    readonly code: number,
    readonly reason: string,
    message: string,
    readonly details?: StatusDetails,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

export function failureStatus(
  code: number,
  reason: string,
  message: string,
  details?: StatusDetails,
): StatusObject {
  const st: StatusObject = {
    kind: 'Status',
    apiVersion: 'v1',
    metadata: {},
    status: 'Failure',
    message,
    reason,
  };
  if (details) st.details = details;
  st.code = code;
  return st;
}

export function successStatus(details: StatusDetails): StatusObject {
  return { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success', details };
}

/** The Status for any thrown value: API errors keep their code; anything else is a 500. */
export function statusOf(err: unknown): StatusObject {
  if (err instanceof ApiError) return failureStatus(err.code, err.reason, err.message, err.details);
  if (err instanceof StoreError) return failureStatus(err.code, err.reason, err.message, err.details);
  const text = err instanceof Error ? err.message : String(err);
  return failureStatus(500, 'InternalError', `Internal error occurred: ${text}`, {
    causes: [{ reason: '', message: text, field: '' }],
  });
}

export const badRequest = (message: string): ApiError => new ApiError(400, 'BadRequest', message);

/** For paths that name no resource (genericapiserver's NotFound handler). */
export const pathNotFound = (): ApiError =>
  new ApiError(404, 'NotFound', 'the server could not find the requested resource', {});

export const methodNotAllowed = (): ApiError =>
  new ApiError(
    405,
    'MethodNotAllowed',
    'the server does not allow this method on the requested resource',
    {},
  );

const CAUSE_TYPES: Readonly<Record<FieldErrorType, string>> = {
  'Invalid value': 'FieldValueInvalid',
  'Required value': 'FieldValueRequired',
  'Unsupported value': 'FieldValueNotSupported',
  Forbidden: 'FieldValueForbidden',
  'Duplicate value': 'FieldValueDuplicate',
  'Not found': 'FieldValueNotFound',
  'Too long': 'FieldValueTooLong',
  'Internal error': 'InternalError',
};

/** apierrors.NewInvalid: 422 with one cause per field error (message = the error without its field). */
export function invalid(kind: string, name: string, errors: FieldError[], group?: string): ApiError {
  const causes = errors.map((e) => {
    const full = formatFieldError(e);
    const prefix = `${e.field}: `;
    return {
      reason: CAUSE_TYPES[e.type] ?? 'FieldValueInvalid',
      message: full.startsWith(prefix) ? full.slice(prefix.length) : full,
      field: e.field,
    };
  });
  const details: StatusDetails = group ? { name, group, kind, causes } : { name, kind, causes };
  return new ApiError(422, 'Invalid', formatInvalid(kind, name, errors), details);
}
