// A clone of agnhost `liveness` (Kubernetes' test image): healthy for 10 s after it starts, then
// unhealthy for the rest of its life. Each restart is a new process, so the window starts again.
//
//   GET /healthz          200 "ok" while ≤10 s have passed since start, then 500 "error: <seconds>"
//   GET /started          200, time since start
//   GET /redirect?loc=U   302 to U, with Go's http.Redirect body
//
// Flags: --port (PORT, default 8080), --host (HOST, default $POD_IP or 0.0.0.0),
// --healthy-seconds (HEALTHY_SECONDS, default 10; lowered by tests that run on a compressed clock).
// Like the Go original it installs no SIGTERM handler: SIGTERM ends it at once (exit code 143).
import http from 'node:http';
import path from 'node:path';
import { listenHost, listenOrExit, numberOption, reply } from './common.mjs';

const APP = 'liveness';
const port = numberOption('port', 'PORT', 8080);
const healthySeconds = numberOption('healthy-seconds', 'HEALTHY_SECONDS', 10);
const started = process.hrtime.bigint();

function secondsSinceStart() {
  return Number(process.hrtime.bigint() - started) / 1e9;
}

// Go's time.Duration.String() for the durations this app sees (≥ 1 ms).
function goDuration(seconds) {
  if (seconds < 1) return `${trimFloat(seconds * 1000)}ms`;
  const minutes = Math.floor(seconds / 60);
  const rest = trimFloat(seconds - minutes * 60);
  return minutes > 0 ? `${minutes}m${rest}s` : `${rest}s`;
}

function trimFloat(value) {
  return value.toFixed(9).replace(/\.?0+$/, '');
}

// Go's html.EscapeString subset used by http.Redirect (htmlReplacer).
function htmlEscape(text) {
  return text
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&#34;')
    .replace(/'/g, '&#39;');
}

// Go's http.Redirect: a relative target is made absolute against the request path and cleaned
// (keeping a trailing slash and the query); absolute URLs are left as given.
function redirectTarget(loc, requestPath) {
  const hasScheme = /^[a-zA-Z][a-zA-Z0-9+.-]*:/.test(loc);
  const hasHost = loc.startsWith('//');
  if (hasScheme || hasHost) return loc;
  let target = loc;
  if (target === '' || !target.startsWith('/')) {
    const dir = requestPath.slice(0, requestPath.lastIndexOf('/') + 1) || '/';
    target = dir + target;
  }
  let query = '';
  const q = target.indexOf('?');
  if (q !== -1) {
    query = target.slice(q);
    target = target.slice(0, q);
  }
  const trailing = target.endsWith('/');
  target = path.posix.normalize(target);
  if (target.length > 1 && target.endsWith('/')) target = target.slice(0, -1);
  if (trailing && !target.endsWith('/')) target += '/';
  return target + query;
}

const server = http.createServer((req, res) => {
  const url = new URL(req.url ?? '/', 'http://placeholder');
  switch (url.pathname) {
    case '/healthz': {
      const elapsed = secondsSinceStart();
      if (elapsed > healthySeconds) reply(res, 500, `error: ${elapsed}`);
      else reply(res, 200, 'ok');
      return;
    }
    case '/started':
      reply(res, 200, goDuration(secondsSinceStart()));
      return;
    case '/redirect': {
      const loc = url.searchParams.get('loc');
      if (loc === null) {
        reply(res, 400, 'missing loc parameter');
        return;
      }
      const target = redirectTarget(loc, url.pathname);
      const headers = { Location: target };
      if (req.method === 'GET' || req.method === 'HEAD') headers['Content-Type'] = 'text/html; charset=utf-8';
      res.writeHead(302, headers);
      // Go writes the body for GET only: `<a href="...">Found</a>.` + "\n" + Fprintln's "\n".
      res.end(req.method === 'GET' ? `<a href="${htmlEscape(target)}">Found</a>.\n\n` : undefined);
      return;
    }
    default:
      reply(res, 404, '404 page not found\n');
  }
});

await listenOrExit(APP, server, port, listenHost());
