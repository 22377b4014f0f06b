import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseGoDuration } from '../../../src/util/go-duration.js';

test('Go durations for flags: 10s, 1m30s, 1.5h, 300ms, 0; junk is refused', () => {
  assert.equal(parseGoDuration('10s'), 10_000);
  assert.equal(parseGoDuration('1m30s'), 90_000);
  assert.equal(parseGoDuration('1.5h'), 5_400_000);
  assert.equal(parseGoDuration('300ms'), 300);
  assert.equal(parseGoDuration('0'), 0);
  assert.equal(parseGoDuration('5m'), 300_000);
  for (const bad of ['', '10', 's', '1x', '1m 2s', 'abc']) assert.equal(parseGoDuration(bad), undefined, bad);
});
