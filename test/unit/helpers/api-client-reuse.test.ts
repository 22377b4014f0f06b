/**
 * The e2e tests' own API client and the keep-alive race (CI failed escape.test.ts three times
 * with ECONNRESET: a test process starved of CPU reused a connection the server had just closed
 * as idle). Reads go again once on a new connection; writes never ride a kept-alive connection,
 * so they are neither lost to the race nor sent twice.
 */
import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { ApiClient } from '../../helpers/api-client.js';
import { assertReadReplayedOnce, racingServer, type RacingServer } from '../../helpers/racing-server.js';

const servers: RacingServer[] = [];
after(() => {
  for (const s of servers) s.close();
});

describe('e2e API client: a kept-alive connection reset as it is reused', () => {
  test('a GET goes again once on a new connection and succeeds', () =>
    assertReadReplayedOnce((url) => {
      const client = new ApiClient(url, 'token');
      return (path) => client.request<{ status?: string } | undefined>('GET', path);
    }));

  test('writes take a new connection each: after a read, POST and DELETE succeed, each sent once', async () => {
    const racing = await racingServer();
    servers.push(racing);
    const { url, seen } = racing;
    const client = new ApiClient(url, 'token');
    await client.request('GET', '/api/v1/nodes');
    await client.request('POST', '/api/v1/namespaces/default/pods', { kind: 'Pod' });
    await client.request('DELETE', '/api/v1/namespaces/default/pods/p', { kind: 'DeleteOptions' });
    assert.deepEqual(seen.requests, [
      'GET /api/v1/nodes HTTP/1.1',
      'POST /api/v1/namespaces/default/pods HTTP/1.1',
      'DELETE /api/v1/namespaces/default/pods/p HTTP/1.1',
    ]);
    assert.equal(seen.connections, 3);
  });
});
