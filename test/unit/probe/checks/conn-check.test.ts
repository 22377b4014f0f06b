import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import net from 'node:net';
import { after, before, describe, test } from 'node:test';
import { normalizeIp } from '../../../../src/probe/checks/conn-check.js';
import { processTree, runCheck, type CheckContext } from '../../../../src/probe/checks/index.js';
import { waitFor } from '../helpers.js';

const HOST = '127.0.0.1';

function listen(host = HOST, onConnection: (s: net.Socket) => void = () => undefined): Promise<net.Server> {
  const server = net.createServer({ allowHalfOpen: true }, onConnection);
  return new Promise((resolve) => server.listen(0, host, () => resolve(server)));
}
const portOf = (server: net.Server): number => (server.address() as net.AddressInfo).port;

async function connect(port: number, host = HOST, allowHalfOpen = false): Promise<net.Socket> {
  const socket = net.connect({ port, host, allowHalfOpen });
  try {
    await once(socket, 'connect', { signal: AbortSignal.timeout(10_000) });
  } catch (err) {
    socket.destroy();
    throw err;
  }
  return socket;
}

/** Polls a check until its verdict is `ok` (the kernel's socket table changes asynchronously). */
async function eventually(args: string[], ctx: CheckContext, ok: boolean): Promise<string> {
  let reason = '';
  const deadline = Date.now() + 5000;
  for (;;) {
    const result = await runCheck(args, ctx);
    reason = result.reason;
    if (result.ok === ok) return reason;
    if (Date.now() > deadline) throw new Error(`still ${result.ok ? 'ok' : 'failing'}: ${reason}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe('check conn: the sockets of a process tree, from /proc (no ss)', () => {
  const own: CheckContext = { now: Date.now, timeoutMs: 1000, pids: () => [process.pid] };
  let server: net.Server;
  let port: number;
  const accepted: net.Socket[] = [];

  before(async () => {
    server = await listen(HOST, (s) => accepted.push(s));
    port = portOf(server);
  });
  after(() => {
    for (const s of accepted) s.destroy();
    server.close();
  });

  test('an ESTABLISHED connection to the port counts; closing it makes the check fail', async () => {
    const args = ['conn', '--remote-port', String(port)];
    const client = await connect(port);
    assert.deepEqual(await runCheck(args, own), {
      ok: true,
      reason: `1 ESTABLISHED connection to port ${port}`,
    });
    assert.deepEqual(await runCheck([...args, '--remote-host', HOST, '--min', '1'], own), {
      ok: true,
      reason: `1 ESTABLISHED connection to ${HOST}:${port}`,
    });
    client.destroy();
    assert.equal(
      await eventually(args, own, false),
      `0 ESTABLISHED connections to port ${port} (need at least 1)`,
    );
  });

  test('--min counts several; a peer that hung up leaves CLOSE_WAIT, named in the reason', async () => {
    const args = ['conn', '--remote-port', String(port), '--min', '2'];
    const a = await connect(port, HOST, true);
    const b = await connect(port, HOST, true);
    assert.equal((await runCheck(args, own)).reason, `2 ESTABLISHED connections to port ${port}`);
    await waitFor(() => accepted.length >= 2, 5000, 'server did not accept');
    // The listener drops one connection; our side, half-open, sits in CLOSE_WAIT.
    const dropped = accepted.splice(0).map((s) => {
      s.end();
      return s;
    });
    const reason = await eventually(['conn', '--remote-port', String(port)], own, false);
    assert.equal(reason, `0 ESTABLISHED connections to port ${port} (need at least 1); 2 CLOSE_WAIT`);
    for (const s of [a, b, ...dropped]) s.destroy();
  });

  test('--local-port with --state LISTEN sees our listener; other states are listed', async () => {
    const client = await connect(port);
    await waitFor(() => accepted.length >= 1, 5000, 'server did not accept');
    assert.deepEqual(await runCheck(['conn', '--local-port', String(port), '--state', 'LISTEN'], own), {
      ok: true,
      reason: `1 LISTEN socket on local port ${port}; 1 ESTABLISHED`,
    });
    assert.deepEqual(
      await runCheck(['conn', '--local-port', String(port), '--state', 'any', '--min', '3'], own),
      {
        ok: false,
        reason: `2 sockets on local port ${port} (need at least 3)`,
      },
    );
    client.destroy();
  });

  test('IPv6 and IPv4-mapped sockets (tcp6) match --remote-host by address', async () => {
    const dual = await listen('::');
    const p = portOf(dual);
    const mapped = await connect(p, '::ffff:127.0.0.1');
    const v6 = await connect(p, '::1');
    assert.equal(
      (await runCheck(['conn', '--remote-port', String(p), '--remote-host', HOST], own)).reason,
      `1 ESTABLISHED connection to ${HOST}:${p}`,
    );
    assert.equal(
      (await runCheck(['conn', '--remote-port', String(p), '--remote-host', '::1'], own)).reason,
      `1 ESTABLISHED connection to [::1]:${p}`,
    );
    assert.equal(
      (await runCheck(['conn', '--remote-port', String(p), '--remote-host', 'localhost', '--min', '1'], own))
        .ok,
      true,
    );
    mapped.destroy();
    v6.destroy();
    dual.close();
  });

  test('only the given pids count: a child holding the connection is seen through the tree', async () => {
    // sh keeps running, so the node holding the socket is a grandchild of this process.
    const script = `const s=require('net').connect(${port},'${HOST}',()=>console.log('connected'));setInterval(()=>{},1000)`;
    const child: ChildProcess = spawn('sh', ['-c', `"${process.execPath}" -e "${script}"; true`], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    try {
      await once(child.stdout!, 'data', { signal: AbortSignal.timeout(10_000) });
      const args = ['conn', '--remote-port', String(port)];
      assert.equal((await runCheck(args, own)).ok, false, 'this process alone holds no client socket');
      const tree: CheckContext = { ...own, pids: () => processTree(child.pid!) };
      assert.deepEqual(await runCheck(args, tree), {
        ok: true,
        reason: `1 ESTABLISHED connection to port ${port}`,
      });
      assert.ok(processTree(child.pid!).length >= 2, 'sh and its node child');
      // On the command line, --pid PID does the same when the context has no pids.
      const cli: CheckContext = { now: Date.now, timeoutMs: 1000 };
      assert.equal((await runCheck([...args, '--pid', String(child.pid)], cli)).ok, true);
      assert.match(
        (await runCheck([...args, '--pid', String(child.pid)], own)).reason,
        /--pid is for the command line/,
      );
    } finally {
      for (const pid of processTree(child.pid!).reverse()) process.kill(pid, 'SIGKILL');
      child.stdout?.destroy();
    }
  });

  test('without pids, every socket of the network namespace counts', async () => {
    const fresh = await listen();
    const p = portOf(fresh);
    const client = await connect(p);
    const ns: CheckContext = { now: Date.now, timeoutMs: 1000 };
    assert.deepEqual(await runCheck(['conn', '--remote-port', String(p)], ns), {
      ok: true,
      reason: `1 ESTABLISHED connection to port ${p}`,
    });
    client.destroy();
    fresh.close();
  });

  test('socketTableMaxAgeMs shares one read of the tables between checks; 0 (the default) reads every run', async () => {
    const fresh = await listen();
    const p = portOf(fresh);
    const args = ['conn', '--remote-port', String(p)];
    let now = 1_000_000;
    const sharing: CheckContext = { ...own, now: () => now, socketTableMaxAgeMs: 100 };
    assert.equal((await runCheck(args, sharing)).ok, false);
    const client = await connect(p);
    // The table read before the connection is reused within 100 ms on the check's clock …
    assert.equal(
      (await runCheck(args, sharing)).reason,
      `0 ESTABLISHED connections to port ${p} (need at least 1)`,
    );
    // … while a context without sharing reads it afresh.
    assert.equal((await runCheck(args, own)).ok, true);
    now += 101;
    assert.deepEqual(await runCheck(args, sharing), {
      ok: true,
      reason: `1 ESTABLISHED connection to port ${p}`,
    });
    client.destroy();
    fresh.close();
  });

  test('--remote-host addresses compare in the form /proc gives', () => {
    assert.equal(normalizeIp('10.0.0.5'), '10.0.0.5');
    assert.equal(normalizeIp('0:0:0:0:0:0:0:1'), '::1');
    assert.equal(normalizeIp('2001:DB8:0:0::1'), '2001:db8::1');
    assert.equal(normalizeIp('::ffff:127.0.0.1'), '127.0.0.1');
    assert.equal(normalizeIp('::FFFF:7f00:1'), '127.0.0.1');
  });

  test('an unresolvable --remote-host fails naming the fix', async () => {
    const result = await runCheck(
      ['conn', '--remote-port', '1521', '--remote-host', 'no-such-host.invalid'],
      own,
    );
    assert.equal(result.ok, false);
    assert.match(
      result.reason,
      /cannot resolve --remote-host no-such-host\.invalid: .*give its IP address instead/,
    );
  });
});
