import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { goQuote } from '../../../src/probe/go-text.js';
import {
  formatGoUrl,
  goHostname,
  parseGoUrl,
  probeUrl,
  requestUri,
  resolveGoUrl,
  type GoUrl,
} from '../../../src/probe/go-url.js';

function parsed(raw: string): GoUrl {
  const r = parseGoUrl(raw);
  if ('error' in r) throw new Error(r.error);
  return r.url;
}

describe('probe URL as the kubelet formats it (spec §3.1)', () => {
  test('§3.1: scheme://host:port plus the path; a query string in the path survives', () => {
    const u = probeUrl('http', '127.0.0.5:8080', '/healthz?verbose=1&x=%2F');
    assert.equal(formatGoUrl(u), 'http://127.0.0.5:8080/healthz?verbose=1&x=%2F');
    assert.equal(requestUri(u), '/healthz?verbose=1&x=%2F');
  });

  test('§3.1: an empty path gives no slash in the URL text but requests "/"', () => {
    const u = probeUrl('http', '127.0.0.1:80', '');
    assert.equal(formatGoUrl(u), 'http://127.0.0.1:80');
    assert.equal(requestUri(u), '/');
  });

  test('§3.1: a relative path gets its slash; unsafe bytes are escaped like Go', () => {
    assert.equal(formatGoUrl(probeUrl('http', 'h:1', 'healthz')), 'http://h:1/healthz');
    assert.equal(formatGoUrl(probeUrl('http', 'h:1', '/a b/ü')), 'http://h:1/a%20b/%C3%BC');
    // url.Parse fails on a bad escape; the kubelet then keeps the path literally.
    assert.equal(formatGoUrl(probeUrl('http', 'h:1', '/%zz')), 'http://h:1/%25zz');
    // Valid escapes and sub-delims are kept as written.
    assert.equal(formatGoUrl(probeUrl('http', 'h:1', "/a%2Fb/(x)!*'")), "http://h:1/a%2Fb/(x)!*'");
  });

  test('§3.1: a fragment is shown in the URL text but never sent', () => {
    const u = probeUrl('https', 'h:1', '/x?a=1#frag');
    assert.equal(formatGoUrl(u), 'https://h:1/x?a=1#frag');
    assert.equal(requestUri(u), '/x?a=1');
  });

  test('§3.1: Hostname() drops the port and IPv6 brackets', () => {
    assert.equal(goHostname('[::1]:8080'), '::1');
    assert.equal(goHostname('127.0.0.5:80'), '127.0.0.5');
    assert.equal(goHostname('example.com'), 'example.com');
  });
});

describe("Location resolution like Go's ResolveReference (spec §3.1 redirects)", () => {
  const base = parsed('http://127.0.0.1:8080/a/b/c?q=1');
  const cases: [string, string][] = [
    ['/healthz', 'http://127.0.0.1:8080/healthz'],
    ['d', 'http://127.0.0.1:8080/a/b/d'],
    ['../d?x=2', 'http://127.0.0.1:8080/a/d?x=2'],
    ['?z=3', 'http://127.0.0.1:8080/a/b/c?z=3'],
    ['', 'http://127.0.0.1:8080/a/b/c?q=1'],
    ['//other:9/p', 'http://other:9/p'],
    ['HTTPS://127.0.0.1:80/x', 'https://127.0.0.1:80/x'],
    ['http://0.0.0.0/', 'http://0.0.0.0/'],
  ];
  for (const [loc, want] of cases) {
    test(`§3.1: Location ${JSON.stringify(loc)} → ${want}`, () => {
      assert.equal(formatGoUrl(resolveGoUrl(base, parsed(loc))), want);
    });
  }

  test("§3.1: Go's parse errors are reported in its words", () => {
    assert.deepEqual(parseGoUrl('http://h:x/'), {
      error: 'parse "http://h:x/": invalid port ":x" after host',
    });
    assert.deepEqual(parseGoUrl(':nope'), { error: 'parse ":nope": missing protocol scheme' });
    assert.deepEqual(parseGoUrl('/a\nb'), {
      error: 'parse "/a\\nb": net/url: invalid control character in URL',
    });
  });
});

describe('goQuote = strconv.Quote', () => {
  test('escapes quotes, backslashes and control characters; keeps printable Unicode', () => {
    assert.equal(goQuote('sh -c "exit 1"'), '"sh -c \\"exit 1\\""');
    assert.equal(goQuote('a\\b\n\t\x01é✓'), '"a\\\\b\\n\\t\\x01é✓"');
    assert.equal(goQuote('\u200b'), '"\\u200b"');
  });
});
