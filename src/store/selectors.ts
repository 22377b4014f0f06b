import { StoreError } from './types.js';

/**
 * Label and field selectors with apimachinery's syntax and error wording
 * (k8s.io/apimachinery/pkg/labels/selector.go, pkg/fields/selector.go), so a bad selector reads
 * the same as it would from a real API server.
 */

export type LabelOperator = 'exists' | '!' | '=' | '==' | '!=' | 'in' | 'notin' | 'gt' | 'lt';

export interface LabelRequirement {
  key: string;
  operator: LabelOperator;
  values: string[];
}

export interface FieldRequirement {
  /** Dotted path into the object: `metadata.name`, `involvedObject.uid`, `spec.nodeName`. */
  field: string;
  operator: '=' | '!=';
  value: string;
}

type TokenKind =
  'id' | 'end' | '(' | ')' | ',' | '!' | '=' | '==' | '!=' | '>' | '<' | 'in' | 'notin' | 'error';

interface Token {
  kind: TokenKind;
  text: string;
}

const SYMBOLS = new Set(['=', '!', '(', ')', ',', '>', '<']);
const SYMBOL_TOKENS: Record<string, TokenKind> = {
  ')': ')',
  ',': ',',
  '!': '!',
  '==': '==',
  '=': '=',
  '>': '>',
  '<': '<',
  '!=': '!=',
  '(': '(',
};
const WHITESPACE = new Set([' ', '\t', '\r', '\n']);
const BINARY_OPERATORS = 'in, notin, =, ==, !=, gt, lt';

const NAME_PART = /^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$/;
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;

function lex(input: string): Token[] {
  const tokens: Token[] = [];
  let pos = 0;
  for (;;) {
    while (pos < input.length && WHITESPACE.has(input[pos] as string)) pos++;
    if (pos >= input.length) {
      tokens.push({ kind: 'end', text: '' });
      return tokens;
    }
    const ch = input[pos] as string;
    if (SYMBOLS.has(ch)) {
      // Longest operator made of special symbols ("!=", "=="), as the apimachinery lexer does.
      let buf = '';
      let last: Token | undefined;
      while (pos < input.length && SYMBOLS.has(input[pos] as string)) {
        buf += input[pos];
        const kind = SYMBOL_TOKENS[buf];
        if (kind) {
          last = { kind, text: buf };
          pos++;
        } else if (last) {
          break;
        } else {
          pos++;
        }
      }
      tokens.push(last ?? { kind: 'error', text: `error expected: keyword found '${buf}'` });
      continue;
    }
    let word = '';
    while (
      pos < input.length &&
      !SYMBOLS.has(input[pos] as string) &&
      !WHITESPACE.has(input[pos] as string)
    ) {
      word += input[pos];
      pos++;
    }
    tokens.push({ kind: word === 'in' ? 'in' : word === 'notin' ? 'notin' : 'id', text: word });
  }
}

function parseError(message: string): StoreError {
  return new StoreError(400, 'BadRequest', message);
}

function validateLabelKey(key: string): string | undefined {
  const slash = key.indexOf('/');
  const prefix = slash >= 0 ? key.slice(0, slash) : undefined;
  const name = slash >= 0 ? key.slice(slash + 1) : key;
  if (prefix !== undefined && (prefix.length === 0 || prefix.length > 253 || !DNS_SUBDOMAIN.test(prefix))) {
    return `invalid label key "${key}": prefix part must be a lowercase RFC 1123 subdomain`;
  }
  if (name.length === 0 || name.length > 63 || !NAME_PART.test(name)) {
    return (
      `invalid label key "${key}": name part must consist of alphanumeric characters, '-', '_' or '.', ` +
      `and must start and end with an alphanumeric character (at most 63 characters)`
    );
  }
  return undefined;
}

function validateLabelValue(key: string, value: string): string | undefined {
  if (value.length > 63 || !LABEL_VALUE.test(value)) {
    return (
      `invalid label value "${value}" for key "${key}": a valid label must be an empty string or consist of ` +
      `alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (at most 63 characters)`
    );
  }
  return undefined;
}

