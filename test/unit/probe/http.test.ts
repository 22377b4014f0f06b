import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { probeHttp, type HttpProbeRequest } from '../../../src/probe/http.js';
import { PROBE_OUTPUT_LIMIT } from '../../../src/probe/types.js';
import {
  redirectTo,
  startHttpTarget,
  type HttpTarget,
  type RecordedRequest,
} from '../../helpers/http-target.js';

const HOST = '127.0.0.5';

function headerValues(req: RecordedRequest | undefined, name: string): string[] {
  assert.ok(req, 'the target saw no request');
  const out: string[] = [];
  for (let i = 0; i < req.rawHeaders.length; i += 2) {
    if (req.rawHeaders[i]?.toLowerCase() === name.toLowerCase()) out.push(req.rawHeaders[i + 1] ?? '');
  }
  return out;
}

function headerNames(req: RecordedRequest | undefined): string[] {
  assert.ok(req, 'the target saw no request');
  return req.rawHeaders.filter((_, i) => i % 2 === 0);
}

describe('HTTP probe results (spec §3.1)', () => {
  let target: HttpTarget;
  let probe: (path: string, extra?: Partial<HttpProbeRequest>) => ReturnType<typeof probeHttp>;

  before(async () => {
    target = await startHttpTarget({
      host: HOST,
      routes: {
        '/ok': { body: 'ok' },
        '/created': { status: 201, body: 'made' },
        '/nocontent': { status: 204 },
        '/multiple': { status: 300, body: 'pick one' },
        '/notmodified': { status: 304 },
        '/notfound': { status: 404, body: 'secret body' },
        '/boom': { status: 500, body: 'stack trace' },
        '/unavailable': { status: 503 },
        '/echo': { body: 'echo' },
      },
    });
    probe = (path, extra = {}) =>
      probeHttp({
        scheme: 'HTTP',
        host: HOST,
        port: target.port,
        path,
        headers: [],
        timeoutMs: 2000,
        ...extra,
      });
  });
  after(() => target.close());

  test('§3.1: 2xx is Success with the body as output', async () => {
    assert.deepEqual(await probe('/ok'), { result: 'success', output: 'ok' });
    assert.deepEqual(await probe('/created'), { result: 'success', output: 'made' });
    assert.deepEqual(await probe('/nocontent'), { result: 'success', output: '' });
  });

  test('§3.1: 3xx without a followed Location (300, 304) is a Warning carrying the body', async () => {
    assert.deepEqual(await probe('/multiple'), {
      result: 'warning',
      output: 'Probe terminated redirects, Response body: pick one',
    });
    assert.deepEqual(await probe('/notmodified'), {
      result: 'warning',
      output: 'Probe terminated redirects, Response body: ',
    });
  });

  test('§3.1: 4xx/5xx are Failures with the status code and without the body (issue 99425)', async () => {
    assert.deepEqual(await probe('/notfound'), {
      result: 'failure',
      output: 'HTTP probe failed with statuscode: 404',
    });
    assert.deepEqual(await probe('/boom'), {
      result: 'failure',
      output: 'HTTP probe failed with statuscode: 500',
    });
    assert.deepEqual(await probe('/unavailable'), {
      result: 'failure',
      output: 'HTTP probe failed with statuscode: 503',
    });
  });

  test('§3.1: the query string in the path reaches the server', async () => {
    target.requests.length = 0;
    await probe('/echo?verbose=1&x=%2F');
    assert.equal(target.requests[0]?.url, '/echo?verbose=1&x=%2F');
    assert.equal(target.requests[0]?.method, 'GET');
  });

  test('§3.1: default headers: Host host:port, User-Agent kube-probe/1.33, Accept */*, Connection close, no gzip', async () => {
    target.requests.length = 0;
    await probe('/echo');
    const req = target.requests[0];
    assert.deepEqual(headerValues(req, 'Host'), [`${HOST}:${target.port}`]);
    assert.deepEqual(headerValues(req, 'User-Agent'), ['kube-probe/1.33']);
    assert.deepEqual(headerValues(req, 'Accept'), ['*/*']);
    assert.deepEqual(headerValues(req, 'Connection'), ['close']);
    assert.deepEqual(headerValues(req, 'Accept-Encoding'), []);
  });

  test('§3.1: a user User-Agent replaces the default; an empty one means no User-Agent at all', async () => {
    target.requests.length = 0;
    await probe('/echo', { headers: [{ name: 'user-agent', value: 'mine/2' }] });
    await probe('/echo', { headers: [{ name: 'User-Agent', value: '' }] });
    assert.deepEqual(headerValues(target.requests[0], 'User-Agent'), ['mine/2']);
    assert.deepEqual(headerValues(target.requests[1], 'User-Agent'), []);
  });

  test('§3.1: a user Accept replaces */*; an empty Accept removes the header', async () => {
    target.requests.length = 0;
    await probe('/echo', { headers: [{ name: 'Accept', value: 'application/json' }] });
    await probe('/echo', { headers: [{ name: 'accept', value: '' }] });
    assert.deepEqual(headerValues(target.requests[0], 'Accept'), ['application/json']);
    assert.deepEqual(headerValues(target.requests[1], 'Accept'), []);
  });

  test('§3.1: a user Host header becomes the virtual host while the connection still goes to host:port', async () => {
    target.requests.length = 0;
    const res = await probe('/echo', { headers: [{ name: 'Host', value: 'my.example:1234' }] });
    assert.equal(res.result, 'success');
    assert.deepEqual(headerValues(target.requests[0], 'Host'), ['my.example:1234']);
  });

  test("§3.1: user headers repeat and get Go's canonical names", async () => {
    target.requests.length = 0;
    await probe('/echo', {
      headers: [
        { name: 'x-custom-thing', value: 'one' },
        { name: 'X-CUSTOM-THING', value: 'two' },
        { name: 'authorization', value: 'Bearer t' },
      ],
    });
    const req = target.requests[0];
    assert.deepEqual(headerValues(req, 'X-Custom-Thing'), ['one', 'two']);
    assert.ok(headerNames(req).includes('X-Custom-Thing'), String(headerNames(req)));
    assert.ok(headerNames(req).includes('Authorization'), String(headerNames(req)));
  });

  test("§3.1: an invalid header name fails before dialing, in Go's words", async () => {
    target.requests.length = 0;
    const res = await probe('/echo', { headers: [{ name: 'bad name', value: 'x' }] });
    assert.deepEqual(res, {
      result: 'failure',
      output: `Get "http://${HOST}:${target.port}/echo": net/http: invalid header field name "bad name"`,
    });
    assert.equal(target.requests.length, 0);
  });

  test('§3.1: the body is read up to 10 KiB', async () => {
    target.setRoute('/tenk', { body: 'a'.repeat(PROBE_OUTPUT_LIMIT + 5) });
    const res = await probe('/tenk');
    assert.equal(res.result, 'success');
    assert.equal(res.output, 'a'.repeat(PROBE_OUTPUT_LIMIT));
  });
});

