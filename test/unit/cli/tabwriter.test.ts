import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DESCRIBE_TABWRITER, GET_TABWRITER, TabWriter, tabulate } from '../../../src/cli/tabwriter.js';

test('§6.2 tabwriter: cells are left-aligned to the widest cell plus padding; the last cell is not padded', () => {
  assert.equal(
    tabulate('Name:\tweb\nNamespace:\tdefault\n', DESCRIBE_TABWRITER),
    'Name:       web\nNamespace:  default\n',
  );
});

test('§6.2 tabwriter: a line without a tab ends the column block, so blocks align independently', () => {
  const text = 'A:\t1\nLonger label:\t2\nSection:\n  x:\t3\n  yy:\t4\n';
  assert.equal(
    tabulate(text, DESCRIBE_TABWRITER),
    'A:             1\nLonger label:  2\nSection:\n  x:   3\n  yy:  4\n',
  );
});

test('§6.2 tabwriter: a column is a run of consecutive lines having that cell; empty cells are padded', () => {
  const text = 'a\tb\tc\nlong\t\tx\n\tz\n';
  assert.equal(tabulate(text, { minWidth: 0, tabWidth: 8, padding: 1 }), 'a    b c\nlong   x\n     z\n');
});

test('§6.3 get tabwriter: minwidth 6, padding 3; cell width counts code points', () => {
  assert.equal(tabulate('A\tB\tC\nx\tyyyy\tz\n', GET_TABWRITER), 'A     B      C\nx     yyyy   z\n');
  assert.equal(tabulate('é\tx\n', { minWidth: 0, tabWidth: 8, padding: 1 }), 'é x\n');
});

test('§6.3 get -w: RememberWidths keeps columns aligned across flushes and lets them grow', () => {
  const w = new TabWriter(GET_TABWRITER);
  w.write('NAME\tREADY\n');
  w.write('web\t1/1\n');
  assert.equal(w.flush(), 'NAME   READY\nweb    1/1\n');
  w.write('a\t0/1\n');
  assert.equal(w.flush(), 'a      0/1\n', 'a narrower row keeps the remembered width');
  w.write('much-longer\t1/1\n');
  assert.equal(w.flush(), 'much-longer   1/1\n');
  w.write('b\t1/1\n');
  assert.equal(w.flush(), 'b             1/1\n', 'the grown width is remembered');
});

test('tabwriter: text without a trailing newline is kept as is', () => {
  assert.equal(tabulate('a\tb', DESCRIBE_TABWRITER), 'a  b');
  assert.equal(tabulate('', DESCRIBE_TABWRITER), '');
});