/** Parses a label selector (`app=web,tier!=db,env in (a,b),!gone`). Throws StoreError 400. */
export function parseLabelSelector(selector: string | undefined): LabelRequirement[] {
  if (!selector) return [];
  const tokens = lex(selector);
  let pos = 0;
  // In value position the keywords in/notin are plain identifiers ("x in (in)").
  const asValue = (t: Token): Token =>
    t.kind === 'in' || t.kind === 'notin' ? { kind: 'id', text: t.text } : t;
  const peek = (): Token => asValue(tokens[pos] as Token);
  const next = (value = true): Token => {
    const t = tokens[pos++] as Token;
    return value ? asValue(t) : t;
  };

  const parseRequirement = (): LabelRequirement => {
    let negate = false;
    let t = next();
    if (t.kind === '!') {
      negate = true;
      t = next();
    }
    if (t.kind !== 'id') throw new Error(`found '${t.text}', expected: identifier`);
    const key = t.text;
    const keyProblem = validateLabelKey(key);
    if (keyProblem) throw new Error(keyProblem);
    const after = peek().kind;
    // "!key=value" is no requirement: the caller then fails on the '=' as apimachinery does.
    if (negate || after === 'end' || after === ',')
      return { key, operator: negate ? '!' : 'exists', values: [] };
    const op = next(false);
    let operator: LabelOperator;
    switch (op.kind) {
      case 'in':
      case 'notin':
      case '=':
      case '==':
      case '!=':
        operator = op.kind;
        break;
      case '>':
        operator = 'gt';
        break;
      case '<':
        operator = 'lt';
        break;
      default:
        throw new Error(`found '${op.text}', expected: ${BINARY_OPERATORS}`);
    }
    const values = operator === 'in' || operator === 'notin' ? parseValueSet() : [parseExactValue()];
    for (const v of values) {
      const problem = validateLabelValue(key, v);
      if (problem && operator !== 'gt' && operator !== 'lt') throw new Error(problem);
    }
    if ((operator === 'gt' || operator === 'lt') && !/^-?\d+$/.test(values[0] ?? '')) {
      throw new Error(`for 'Gt', 'Lt' operators, the value must be an integer`);
    }
    return { key, operator, values };
  };

  const parseValueSet = (): string[] => {
    const open = next();
    if (open.kind !== '(') throw new Error(`found '${open.text}' expected: '('`);
    const first = peek();
    if (first.kind === ')') {
      next();
      return [''];
    }
    if (first.kind !== 'id' && first.kind !== ',')
      throw new Error(`found '${first.text}', expected: ',', ')' or identifier`);
    const values = new Set<string>();
    for (;;) {
      const t = next();
      if (t.kind === 'id') {
        values.add(t.text);
        const after = peek();
        if (after.kind === ',') continue;
        if (after.kind === ')') break;
        throw new Error(`found '${after.text}', expected: ',' or ')'`);
      } else if (t.kind === ',') {
        if (values.size === 0) values.add('');
        const after = peek();
        if (after.kind === ')') {
          values.add('');
          break;
        }
        if (after.kind === ',') values.add('');
      } else {
        throw new Error(`found '${t.text}', expected: ',', or identifier`);
      }
    }
    const close = next();
    if (close.kind !== ')') throw new Error(`found '${close.text}', expected: ')'`);
    return [...values].sort();
  };

  const parseExactValue = (): string => {
    const t = peek();
    if (t.kind === 'end' || t.kind === ',') return '';
    next();
    if (t.kind === 'id') return t.text;
    throw new Error(`found '${t.text}', expected: identifier`);
  };

  const requirements: LabelRequirement[] = [];
  for (;;) {
    const t = peek();
    if (t.kind === 'end') break;
    if (t.kind !== 'id' && t.kind !== '!') {
      throw parseError(`found '${t.text}', expected: !, identifier, or 'end of string'`);
    }
    try {
      requirements.push(parseRequirement());
    } catch (err) {
      throw parseError(`unable to parse requirement: ${(err as Error).message}`);
    }
    const sep = next();
    if (sep.kind === 'end') break;
    if (sep.kind !== ',') throw parseError(`found '${sep.text}', expected: ',' or 'end of string'`);
    const after = peek();
    if (after.kind !== 'id' && after.kind !== '!')
      throw parseError(`found '${after.text}', expected: identifier after ','`);
  }
  return requirements.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
}