describe('HTTP probe redirects (spec §3.1)', () => {
  let target: HttpTarget;
  let other: HttpTarget;

  before(async () => {
    target = await startHttpTarget({ host: '127.0.0.1' });
    other = await startHttpTarget({ host: '127.0.0.1', routes: { '/there': { body: 'other port' } } });
  });
  after(async () => {
    await target.close();
    await other.close();
  });

  const probe = (path: string, headers: HttpProbeRequest['headers'] = []): ReturnType<typeof probeHttp> =>
    probeHttp({ scheme: 'HTTP', host: '127.0.0.1', port: target.port, path, headers, timeoutMs: 3000 });

  test('§3.1: a redirect to the same host is followed, with headers copied and a Referer', async () => {
    target.setRoute('/redirect', redirectTo('/healthz?from=redirect'));
    target.setRoute('/healthz', { body: 'ok' });
    target.requests.length = 0;
    const res = await probe('/redirect', [{ name: 'X-Token', value: 't1' }]);
    assert.deepEqual(res, { result: 'success', output: 'ok' });
    assert.deepEqual(
      target.requests.map((r) => r.url),
      ['/redirect', '/healthz?from=redirect'],
    );
    const second = target.requests[1];
    assert.deepEqual(headerValues(second, 'X-Token'), ['t1']);
    assert.deepEqual(headerValues(second, 'User-Agent'), ['kube-probe/1.33']);
    assert.deepEqual(headerValues(second, 'Referer'), [`http://127.0.0.1:${target.port}/redirect`]);
  });

  test('§3.1: the same hostname on another port counts as local (port ignored)', async () => {
    target.setRoute('/to-port', redirectTo(`http://127.0.0.1:${other.port}/there`, 307));
    assert.deepEqual(await probe('/to-port'), { result: 'success', output: 'other port' });
  });

  test('§3.1: a redirect to another hostname is not followed: Warning with the 3xx body', async () => {
    target.setRoute('/away', redirectTo('http://0.0.0.0/'));
    target.requests.length = 0;
    const res = await probe('/away');
    assert.deepEqual(res, {
      result: 'warning',
      output: 'Probe terminated redirects, Response body: <a href="http://0.0.0.0/">Found</a>.\n\n',
    });
    assert.equal(target.requests.length, 1);
  });

  test('§3.1: a chain of 9 redirects (10 requests) still succeeds', async () => {
    target.setRoute('/hop', (req) => {
      const n = Number(new URLSearchParams(req.url.split('?')[1] ?? '').get('n') ?? '0');
      return n >= 9 ? { body: `done after ${n}` } : redirectTo(`/hop?n=${n + 1}`, 301);
    });
    target.requests.length = 0;
    assert.deepEqual(await probe('/hop'), { result: 'success', output: 'done after 9' });
    assert.equal(target.requests.length, 10);
  });

  test('§3.1: the 10th redirect is refused: Failure "Get \\"<Location>\\": stopped after 10 redirects"', async () => {
    target.setRoute('/loop', (req) => redirectTo(`${req.url.split('?')[0]}?n=${target.requests.length}`));
    target.requests.length = 0;
    const res = await probe('/loop');
    assert.equal(target.requests.length, 10);
    // Go's client puts the refused Location (not the last URL) into the error.
    assert.deepEqual(res, { result: 'failure', output: 'Get "/loop?n=10": stopped after 10 redirects' });
  });

  test("§3.1: a same-host redirect to an unsupported scheme fails like Go's client", async () => {
    target.setRoute('/ftp', redirectTo('ftp://127.0.0.1/file'));
    assert.deepEqual(await probe('/ftp'), {
      result: 'failure',
      output: 'Get "ftp://127.0.0.1/file": unsupported protocol scheme "ftp"',
    });
  });

  test('§3.1: a user Host header survives a relative redirect', async () => {
    target.setRoute('/vhost', redirectTo('/vhost-ok'));
    target.setRoute('/vhost-ok', { body: 'ok' });
    target.requests.length = 0;
    await probe('/vhost', [{ name: 'Host', value: 'app.local' }]);
    assert.deepEqual(
      target.requests.map((r) => headerValues(r, 'Host')[0]),
      ['app.local', 'app.local'],
    );
  });
});
