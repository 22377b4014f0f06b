// Bundles the dashboard (web/src, Preact) into dist/web/{index.html,dashboard.js,dashboard.css}:
// the only files `podvisor up` serves at /dashboard/ (src/server/dashboard.ts). One script and one
// stylesheet, both same-origin, so the page runs under `script-src 'self'; style-src 'self'` with
// nothing inline.
import { build } from 'esbuild';
import { mkdir, writeFile } from 'node:fs/promises';

const outdir = 'dist/web';
await mkdir(outdir, { recursive: true });
await build({
  entryPoints: { dashboard: 'web/src/main.tsx' },
  outdir,
  bundle: true,
  format: 'esm',
  platform: 'browser',
  target: ['es2022'],
  jsx: 'automatic',
  jsxImportSource: 'preact',
  minify: true,
  // esbuild gathers every CSS import (styles.css, views.css) into dist/web/dashboard.css.
  loader: { '.css': 'css' },
  legalComments: 'none',
  logLevel: 'warning',
});
await writeFile(
  `${outdir}/index.html`,
  `<!doctype html>
<html lang="en">
  <head>
    <meta charset="utf-8" />
    <meta name="viewport" content="width=device-width, initial-scale=1" />
    <meta name="referrer" content="no-referrer" />
    <title>podvisor</title>
    <!-- An empty icon, so the browser does not ask for /favicon.ico (which needs the token: a 401). -->
    <link rel="icon" href="data:," />
    <link rel="stylesheet" href="dashboard.css" />
    <script type="module" src="dashboard.js"></script>
  </head>
  <body>
    <div id="app"></div>
  </body>
</html>
`,
);