export function labelsMatch(
  requirements: readonly LabelRequirement[],
  labels: Record<string, string> | undefined,
): boolean {
  const has = (k: string): boolean => labels !== undefined && Object.prototype.hasOwnProperty.call(labels, k);
  for (const r of requirements) {
    const present = has(r.key);
    const value = present ? (labels as Record<string, string>)[r.key] : undefined;
    switch (r.operator) {
      case 'exists':
        if (!present) return false;
        break;
      case '!':
        if (present) return false;
        break;
      case '=':
      case '==':
      case 'in':
        if (!present || !r.values.includes(value as string)) return false;
        break;
      case '!=':
      case 'notin':
        if (present && r.values.includes(value as string)) return false;
        break;
      case 'gt':
      case 'lt': {
        if (!present || !/^-?\d+$/.test(value as string)) return false;
        const n = Number(value);
        const bound = Number(r.values[0]);
        if (r.operator === 'gt' ? !(n > bound) : !(n < bound)) return false;
        break;
      }
    }
  }
  return true;
}

/** Splits on commas that are not escaped with a backslash (fields.splitTerms). */
function splitTerms(selector: string): string[] {
  const terms: string[] = [];
  let current = '';
  for (let i = 0; i < selector.length; i++) {
    const ch = selector[i] as string;
    if (ch === '\\' && i + 1 < selector.length) {
      current += ch + selector[i + 1];
      i++;
    } else if (ch === ',') {
      terms.push(current);
      current = '';
    } else {
      current += ch;
    }
  }
  terms.push(current);
  return terms;
}

function unescapeFieldValue(value: string): string {
  let out = '';
  for (let i = 0; i < value.length; i++) {
    const ch = value[i] as string;
    if (ch === '\\') {
      const escaped = value[i + 1];
      if (escaped !== '\\' && escaped !== ',' && escaped !== '=') {
        throw parseError(`invalid field selector: invalid escape sequence: \\${escaped ?? ''}`);
      }
      out += escaped;
      i++;
    } else if (ch === ',' || ch === '=') {
      throw parseError(`invalid field selector: unescaped character: ${ch}`);
    } else {
      out += ch;
    }
  }
  return out;
}

/** Parses a field selector (`metadata.name=web,involvedObject.kind!=Node`). Throws StoreError 400. */
export function parseFieldSelector(selector: string | undefined): FieldRequirement[] {
  if (!selector) return [];
  const requirements: FieldRequirement[] = [];
  for (const term of splitTerms(selector).sort()) {
    if (term === '') continue;
    let match: { field: string; op: '!=' | '==' | '='; rest: string } | undefined;
    for (let i = 0; i < term.length && !match; i++) {
      for (const op of ['!=', '==', '='] as const) {
        if (term.startsWith(op, i)) {
          match = { field: term.slice(0, i), op, rest: term.slice(i + op.length) };
          break;
        }
      }
    }
    if (!match || match.field.trim() === '')
      throw parseError(`invalid selector: '${selector}'; can't understand '${term}'`);
    requirements.push({
      field: match.field.trim(),
      operator: match.op === '!=' ? '!=' : '=',
      value: unescapeFieldValue(match.rest),
    });
  }
  return requirements;
}

/** The string a field selector compares against: absent fields read as "" (so `spec.nodeName=` finds unbound pods). */
export function fieldValue(obj: unknown, path: string): string {
  let cur: unknown = obj;
  for (const part of path.split('.')) {
    if (cur === null || typeof cur !== 'object') return '';
    cur = (cur as Record<string, unknown>)[part];
  }
  if (typeof cur === 'string') return cur;
  if (typeof cur === 'number' || typeof cur === 'boolean') return String(cur);
  return '';
}

export function fieldsMatch(requirements: readonly FieldRequirement[], obj: unknown): boolean {
  for (const r of requirements) {
    const v = fieldValue(obj, r.field);
    if (r.operator === '=' ? v !== r.value : v === r.value) return false;
  }
  return true;
}
