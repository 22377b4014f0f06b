import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import {
  apiLogSource,
  serviceAccountTarget,
  type ApiLogTarget,
} from '../../../../src/probe/checks/api-log-source.js';
import { runCheck } from '../../../../src/probe/checks/index.js';

const NOW = Date.parse('2026-01-01T10:00:00Z');
const iso = (ms: number): string => new Date(ms).toISOString().replace('Z', '123456Z');

/** A fake API server: one pod with the given containers and log lines; records each request. */
function fakeApi(containers: string[]) {
  const requests: URL[] = [];
  const log = [
    `${iso(NOW - 120_000)} ORA-12541: old`,
    `${iso(NOW - 30_500)} connected`,
    `${iso(NOW - 2000)} ORA-12518: TNS:listener could not hand off client connection`,
  ];
  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    requests.push(url);
    if (req.headers.authorization !== 'Bearer good') {
      res.writeHead(401, { 'Content-Type': 'application/json' });
      return void res.end('{"kind":"Status","message":"Unauthorized"}');
    }
    if (!url.pathname.startsWith('/api/v1/namespaces/ns1/pods/web')) {
      res.writeHead(404, { 'Content-Type': 'application/json' });
      return void res.end('{"kind":"Status","message":"pods \\"x\\" not found"}');
    }
    if (url.pathname.endsWith('/log')) {
      const since = Number(url.searchParams.get('sinceSeconds') ?? 0);
      const tail = url.searchParams.get('tailLines');
      let lines = log.filter(
        (l) => since === 0 || Date.parse(l.slice(0, l.indexOf(' '))) >= NOW - since * 1000,
      );
      if (tail !== null) lines = lines.slice(-Number(tail));
      res.writeHead(200, { 'Content-Type': 'text/plain' });
      return void res.end(lines.map((l) => `${l}\n`).join(''));
    }
    res.writeHead(200, { 'Content-Type': 'application/json' });
    res.end(
      JSON.stringify({
        spec: { containers: containers.map((name) => ({ name })) },
        status: {
          containerStatuses: containers.map((name) => ({
            name,
            state: { running: { startedAt: '2026-01-01T09:00:00Z' } },
          })),
        },
      }),
    );
  });
  return { server, requests };
}

describe('the API log source (as kubectl logs --since)', () => {
  const api = fakeApi(['app']);
  let target: ApiLogTarget;
  before(async () => {
    await new Promise<void>((resolve) => api.server.listen(0, '127.0.0.1', resolve));
    const port = (api.server.address() as AddressInfo).port;
    target = {
      server: `http://127.0.0.1:${port}`,
      token: 'good',
      namespace: 'ns1',
      pod: 'web',
      origin: 'test',
    };
  });
  after(() => api.server.close());

  test('linesSince asks for sinceSeconds with timestamps, strips them and drops what rounding let in', async () => {
    const logs = apiLogSource(target, () => NOW);
    api.requests.length = 0;
    assert.deepEqual(await logs.linesSince(NOW - 30_000), [
      'ORA-12518: TNS:listener could not hand off client connection',
    ]);
    const logRequest = api.requests.find((u) => u.pathname.endsWith('/log'));
    assert.equal(logRequest?.pathname, '/api/v1/namespaces/ns1/pods/web/log');
    assert.equal(logRequest?.searchParams.get('container'), 'app', "the pod's only container");
    assert.equal(logRequest?.searchParams.get('sinceSeconds'), '30');
    assert.equal(logRequest?.searchParams.get('timestamps'), 'true');
  });

  test('lastOutputAt reads tailLines=1; startedAt reads the container status', async () => {
    const logs = apiLogSource({ ...target, container: 'app' }, () => NOW);
    assert.equal(await logs.lastOutputAt(), Date.parse(iso(NOW - 2000)));
    assert.equal(api.requests.at(-1)?.searchParams.get('tailLines'), '1');
    assert.equal(await logs.startedAt(), Date.parse('2026-01-01T09:00:00Z'));
  });

  test('check log over the API gives the same reason as in-process', async () => {
    const result = await runCheck(['log', '--match', 'ORA-125\\d\\d', '--window', '1m'], {
      now: () => NOW,
      timeoutMs: 2000,
      logs: apiLogSource(target, () => NOW),
    });
    assert.deepEqual(result, {
      ok: false,
      reason:
        'log matched /ORA-125\\d\\d/ 1 time in the last 1m0s: "ORA-12518: TNS:listener could not hand off client connection"',
    });
  });

  test('errors name what is wrong and how to fix it', async () => {
    await assert.rejects(
      apiLogSource({ ...target, token: 'bad' }).linesSince(0),
      /refused the token \(401 Unauthorized\): check the token of test/,
    );
    await assert.rejects(
      apiLogSource({ ...target, pod: 'other' }).lastOutputAt(),
      /pod ns1\/other not found \(404\): pass --pod NAME \(or set POD_NAME\) and -n NS/,
    );
    await assert.rejects(
      apiLogSource({ ...target, server: 'http://127.0.0.1:1', origin: 'service account dir /sa' }).linesSince(
        0,
      ),
      /cannot reach the API server at http:\/\/127\.0\.0\.1:1: .*: check KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT$/,
    );
    await assert.rejects(
      apiLogSource({ ...target, server: 'http://127.0.0.1:1', origin: 'state dir /s' }).linesSince(0),
      /: check that the node of state dir \/s is running and reachable$/,
    );
  });

  test('a pod with several containers needs -c, naming the choices', async () => {
    const multi = fakeApi(['app', 'sidecar']);
    await new Promise<void>((resolve) => multi.server.listen(0, '127.0.0.1', resolve));
    const port = (multi.server.address() as AddressInfo).port;
    const logs = apiLogSource({ ...target, server: `http://127.0.0.1:${port}` });
    await assert.rejects(
      logs.linesSince(0),
      /pod ns1\/web has containers app, sidecar: say which with -c NAME \(or set CONTAINER_NAME\)/,
    );
    multi.server.close();
  });
});

