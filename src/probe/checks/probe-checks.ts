import { probeExec } from '../exec.js';
import { probeGrpc } from '../grpc.js';
import { probeHttp, type HttpProbeRequest } from '../http.js';
import { joinHostPort } from '../go-text.js';
import { probeTcp } from '../tcp.js';
import type { ProbeOutcome } from '../types.js';
import { flagValue, regexFlag, showRegex, UsageError, type ParsedFlags } from './flags.js';
import { fail, ok, oneLine, type CheckKindDef, type CheckRunner } from './kind.js';
import type { CheckContext, CheckResult } from './types.js';

/**
 * `check http|tcp|grpc|exec`: the kubelet's own handlers, so verdicts and messages are the
 * kubelet's; `--expect-status` / `--expect-body` only narrow what counts as success.
 */

/** An unknown outcome (the probe could not run) fails the check, naming the error. */
function fromOutcome(o: ProbeOutcome, success: string): CheckResult {
  if (o.result === 'success' || o.result === 'warning') return ok(success);
  if (o.result === 'unknown') return fail(oneLine(o.error ?? 'probe error'));
  return fail(oneLine(o.output === '' ? (o.error ?? 'probe failed') : o.output));
}

interface HostPort {
  host: string;
  port: number;
}

function parsePort(kind: string, text: string, what: string): number {
  const n = Number(text);
  if (!/^\d+$/.test(text) || n < 1 || n > 65535) {
    throw new UsageError(`check ${kind}: ${what} ${JSON.stringify(text)} is not a port from 1 to 65535`);
  }
  return n;
}

/** `HOST:PORT`, `[v6]:PORT`, or `--port P` (with `--host H`, else the pod IP at run time). */
function hostPortOf(kind: string, flags: ParsedFlags): (ctx: CheckContext) => HostPort | string {
  const flagPort = flagValue(flags, '--port');
  const flagHost = flagValue(flags, '--host');
  const [positional, extra] = flags.positionals;
  if (extra !== undefined) {
    throw new UsageError(`check ${kind}: unexpected argument ${JSON.stringify(extra)}: give one HOST:PORT`);
  }
  if (positional !== undefined) {
    if (flagPort !== undefined || flagHost !== undefined) {
      throw new UsageError(`check ${kind}: give HOST:PORT or --host/--port, not both`);
    }
    const m = /^(?:\[([^\]]+)\]|([^:]*)):(\d+)$/.exec(positional);
    if (m === null) {
      throw new UsageError(
        `check ${kind}: ${JSON.stringify(positional)} is not HOST:PORT: write e.g. 127.0.0.1:8080`,
      );
    }
    const host = m[1] ?? m[2] ?? '';
    const port = parsePort(kind, m[3] ?? '', 'port');
    if (host === '') {
      // `:8080`: the pod IP where it is known (as the kubelet's default host), else loopback.
      return (ctx) => ({ host: ctx.podIP || '127.0.0.1', port });
    }
    const fixed = { host, port };
    return () => fixed;
  }
  if (flagPort === undefined) {
    throw new UsageError(`check ${kind}: say where to connect: HOST:PORT, or --port P for the pod IP`);
  }
  const port = parsePort(kind, flagPort, '--port');
  if (flagHost !== undefined) {
    const fixed = { host: flagHost, port };
    return () => fixed;
  }
  return (ctx) =>
    ctx.podIP === undefined || ctx.podIP === ''
      ? `check ${kind}: --port needs the pod IP, which is unknown here: give HOST:PORT`
      : { host: ctx.podIP, port };
}

type StatusTest = (code: number) => boolean;

/** `200-299`, `200,204`, `2xx` style lists. */
function parseStatusRanges(text: string): StatusTest {
  const ranges: [number, number][] = [];
  for (const part of text.split(',')) {
    const p = part.trim();
    const range = /^(\d{3})(?:-(\d{3}))?$/.exec(p);
    const xx = /^([1-5])xx$/i.exec(p);
    if (range !== null) {
      const lo = Number(range[1]);
      const hi = Number(range[2] ?? range[1]);
      if (hi < lo) break;
      ranges.push([lo, hi]);
    } else if (xx !== null) {
      const lo = Number(xx[1]) * 100;
      ranges.push([lo, lo + 99]);
    } else {
      ranges.length = 0;
      break;
    }
  }
  if (ranges.length === 0) {
    throw new UsageError(
      `check http: --expect-status ${JSON.stringify(text)} is not a status list: write e.g. 200-299, 200,204 or 5xx`,
    );
  }
  return (code) => ranges.some(([lo, hi]) => code >= lo && code <= hi);
}

