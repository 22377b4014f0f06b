import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Pod } from '../../../src/api/types.js';
import { parsePortSpec, resolveRemotePort } from '../../../src/cli/commands/port-forward.js';
import { CliError } from '../../../src/cli/errors.js';

describe('podvisor port-forward arguments (kubectl-surface §2.12)', () => {
  test("§2.12: kubectl's port forms REMOTE, LOCAL:REMOTE and :REMOTE", () => {
    assert.deepEqual(parsePortSpec('8080'), { local: 8080, remote: '8080' });
    assert.deepEqual(parsePortSpec('9000:80'), { local: 9000, remote: '80' });
    assert.deepEqual(parsePortSpec(':80'), { local: 0, remote: '80' });
    assert.deepEqual(parsePortSpec(':http'), { local: 0, remote: 'http' });
  });

  test('§2.12: ports outside 1-65535 and malformed forms are usage errors', () => {
    for (const bad of ['0', '70000', '1:2:3', '80:', 'a:80', '', 'http']) {
      assert.throws(() => parsePortSpec(bad), CliError, bad);
    }
  });

  test('§2.12: a named remote port is the container port of that name', () => {
    const pod: Pod = {
      metadata: { name: 'web' },
      spec: { containers: [{ name: 'c', ports: [{ name: 'http', containerPort: 8080 }] }] },
    };
    assert.equal(resolveRemotePort(pod, 'http'), 8080);
    assert.equal(resolveRemotePort(pod, '81'), 81);
    assert.throws(() => resolveRemotePort(pod, 'grpc'), /does not have a named port 'grpc'/);
  });
});
