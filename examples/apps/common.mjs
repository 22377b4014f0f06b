// Shared plumbing for the example apps: flags, the listen address, and prompt shutdown.
// Plain Node ESM on purpose, so every app runs with `node <app>.mjs` and nothing else.

/**
 * Reads `--name value` / `--name=value` from argv, else the environment variable, else the
 * default. Unknown arguments are ignored so a manifest may append a marker or a comment.
 */
export function option(name, envName, fallback) {
  const args = process.argv.slice(2);
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    if (arg === `--${name}` && i + 1 < args.length) return args[i + 1];
    if (arg.startsWith(`--${name}=`)) return arg.slice(name.length + 3);
  }
  const fromEnv = envName ? process.env[envName] : undefined;
  return fromEnv !== undefined && fromEnv !== '' ? fromEnv : fallback;
}

export function numberOption(name, envName, fallback) {
  const raw = option(name, envName, String(fallback));
  const value = Number(raw);
  if (!Number.isFinite(value)) {
    process.stderr.write(`invalid --${name}: ${raw} (expected a number)\n`);
    process.exit(2);
  }
  return value;
}

/**
 * The address to bind: `--host`/`HOST`, else the pod IP (podvisor gives each pod its own loopback
 * address; manifests pass it with the downward API, `fieldRef: status.podIP`), else every address.
 */
export function listenHost() {
  return option('host', 'HOST', process.env.POD_IP || '0.0.0.0');
}

export function log(app, message) {
  process.stdout.write(`${new Date().toISOString()} ${app}: ${message}\n`);
}

/**
 * Graceful stop on SIGTERM/SIGINT: stop accepting, drop open connections, exit 0. A container
 * that handles its stop signal this way ends with exit code 0 (reason Completed), not 143.
 */
export function exitOnStopSignal(app, servers) {
  const stop = (signal) => {
    log(app, `received ${signal}, shutting down`);
    for (const server of servers) {
      server.close();
      if (typeof server.closeAllConnections === 'function') server.closeAllConnections();
    }
    process.exit(0);
  };
  process.once('SIGTERM', () => stop('SIGTERM'));
  process.once('SIGINT', () => stop('SIGINT'));
}

/** Listens or exits 1 with the OS error (EADDRINUSE etc.), so a bind failure is a visible crash. */
export function listenOrExit(app, server, port, host) {
  return new Promise((resolve) => {
    server.once('error', (err) => {
      process.stderr.write(`${app}: cannot listen on ${host}:${port}: ${err.message}\n`);
      process.exit(1);
    });
    server.listen(port, host, () => {
      log(app, `listening on ${host}:${server.address().port}`);
      resolve();
    });
  });
}

export function reply(res, status, body, headers = {}) {
  res.writeHead(status, { 'Content-Type': 'text/plain; charset=utf-8', ...headers });
  res.end(body);
}
