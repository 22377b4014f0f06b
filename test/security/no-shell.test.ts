/**
 * Issue 7 item 5: no manifest string ever reaches a shell. A pod whose command, args, env, exec
 * probe and httpGet probe (path and headers) are full of shell syntax — `$(touch …)`, backticks,
 * `;`, `|`, `&&`, newlines, globs, quotes — runs on a real node: no file the shell would have made
 * appears, and every string arrives byte for byte (the container prints its argv and env to its
 * log, the exec probe writes its argv to a file, the httpGet target records path and headers).
 */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Pod } from '../../src/api/types.js';
import { isPodReady, markedPod, newMarker, uniqueName } from '../helpers/e2e-pods.js';
import { startHttpTarget, type HttpTarget } from '../helpers/http-target.js';
import {
  killProcessesWithMarker,
  REPO_ROOT,
  startNode,
  type PodvisorNode,
} from '../helpers/podvisor-node.js';

const MARKER = newMarker('sec-noshell');
const scratch = mkdtempSync(join(tmpdir(), 'podvisor-security-noshell-'));
const pwned = (n: number): string => join(scratch, `pwned-${n}`);

/** Each would create its pwned file if any shell saw it (sh, bash, or a `sh -c` built from strings). */
const PAYLOADS = [
  `$(touch ${pwned(1)})`,
  `\`touch ${pwned(2)}\``,
  `x; touch ${pwned(3)}`,
  `x | touch ${pwned(4)}`,
  `x\ntouch ${pwned(5)}\n`,
  `x && touch ${pwned(6)}`,
  `\${IFS:-$(touch ${pwned(7)})}`,
  `"'$(touch ${pwned(8)})'"`,
  `* ? [a] ~ $HOME \\ ' "`,
  `--$(touch ${pwned(9)})`,
];

/** Prints {argv, env} of the container as one JSON line, then waits to be stopped. */
const ECHO_ARGV =
  "process.stdout.write(JSON.stringify({argv: process.argv.slice(1), env: process.env.EVIL}) + '\\n'); setInterval(() => {}, 1e9);";

/** The exec probe: writes its argv to the file named by its first argument, exits 0. */
const RECORD_ARGV =
  "require('fs').writeFileSync(process.argv[1] + '.tmp', JSON.stringify(process.argv.slice(2))); require('fs').renameSync(process.argv[1] + '.tmp', process.argv[1]);";

const HTTP_PATH_PAYLOAD = `/probe/$(touch ${pwned(10)});\`touch ${pwned(11)}\`|x&&y`;
const HTTP_HEADER_PAYLOAD = `$(touch ${pwned(12)}); \`touch ${pwned(13)}\` | x && y`;

async function waitFor<T>(what: string, read: () => T | undefined, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = read();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('security: no manifest string reaches a shell (issue 7 item 5)', { timeout: 120_000 }, () => {
  let node: PodvisorNode;
  let target: HttpTarget;
  let podName: string;
  const execRecord = join(scratch, 'exec-argv.json');

  before(async () => {
    target = await startHttpTarget({ routes: { '*': { body: 'ok' } } });
    node = await startNode();
    podName = uniqueName('noshell');
    const pod: Pod = markedPod(podName, MARKER, {
      containers: [
        {
          name: 'app',
          image: 'node',
          command: [process.execPath, '-e', ECHO_ARGV, '--', PAYLOADS[0] as string],
          args: PAYLOADS.slice(1),
          env: [{ name: 'EVIL', value: PAYLOADS.join(' ') }],
          readinessProbe: {
            exec: { command: [process.execPath, '-e', RECORD_ARGV, execRecord, ...PAYLOADS] },
            periodSeconds: 1,
          },
          livenessProbe: {
            httpGet: {
              host: target.host,
              port: target.port,
              path: HTTP_PATH_PAYLOAD,
              httpHeaders: [{ name: 'X-Evil', value: HTTP_HEADER_PAYLOAD }],
            },
            periodSeconds: 1,
          },
        },
      ],
    });
    await node.createPod(pod);
    await node.waitForPod(podName, isPodReady, 60_000);
  });
  after(async () => {
    await node?.stop();
    await target?.close();
    killProcessesWithMarker(MARKER);
    rmSync(scratch, { recursive: true, force: true });
  });

  test('command, args and env arrive verbatim in the container', async () => {
    const line = await readContainerLog();
    const seen = JSON.parse(line) as { argv: string[]; env: string };
    assert.deepEqual(seen.argv, PAYLOADS);
    assert.equal(seen.env, PAYLOADS.join(' '));
  });

  test('the exec probe gets its command verbatim', async () => {
    const recorded = await waitFor(
      'the exec probe record',
      () => (existsSync(execRecord) ? (JSON.parse(readFileSync(execRecord, 'utf8')) as string[]) : undefined),
      30_000,
    );
    assert.deepEqual(recorded, PAYLOADS);
  });

  test('the httpGet probe sends its path and header verbatim (the path only URL-escaped)', async () => {
    const request = await waitFor('an httpGet probe request', () => target.requests[0], 30_000);
    assert.equal(decodeURIComponent(request.url), HTTP_PATH_PAYLOAD);
    const headers = request.rawHeaders;
    const at = headers.findIndex((h) => h.toLowerCase() === 'x-evil');
    assert.ok(at >= 0, `X-Evil in ${JSON.stringify(headers)}`);
    assert.equal(headers[at + 1], HTTP_HEADER_PAYLOAD);
  });

  test('no shell ran any of it: not one pwned file exists', () => {
    const made = readdirSync(scratch).filter((f) => f.startsWith('pwned'));
    assert.deepEqual(made, []);
  });

  /** The container's first log line, through `podvisor logs` (the JSON the container printed). */
  async function readContainerLog(): Promise<string> {
    const deadline = Date.now() + 30_000;
    for (;;) {
      const res = await node.runCli(['logs', podName, '-c', 'app']);
      const first = res.stdout.split('\n')[0];
      if (first?.startsWith('{')) return first;
      if (Date.now() > deadline) throw new Error(`no log line: ${JSON.stringify(res)}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }
});

/** Every TypeScript file under `dir`. */
function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((entry) => {
    const path = join(dir, entry);
    if (statSync(path).isDirectory()) return sourceFiles(path);
    return path.endsWith('.ts') ? [path] : [];
  });
}

describe('security: no code path can hand a string to a shell (issue 7 item 5)', () => {
  test('src/ never uses exec/execSync (which run a shell) nor a shell option', () => {
    const findings: string[] = [];
    for (const file of sourceFiles(join(REPO_ROOT, 'src'))) {
      const text = readFileSync(file, 'utf8');
      const where = file.slice(REPO_ROOT.length + 1);
      for (const m of text.matchAll(/import\s*\{([^}]*)\}\s*from\s*'(?:node:)?child_process'/g)) {
        const names = (m[1] ?? '').split(',').map((n) =>
          n
            .trim()
            .split(/\s+as\s+/)[0]
            ?.trim(),
        );
        const shells = names.filter((n) => n === 'exec' || n === 'execSync');
        if (shells.length > 0)
          findings.push(`${where} imports ${shells.join(', ')} (a shell) from child_process`);
      }
      if (
        /import\s*\*\s*as\s+\w+\s+from\s*'(?:node:)?child_process'/.test(text) &&
        /\.exec(Sync)?\(/.test(text)
      )
        findings.push(`${where} calls child_process exec through a namespace import`);
      if (/\bshell\s*:\s*(?!false\b)/.test(text)) findings.push(`${where} passes a shell option`);
    }
    assert.deepEqual(findings, []);
  });
});
