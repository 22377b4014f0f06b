import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  checkInvocation,
  checkUsage,
  compileCheck,
  parseCheckArgs,
  runCheck,
  CHECK_KINDS,
} from '../../../../src/probe/checks/index.js';

describe('checkInvocation: podvisor recognises its own check in an exec probe', () => {
  const after = ['log', '--match', 'ORA-', '--fail-on-match'];
  test('every documented form gives the arguments after `check`', () => {
    const forms: string[][] = [
      ['podvisor', 'check', ...after],
      ['/usr/local/bin/podvisor', 'check', ...after],
      ['podvisor-check', ...after],
      ['/opt/podvisor-check', ...after],
      ['node', '/work/bin/podvisor.js', 'check', ...after],
      ['node', 'bin/podvisor', 'check', ...after],
      ['/usr/bin/node', '/app/podvisor-check.mjs', ...after],
      ['node', 'podvisor-check.js', ...after],
      ['npx', 'podvisor', 'check', ...after],
      ['podvisor-check', 'check', ...after],
      ['node', '/app/podvisor-check.mjs', 'check', ...after],
    ];
    for (const argv of forms) assert.deepEqual(checkInvocation(argv), after, argv.join(' '));
  });

  test('anything else is a real command', () => {
    const others: string[][] = [
      [],
      ['cat', '/tmp/healthy'],
      ['podvisor', 'get', 'pods'],
      ['node', 'server.js', 'check', 'log'],
      ['node', '/work/bin/podvisor.js', 'logs', 'x'],
      ['sh', '-c', 'podvisor check log --match x'],
      ['npx', 'other', 'check'],
      ['mypodvisor', 'check', 'log'],
    ];
    for (const argv of others) assert.equal(checkInvocation(argv), undefined, argv.join(' '));
  });

  test('`podvisor check` alone gives no arguments (runCheck then fails naming the kinds)', async () => {
    assert.deepEqual(checkInvocation(['podvisor', 'check']), []);
    const result = await runCheck([], { now: Date.now, timeoutMs: 1000 });
    assert.equal(result.ok, false);
    assert.match(result.reason, /say which check to run: one of log, silence, conn, http, tcp, grpc, exec/);
  });
});

