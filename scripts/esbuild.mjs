// Bundles the extension into one file so the VSIX works with nothing else installed.
import * as esbuild from 'esbuild';
import * as fs from 'node:fs';

const production = process.argv.includes('--production');
const watch = process.argv.includes('--watch');

const ctx = await esbuild.context({
  // The extension, the detached helper that removes its containers if VS Code goes without deactivating,
  // the local gateway's worker thread, and the load tool, apart (see the autocannon-apart plugin).
  entryPoints: {
    extension: 'src/extension.ts', reaper: 'src/reaper.ts', gatewayWorker: 'src/gatewayWorker.ts', autocannon: 'node_modules/autocannon/autocannon.js',
    exporter: 'src/core/export/manifests.ts', yaml: 'node_modules/yaml/dist/index.js',
  },
  bundle: true,
  format: 'cjs',
  platform: 'node',
  target: 'node20',
  outdir: 'dist',
  external: ['vscode'],
  // jsonc-parser's UMD build requires its own files at run time; its ESM build bundles cleanly.
  mainFields: ['module', 'main'],
  // ssh2 (pulled in by docker-modem) loads optional native modules inside try/catch;
  // leaving them out of the bundle makes those requires fail softly, as they do when unbuilt.
  plugins: [{
    name: 'optional-native',
    setup(build) {
      build.onResolve({ filter: /^cpu-features$|\.node$/ }, (args) => ({ path: args.path, external: true }));
    },
  }, {
    // autocannon brings hdr-histogram-js (its WebAssembly inline, and pako), form-data's mime-db and its
    // CLI's table and colour modules: ~460 KiB minified that VS Code would parse at every activation.
    // It is its own file, dist/autocannon.js, required on the first load test. It runs in the extension
    // host's thread: its workers option, which loads a file beside autocannon's own, is never used.
    name: 'autocannon-apart',
    setup(build) {
      build.onResolve({ filter: /^autocannon$/ }, () => ({ path: './autocannon.js', external: true }));
    },
  }, {
    // Export to Kubernetes / Knative renders with kubernetes-models (the schema validators of every type a
    // Deployment holds) and yaml: ~620 KiB minified, its own file, dist/exporter.js, required on the first
    // export. Only the renderers go there: what throws a UserFacingError stays in the extension's bundle.
    name: 'exporter-apart',
    setup(build) {
      build.onResolve({ filter: /\/core\/export\/manifests$/ }, (args) => (args.kind === 'entry-point' ? undefined : { path: './exporter.js', external: true }));
    },
  }, {
    // yaml (~125 KiB minified) reads a Knative func.yaml during discovery, only when a function folder has
    // one, and renders exports: its own file, dist/yaml.js, shared by the extension and the exporter.
    name: 'yaml-apart',
    setup(build) {
      build.onResolve({ filter: /^yaml$/ }, () => ({ path: './yaml.js', external: true }));
    },
  }],
  minify: production,
  sourcemap: !production,
  sourcesContent: false,
  metafile: true,
  logLevel: 'warning',
});
// The Function Activity webview's script (uPlot and the shared core code) runs in the browser, from dist/.
const webview = await esbuild.context({
  entryPoints: { activity: 'src/webview/activity.ts' },
  bundle: true,
  format: 'iife',
  platform: 'browser',
  target: 'es2022',
  outdir: 'dist',
  minify: production,
  sourcemap: !production,
  sourcesContent: false,
  metafile: true,
  logLevel: 'warning',
});
// dockerode's BuildKit session loads auth.proto from `<its dir>/proto` at run time; in the bundle that dir is dist/.
fs.cpSync('node_modules/dockerode/lib/proto', 'dist/proto', { recursive: true });
// uPlot's stylesheet, served to the webview from dist/ (no remote content).
fs.mkdirSync('dist', { recursive: true });
fs.copyFileSync('node_modules/uplot/dist/uPlot.min.css', 'dist/uPlot.min.css');
if (watch) {
  await Promise.all([ctx.watch(), webview.watch()]);
} else {
  const results = await Promise.all([ctx.rebuild(), webview.rebuild()]);
  const sizes = results.flatMap((result) => Object.entries(result.metafile.outputs)).filter(([file]) => file.endsWith('.js')).map(([file, o]) => `${file} ${(o.bytes / 1024).toFixed(0)} KiB`);
  console.log(`${sizes.join(', ')}${production ? ' (minified)' : ''}`);
  await Promise.all([ctx.dispose(), webview.dispose()]);
}
