/**
 * `podvisor dashboard` (issue 8): the token rides in the URL fragment, which a browser never sends
 * to a server, and nowhere else in the URL.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { dashboardUrl } from '../../../src/cli/commands/dashboard.js';

test('dashboard URL: /dashboard/ on the node, the token only in the fragment, escaped', () => {
  const url = new URL(dashboardUrl('http://127.0.0.1:6443', 'a&b#c d'));
  assert.equal(url.origin, 'http://127.0.0.1:6443');
  assert.equal(url.pathname, '/dashboard/');
  assert.equal(url.search, '');
  assert.equal(url.hash, '#token=a%26b%23c%20d');
  assert.equal(decodeURIComponent(url.hash.slice('#token='.length)), 'a&b#c d');
});

test('dashboard URL: a path, query or fragment already on --server does not leak into it', () => {
  assert.equal(
    dashboardUrl('https://[::1]:7000/some/path?x=1#frag', 'f00d'),
    'https://[::1]:7000/dashboard/#token=f00d',
  );
});