describe('parseCheckArgs: usage errors name the flag and the fix', () => {
  const cases: [string[], RegExp][] = [
    [['nope'], /unknown kind "nope": use one of log, silence/],
    [['log'], /--match is required: e.g. --match/],
    [['log', '--match'], /--match needs a value, e.g. --match/],
    [['log', '--match', '('], /--match "\(" is not a valid regular expression .*: fix the pattern/],
    [
      ['log', '--match', 'x', '--window', 'soon'],
      /--window "soon" is not a duration: write e.g. --window 30s/,
    ],
    [['log', '--match', 'x', '--fail-on-match', '--require-match'], /exclude each other/],
    [['log', '--match', 'x', '--bogus'], /unknown flag --bogus: see 'podvisor check log --help'/],
    [['log', '--match', 'x', '--match', 'y'], /--match is given twice: give it once/],
    [['log', '--match', 'x', 'extra'], /unexpected argument "extra"/],
    [['silence'], /--max is required: e.g. --max 5m/],
    [['silence', '--max', '0s'], /--max must be longer than 0s/],
    [['conn'], /say which connections to count: e.g. --remote-port 1521/],
    [['conn', '--remote-port', '70000'], /--remote-port "70000" is not a whole number from 1 to 65535/],
    [
      ['conn', '--remote-port', '1', '--state', 'OPEN'],
      /--state "OPEN" is not a TCP state: use one of ESTABLISHED/,
    ],
    [['http'], /give the URL/],
    [['http', 'ftp://x/'], /is not an http\(s\) URL/],
    [['http', 'http://h/', '--expect-status', 'ok'], /--expect-status "ok" is not a status list/],
    [['http', 'http://h/', '-H', 'NoColon'], /-H "NoColon" is not 'Name: value'/],
    [['tcp'], /say where to connect: HOST:PORT, or --port P/],
    [['tcp', 'localhost'], /"localhost" is not HOST:PORT/],
    [['grpc', 'h:0'], /port "0" is not a port from 1 to 65535/],
    [['exec'], /give the command after '--'/],
    [['tcp', 'h:1', '--timeout', '0s'], /--timeout must be longer than 0s/],
    [['silence', '--max=5m', '--max-x'], /unknown flag --max-x/],
    [['log', '--require-match=yes', '--match', 'x'], /--require-match takes no value/],
  ];
  for (const [args, expected] of cases) {
    test(args.join(' ') || '(none)', () => {
      const parsed = parseCheckArgs(args);
      assert.ok('error' in parsed, 'expected a usage error');
      assert.match(parsed.error, expected);
      assert.doesNotMatch(parsed.error, /\n/);
    });
  }

  test('valid arguments parse to their kind; --flag=value and -c/-n/--pod are accepted', () => {
    assert.deepEqual(
      parseCheckArgs(['log', '--match=ORA-', '--window=30s', '--pod', 'x', '-c', 'app', '-n', 'ns']),
      {
        kind: 'log',
        args: ['log', '--match=ORA-', '--window=30s', '--pod', 'x', '-c', 'app', '-n', 'ns'],
      },
    );
    const compiled = compileCheck([
      'log',
      '--match',
      'x',
      '--pod',
      'pod/web',
      '-c',
      'app',
      '-n',
      'ns',
      '--timeout',
      '2s',
    ]);
    assert.ok(!('error' in compiled));
    assert.deepEqual(compiled.target, { pod: 'web', container: 'app', namespace: 'ns' });
    assert.equal(compiled.timeoutMs, 2000);
    for (const kind of CHECK_KINDS)
      assert.match(checkUsage(kind), new RegExp(`usage: podvisor check ${kind}`));
  });

  test('exec: the command after `--` (or the first positional) keeps its own flags', () => {
    for (const args of [
      ['exec', '--', 'sh', '-c', 'exit 0'],
      ['exec', '--timeout', '2s', 'sh', '-c', 'exit 0'],
    ]) {
      const compiled = compileCheck(args);
      assert.ok(!('error' in compiled), JSON.stringify(compiled));
      assert.equal(compiled.kind, 'exec');
    }
  });

  test('parsing happens once per argv: the same argv gives the same compiled check', () => {
    const a = compileCheck(['log', '--match', 'cache-me']);
    const b = compileCheck(['log', '--match', 'cache-me']);
    assert.equal(a, b);
  });

  test('in-process, a usage error is a failed result with the same one-line message', async () => {
    const result = await runCheck(['log', '--window', '30s'], { now: Date.now, timeoutMs: 1000 });
    assert.deepEqual(result, {
      ok: false,
      reason: "check log: --match is required: e.g. --match 'ORA-125\\d\\d'",
    });
  });

  test('in-process, --pod/-c/-n naming another container are refused instead of reading our own log', async () => {
    const own = {
      now: Date.now,
      timeoutMs: 1000,
      podName: 'web',
      containerName: 'app',
      namespace: 'default',
      logs: {
        linesSince: async () => ['hello'],
        lastOutputAt: async () => undefined,
        startedAt: async () => undefined,
      },
    };
    const other = await runCheck(['log', '--match', 'x', '--pod', 'db'], own);
    assert.equal(other.ok, false);
    assert.match(
      other.reason,
      /--pod\/-c\/-n name another container than the probe's own \(default\/web app\)/,
    );
    const same = await runCheck(['log', '--match', 'x', '--pod', 'web', '-c', 'app', '-n', 'default'], own);
    assert.deepEqual(same, { ok: true, reason: 'no line matched /x/ in the last 1m40s' });
  });

  test('--help in a probe fails saying it belongs on the command line', async () => {
    const result = await runCheck(['tcp', '--help'], { now: Date.now, timeoutMs: 1000 });
    assert.equal(result.ok, false);
    assert.match(result.reason, /--help prints usage on the command line: remove it from the probe/);
  });
});