describe('serviceAccountTarget: where a check in a cluster container finds the API', () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'podvisor-sa-'));
    await writeFile(join(dir, 'token'), 'tok\n');
    await writeFile(join(dir, 'ca.crt'), '-----BEGIN CERTIFICATE-----\nx\n-----END CERTIFICATE-----\n');
    await writeFile(join(dir, 'namespace'), 'team-a');
  });
  after(() => rm(dir, { recursive: true, force: true }));

  const env = (extra: Record<string, string>): NodeJS.ProcessEnv => ({
    PODVISOR_SERVICEACCOUNT_DIR: dir,
    KUBERNETES_SERVICE_HOST: '10.96.0.1',
    KUBERNETES_SERVICE_PORT: '443',
    ...extra,
  });

  test('token, CA and namespace from the directory; pod from POD_NAME, else HOSTNAME; --pod/-c/-n win', async () => {
    const t = await serviceAccountTarget(
      env({ POD_NAME: 'cdc-1', HOSTNAME: 'host', CONTAINER_NAME: 'worker' }),
      {},
    );
    assert.deepEqual(
      { ...t, ca: t.ca?.slice(0, 27) },
      {
        server: 'https://10.96.0.1:443',
        token: 'tok',
        ca: '-----BEGIN CERTIFICATE-----',
        namespace: 'team-a',
        pod: 'cdc-1',
        container: 'worker',
        origin: `service account dir ${dir}`,
      },
    );
    assert.equal((await serviceAccountTarget(env({ HOSTNAME: 'cdc-2' }), {})).pod, 'cdc-2');
    const flags = await serviceAccountTarget(env({ POD_NAME: 'x' }), {
      pod: 'p',
      container: 'c',
      namespace: 'n',
    });
    assert.deepEqual([flags.pod, flags.container, flags.namespace], ['p', 'c', 'n']);
    assert.equal(
      (await serviceAccountTarget(env({ POD_NAME: 'x', KUBERNETES_SERVICE_HOST: 'fd00::1' }), {})).server,
      'https://[fd00::1]:443',
    );
  });

  test('what is missing is named, with how to give it', async () => {
    await assert.rejects(
      serviceAccountTarget({ POD_NAME: 'x' }, {}),
      /KUBERNETES_SERVICE_HOST is not set.*set KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT/,
    );
    await assert.rejects(
      serviceAccountTarget(env({}), {}),
      /the pod is unknown: pass --pod NAME, or set POD_NAME/,
    );
    await assert.rejects(
      serviceAccountTarget(env({ POD_NAME: 'x', PODVISOR_SERVICEACCOUNT_DIR: join(dir, 'missing') }), {}),
      /cannot read the service account token .*missing\/token \(ENOENT\): .*set PODVISOR_SERVICEACCOUNT_DIR/,
    );
  });
});
