// Builds the dashboard with esbuild: web/src/preload.ts and web/src/main.ts (+ lightweight-charts)
// are bundled and inlined, with the stylesheet, into web/dist/index.html: one request to a drawn
// chart (the preload script starts the market-data requests while the app bundle is parsed).
// Called by scripts/postbuild.js (so `npm ci` / `npm run build` compile it) or `node web/build.js`.
'use strict';
const fs = require('node:fs');
const path = require('node:path');
const esbuild = require('esbuild');

const src = path.join(__dirname, 'src');
const dist = path.join(__dirname, 'dist');

function bundle(entry, sourcemap) {
  const r = esbuild.buildSync({
    entryPoints: [path.join(src, entry)],
    outdir: dist,
    write: false,
    bundle: true,
    format: 'iife',
    platform: 'browser',
    target: ['chrome110', 'firefox110', 'safari16'],
    minify: true,
    sourcemap: sourcemap ? 'external' : false,
    legalComments: 'eof',
    conditions: ['production'],
    logLevel: 'warning',
  });
  const js = r.outputFiles.find((f) => f.path.endsWith('.js'));
  const map = r.outputFiles.find((f) => f.path.endsWith('.js.map'));
  return { js: js.text, map: map ? map.text : null, name: path.basename(js.path) };
}

/** Inline JS must not close its <script> element early. */
function safe(js) {
  return js.replace(/<\/script/gi, '<\\/script').replace(/<!--/g, '<\\!--');
}

function build() {
  const t0 = Date.now();
  fs.rmSync(dist, { recursive: true, force: true });
  fs.mkdirSync(dist, { recursive: true });
  const pre = bundle('preload.ts', false);
  const app = bundle('main.ts', true);
  fs.writeFileSync(path.join(dist, `${app.name}.map`), app.map);
  const css = fs.readFileSync(path.join(src, 'styles.css'), 'utf8');
  const html = fs
    .readFileSync(path.join(src, 'index.html'), 'utf8')
    .replace('/*__STYLES__*/', () => css)
    .replace('/*__PRELOAD__*/', () => safe(pre.js.trim()))
    .replace('/*__APP__*/', () => safe(app.js.trim()) + `\n//# sourceMappingURL=${app.name}.map`);
  fs.writeFileSync(path.join(dist, 'index.html'), html);
  // Third-party notices of what the bundle contains (lightweight-charts: Apache-2.0, TradingView).
  const lwc = path.join(path.dirname(require.resolve('lightweight-charts/package.json')), 'LICENSE');
  if (fs.existsSync(lwc)) fs.copyFileSync(lwc, path.join(dist, 'LICENSE-lightweight-charts.txt'));
  process.stdout.write(`web: dashboard built in ${Date.now() - t0} ms (index.html ${Math.round(Buffer.byteLength(html) / 1024)} KiB) → web/dist\n`);
}

build();
module.exports = { build };
