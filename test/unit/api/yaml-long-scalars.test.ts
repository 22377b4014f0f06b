/**
 * Long double-quoted scalars (a 10 MB one took 1 s to parse, 16 s on a loaded CI machine) are
 * read as single-quoted ones when that means the same thing: the value and every offset stay.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { parse } from 'yaml';
import { withLongLiteralsSingleQuoted } from '../../../src/api/yaml-text.js';

const long = (body: string): string => `a: 1\nb: {c: ["${body}"]}\nd: "${body}"\n`;

describe('withLongLiteralsSingleQuoted', () => {
  test('a long literal double-quoted scalar becomes single-quoted: same value, same length', () => {
    const body = 'x#: y '.repeat(2_000_000);
    const text = long(body);
    const swapped = withLongLiteralsSingleQuoted(text);
    assert.equal(swapped.length, text.length);
    assert.equal(swapped, text.replaceAll(`"${body}"`, `'${body}'`));
    assert.deepEqual(parse(swapped), { a: 1, b: { c: [body] }, d: body });
  });

  test('escapes, single quotes and line breaks keep their double quotes (they mean something there)', () => {
    for (const body of [
      `${'x'.repeat(5000)}\\n`,
      `${'x'.repeat(5000)}'`,
      `${'x'.repeat(5000)}\n  folded`,
      `${'x'.repeat(5000)}\r\n  folded`,
    ]) {
      const text = long(body);
      assert.equal(withLongLiteralsSingleQuoted(text), text, JSON.stringify(body.slice(-12)));
    }
  });

  test('short scalars, block scalars, comments and an unclosed quote are left alone', () => {
    const short = `a: "${'x'.repeat(100)}"\n`;
    assert.equal(withLongLiteralsSingleQuoted(short), short);
    const block = `a: |\n  "${'x'.repeat(5000)}"\n# "${'y'.repeat(5000)}"\n`;
    assert.equal(withLongLiteralsSingleQuoted(block), block);
    const unclosed = `a: "${'x'.repeat(5000)}\n`;
    assert.equal(withLongLiteralsSingleQuoted(unclosed), unclosed);
  });

  test('property: the parsed document is the same either way', () => {
    fc.assert(
      fc.property(
        fc.string({ unit: 'grapheme-ascii', minLength: 4100, maxLength: 6000 }),
        fc.string({ maxLength: 20 }),
        (body, key) => {
          const text = `${JSON.stringify(key)}: "${body.replace(/[\\"]/g, '')}"\nnext: [1, "${body.replace(/[\\"]/g, '')}"]\n`;
          const swapped = withLongLiteralsSingleQuoted(text);
          assert.equal(swapped.length, text.length);
          assert.deepEqual(parse(swapped), parse(text));
        },
      ),
      { seed: 6, numRuns: 200 },
    );
  });
});