function parseUrl(text: string): Omit<HttpProbeRequest, 'headers' | 'timeoutMs'> {
  const m = /^(https?):\/\/([^/?#]*)([^#]*)/i.exec(text);
  if (m === null) {
    throw new UsageError(
      `check http: ${JSON.stringify(text)} is not an http(s) URL: write e.g. http://127.0.0.1:8080/healthz`,
    );
  }
  const scheme = (m[1] ?? '').toUpperCase() as 'HTTP' | 'HTTPS';
  const authority = m[2] ?? '';
  if (authority.includes('@')) {
    throw new UsageError(
      'check http: user:password@ is not supported in the URL: send -H "Authorization: …"',
    );
  }
  const hp = /^(?:\[([^\]]+)\]|([^:]+))(?::(\d+))?$/.exec(authority);
  if (hp === null)
    throw new UsageError(
      `check http: ${JSON.stringify(text)} has no host: write e.g. http://127.0.0.1:8080/`,
    );
  const port =
    hp[3] === undefined ? (scheme === 'HTTPS' ? 443 : 80) : parsePort('http', hp[3], 'the URL port');
  const path = m[3] === '' ? '/' : (m[3] ?? '/');
  return { scheme, host: hp[1] ?? hp[2] ?? '', port, path };
}

function compileHttp(flags: ParsedFlags): CheckRunner {
  const [url, extra] = flags.positionals;
  if (url === undefined)
    throw new UsageError('check http: give the URL: e.g. check http http://127.0.0.1:8080/healthz');
  if (extra !== undefined)
    throw new UsageError(`check http: unexpected argument ${JSON.stringify(extra)}: give one URL`);
  const base = parseUrl(url);
  const headers = (flags.values.get('--header') ?? []).map((h) => {
    const colon = h.indexOf(':');
    if (colon <= 0)
      throw new UsageError(
        `check http: -H ${JSON.stringify(h)} is not 'Name: value': write e.g. -H 'Accept: application/json'`,
      );
    return { name: h.slice(0, colon).trim(), value: h.slice(colon + 1).trim() };
  });
  const statusText = flagValue(flags, '--expect-status');
  const statusOk = statusText === undefined ? undefined : parseStatusRanges(statusText);
  const bodySource = flagValue(flags, '--expect-body');
  const bodyRegex = bodySource === undefined ? undefined : regexFlag('http', '--expect-body', bodySource);
  return async (_ctx, timeoutMs) => {
    let status = 0;
    let body = '';
    const outcome = await probeHttp({
      ...base,
      headers,
      timeoutMs,
      observe: (code, text) => {
        status = code;
        body = text;
      },
    });
    // No response at all (refused, timed out, bad redirect): the kubelet's verdict and text.
    if (status === 0 || outcome.result === 'unknown') return fromOutcome(outcome, '');
    if (statusOk === undefined) {
      if (outcome.result === 'failure') return fromOutcome(outcome, '');
    } else if (!statusOk(status)) {
      return fail(`HTTP probe failed with statuscode: ${status} (expected ${statusText})`);
    }
    if (bodyRegex !== undefined && !bodyRegex.test(body)) {
      return fail(
        `HTTP probe body (${status}, ${Buffer.byteLength(body)} bytes read) did not match ${showRegex(bodySource ?? '')}`,
      );
    }
    const notes = [String(status)];
    if (statusOk === undefined && outcome.result === 'warning') notes.push('redirect not followed');
    if (bodyRegex !== undefined) notes.push(`body matched ${showRegex(bodySource ?? '')}`);
    return ok(`HTTP probe succeeded (${notes.join(', ')})`);
  };
}

function compileTcp(flags: ParsedFlags): CheckRunner {
  const where = hostPortOf('tcp', flags);
  return async (ctx, timeoutMs) => {
    const hp = where(ctx);
    if (typeof hp === 'string') return fail(hp);
    const outcome = await probeTcp({ ...hp, timeoutMs });
    return fromOutcome(outcome, `TCP probe succeeded: connected to ${joinHostPort(hp.host, hp.port)}`);
  };
}

function compileGrpc(flags: ParsedFlags): CheckRunner {
  const where = hostPortOf('grpc', flags);
  const service = flagValue(flags, '--service') ?? '';
  return async (ctx, timeoutMs) => {
    const hp = where(ctx);
    if (typeof hp === 'string') return fail(hp);
    const outcome = await probeGrpc({ ...hp, service, timeoutMs });
    const what = service === '' ? '' : ` (service ${JSON.stringify(service)})`;
    return fromOutcome(outcome, `gRPC probe succeeded: ${joinHostPort(hp.host, hp.port)}${what} is SERVING`);
  };
}

function compileExec(flags: ParsedFlags): CheckRunner {
  const argv = flags.positionals;
  if (argv.length === 0 || argv[0] === '') {
    throw new UsageError("check exec: give the command after '--': e.g. check exec -- cat /tmp/healthy");
  }
  const shown = argv.join(' ');
  return async (ctx, timeoutMs) => {
    const env = ctx.env ?? (process.env as Record<string, string>);
    const outcome = await probeExec({
      argv: [...argv],
      env,
      cwd: ctx.cwd ?? '',
      timeoutMs,
      ...(ctx.signal === undefined ? {} : { signal: ctx.signal }),
    });
    const said = oneLine(outcome.output);
    if (outcome.result === 'success')
      return ok(said === '' ? `command ${JSON.stringify(shown)} succeeded` : said);
    if (outcome.result === 'failure' && said === '')
      return fail(`command ${JSON.stringify(shown)} failed with no output`);
    return fromOutcome(outcome, '');
  };
}

const TIMEOUT_LINE =
  "  --timeout DURATION   the probe's timeout (default: the probe's timeoutSeconds, 1s on the command line)";

export const HTTP_CHECK: CheckKindDef = {
  kind: 'http',
  summary: "an HTTP GET with the kubelet's semantics (2xx/3xx succeed), optionally stricter",
  usage: `podvisor check http URL [--expect-status 200-299] [--expect-body REGEX] [-H 'K: V']...
  --expect-status LIST the statuses that succeed, e.g. 200-299, 200,204 or 5xx
  --expect-body REGEX  succeed only if the first 10 KiB of the body match
  -H, --header 'K: V'  a request header (repeatable)
${TIMEOUT_LINE}`,
  flags: [
    { names: ['--expect-status'], value: true, example: '200-299' },
    { names: ['--expect-body'], value: true, example: '\'"status":"UP"\'' },
    { names: ['-H', '--header'], value: true, repeat: true, example: "'Accept: text/plain'" },
  ],
  compile: compileHttp,
};

export const TCP_CHECK: CheckKindDef = {
  kind: 'tcp',
  summary: "a TCP connect with the kubelet's semantics",
  usage: `podvisor check tcp HOST:PORT | --port PORT [--host HOST]
  --port PORT          the port (on the pod IP unless --host is given)
${TIMEOUT_LINE}`,
  flags: [
    { names: ['--port'], value: true, example: '8080' },
    { names: ['--host'], value: true, example: '127.0.0.1' },
  ],
  compile: compileTcp,
};

export const GRPC_CHECK: CheckKindDef = {
  kind: 'grpc',
  summary: "a grpc.health.v1 Check with the kubelet's semantics",
  usage: `podvisor check grpc HOST:PORT [--service S] | --port PORT [--host HOST]
  --service NAME       the service to ask about (default "": the server as a whole)
${TIMEOUT_LINE}`,
  flags: [
    { names: ['--service'], value: true, example: 'my.Service' },
    { names: ['--port'], value: true, example: '9090' },
    { names: ['--host'], value: true, example: '127.0.0.1' },
  ],
  compile: compileGrpc,
};

export const EXEC_CHECK: CheckKindDef = {
  kind: 'exec',
  summary: "a command with the kubelet's exec semantics (exit 0 succeeds)",
  usage: `podvisor check exec [--timeout DURATION] -- CMD ARGS...
${TIMEOUT_LINE}`,
  flags: [],
  stopAtPositional: true,
  compile: compileExec,
};
