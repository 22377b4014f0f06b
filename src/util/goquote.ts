/**
 * Go's `strconv.Quote` (what `%q` prints), because Kubernetes messages quote values that way and
 * users compare podvisor's output with a real cluster's (spec §1.2). JSON.stringify differs: it
 * keeps U+00A0 and other non-printing characters raw and escapes `\u007f` differently.
 */
export function goQuote(s: string): string {
  let out = '"';
  for (const ch of s) {
    const cp = ch.codePointAt(0) ?? 0;
    if (ch === '"' || ch === '\\') {
      out += '\\' + ch;
    } else if (isGoPrintable(ch, cp)) {
      out += ch;
    } else {
      out += escapeRune(cp);
    }
  }
  return out + '"';
}

/** Go's `unicode.IsPrint`: letters, marks, numbers, punctuation, symbols and the ASCII space. */
const PRINTABLE = /^[\p{L}\p{M}\p{N}\p{P}\p{S}]$/u;

function isGoPrintable(ch: string, cp: number): boolean {
  if (cp === 0x20) return true;
  // A lone surrogate cannot come from valid UTF-8; Go would see U+FFFD, which is printable.
  if (cp >= 0xd800 && cp <= 0xdfff) return false;
  return PRINTABLE.test(ch);
}

const SHORT_ESCAPES: Record<number, string> = {
  0x07: '\\a',
  0x08: '\\b',
  0x0c: '\\f',
  0x0a: '\\n',
  0x0d: '\\r',
  0x09: '\\t',
  0x0b: '\\v',
};

function escapeRune(cp: number): string {
  const short = SHORT_ESCAPES[cp];
  if (short) return short;
  if (cp >= 0xd800 && cp <= 0xdfff) return '\ufffd';
  if (cp < 0x20 || cp === 0x7f) return '\\x' + cp.toString(16).padStart(2, '0');
  if (cp < 0x10000) return '\\u' + cp.toString(16).padStart(4, '0');
  return '\\U' + cp.toString(16).padStart(8, '0');
}
