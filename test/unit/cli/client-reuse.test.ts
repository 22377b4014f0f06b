/**
 * The keep-alive race: a server closes an idle connection just as the client sends its next
 * request on it. Go's transport (kubectl's) sends a read-only request again on a new connection;
 * podvisor's CLI does the same, and reports a write instead of risking it twice. CI once failed
 * `describe node` with ECONNRESET this way on a loaded machine.
 */
import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { ApiClient } from '../../../src/cli/client.js';
import { assertReadReplayedOnce, racingServer, type RacingServer } from '../../helpers/racing-server.js';

const servers: RacingServer[] = [];
after(() => {
  for (const s of servers) s.close();
});

describe('CLI client: a kept-alive connection reset as it is reused', () => {
  test('a GET goes again once on a new connection and succeeds', () =>
    assertReadReplayedOnce((url) => {
      const client = new ApiClient({ server: url });
      return (path) => client.get<{ status?: string }>(path);
    }));

  test('a POST is not sent twice: the reset is reported', async () => {
    const racing = await racingServer();
    servers.push(racing);
    const { url, seen } = racing;
    const client = new ApiClient({ server: url });
    await client.get('/api/v1/nodes');
    await assert.rejects(
      client.request('POST', '/api/v1/namespaces/default/pods', { body: { kind: 'Pod' } }),
      /cannot reach the podvisor node at .*: ECONNRESET/,
    );
    assert.equal(seen.requests.filter((r) => r.startsWith('POST')).length, 1);
  });
});
