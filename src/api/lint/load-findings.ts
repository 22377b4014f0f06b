import type { SourceLines } from './source-lines.js';
import type { LintFinding } from './types.js';

/**
 * Manifest loading reports its problems as text (`file:line: message`, the way apply prints them);
 * lint turns each into a finding so that a bad manifest is reported in the same words, with a
 * rule id, and — for validation errors — one finding per field, at the field's line.
 */

const FIELD_ERROR_TYPES =
  'Invalid value|Required value|Unsupported value|Forbidden|Duplicate value|Not found|Too long|Too many|Internal error';
const FIELD_ERROR = new RegExp(
  `(?:^\\[|^|, )([A-Za-z<][\\w.\\[\\]<>/-]*): (?=(?:${FIELD_ERROR_TYPES}))`,
  'g',
);
/** `Pod "web" is invalid: …`; Kubernetes names workloads with their group (`Deployment.apps`). */
const INVALID = /^(\w+)(?:\.[\w.]+)? "([^"]*)" is invalid: (.*)$/s;

function splitLocation(text: string): { file: string; line: number; message: string } {
  const at = /^(.*?):(\d+): (.*)$/s.exec(text);
  if (at) return { file: at[1] ?? '', line: Number(at[2]), message: at[3] ?? '' };
  const missing = /^the path "(.*)" does not exist$/.exec(text);
  if (missing) return { file: missing[1] ?? '', line: 0, message: text };
  const fileOnly = /^(.*?): (.*)$/s.exec(text);
  if (fileOnly && !fileOnly[1]?.includes(' '))
    return { file: fileOnly[1] ?? '', line: 0, message: fileOnly[2] ?? '' };
  return { file: '', line: 0, message: text };
}

/** `Pod "x" is invalid: [a: Invalid value: …, b: Required value]` → one entry per field error. */
function fieldErrors(list: string): { field: string; text: string }[] {
  const starts = [...list.matchAll(FIELD_ERROR)];
  return starts.map((m, i) => {
    const next = starts[i + 1];
    let text = list.slice((m.index ?? 0) + m[0].length, next ? next.index : list.length);
    if (!next && list.startsWith('[') && text.endsWith(']')) text = text.slice(0, -1);
    return { field: m[1] ?? '', text };
  });
}

const SUCCESS_THRESHOLD = /\.(livenessProbe|startupProbe)\.successThreshold$/;

function invalidFieldFinding(
  file: string,
  line: number,
  object: string,
  field: string,
  text: string,
): LintFinding {
  const probe = SUCCESS_THRESHOLD.exec(field);
  if (probe) {
    return {
      severity: 'error',
      rule: 'probe-success-threshold-not-one',
      file,
      line,
      object,
      fieldPath: field,
      message: `${field}: ${text}`,
      why:
        `a ${probe[1] === 'livenessProbe' ? 'liveness' : 'startup'} probe acts on failures (and a startup probe on ` +
        'its first success), so Kubernetes allows only 1 and the API server refuses any other value (spec §1.2): ' +
        'the object is not created at all',
      fix: 'remove successThreshold (it defaults to 1) or set it to 1; only readiness may require several successes',
    };
  }
  return {
    severity: 'error',
    rule: 'invalid-manifest',
    file,
    line,
    object,
    fieldPath: field,
    message: `${field}: ${text}`,
    why: 'the API server (and podvisor apply) refuse the object: nothing of it runs',
    fix: 'correct the field as the message says',
  };
}

/** Findings for what manifest loading refused; `lines` places each field error on its own line. */
export function loadErrorFindings(errors: readonly string[], lines?: SourceLines): LintFinding[] {
  const out: LintFinding[] = [];
  for (const error of errors) {
    const { file, line, message } = splitLocation(error);
    const invalid = INVALID.exec(message);
    if (invalid) {
      const object = `${invalid[1]}/${invalid[2]}`;
      const fields = fieldErrors(invalid[3] ?? '');
      if (fields.length > 0) {
        for (const f of fields) {
          const fieldLine = lines && line > 0 ? lines.lineOf(file, line, f.field) : line;
          out.push(invalidFieldFinding(file, fieldLine, object, f.field, f.text));
        }
        continue;
      }
    }
    const parse = /error parsing (YAML|JSON)/.test(message);
    const unreadable = line === 0;
    let rule = 'invalid-manifest';
    if (parse) rule = 'manifest-parse-error';
    else if (unreadable) rule = 'unreadable-path';
    out.push({
      severity: 'error',
      rule,
      file,
      line,
      object: '',
      fieldPath: '',
      message,
      why: parse
        ? 'the file cannot be read as a manifest: none of its objects can be checked'
        : unreadable
          ? 'nothing could be read from it, so nothing in it was checked'
          : 'the API server (and podvisor apply) refuse the object: nothing of it runs',
      fix: parse
        ? 'fix the syntax at that line'
        : unreadable
          ? 'check the path'
          : 'correct the object as the message says',
    });
  }
  return out;
}

const PROBE_FIELD_NAMES = ['livenessProbe', 'readinessProbe', 'startupProbe'];

/**
 * Loading warnings: an unknown field is a finding (a misspelt field is dropped, and a misspelt probe
 * means no probe at all); the rest are podvisor's run-time remarks, returned as notes. `objectLine`
 * is the line the warning's object starts at (the finding's own line is the field's).
 */
export function loadWarningFindings(
  warnings: readonly string[],
  lines?: SourceLines,
): { findings: (LintFinding & { objectLine: number })[]; notes: string[] } {
  const findings: (LintFinding & { objectLine: number })[] = [];
  const notes: string[] = [];
  for (const warning of warnings) {
    const { file, line, message } = splitLocation(warning);
    const unknown = /^unknown field "([^"]+)"$/.exec(message);
    if (!unknown) {
      notes.push(warning);
      continue;
    }
    const field = unknown[1] ?? '';
    const last = field.slice(field.lastIndexOf('.') + 1).replace(/\[\d+\]$/, '');
    const meant = PROBE_FIELD_NAMES.find((n) => n.toLowerCase() === last.toLowerCase().replace(/s$/, ''));
    findings.push({
      severity: 'warning',
      rule: 'unknown-field',
      file,
      line: lines && line > 0 ? lines.lineOf(file, line, field) : line,
      object: '',
      fieldPath: field,
      message: meant
        ? `unknown field "${field}": this container has no ${meant} as written`
        : `unknown field "${field}"`,
      why: 'the API server drops fields it does not know (kubectl apply only warns), so the setting has no effect',
      fix: meant ? `spell it ${meant}` : 'correct the spelling or the indentation, or remove the field',
      objectLine: line,
    });
  }
  return { findings, notes };
}
