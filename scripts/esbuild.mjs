// Bundles the extension into one file so the VSIX works with nothing else installed.
import * as esbuild from 'esbuild';
import * as fs from 'node:fs';

const production = process.argv.includes('--production');
const watch = process.argv.includes('--watch');

const ctx = await esbuild.context({
  // The extension, the detached helper that removes its containers if VS Code goes without deactivating,
  // and the local gateway's worker thread.
  entryPoints: { extension: 'src/extension.ts', reaper: 'src/reaper.ts', gatewayWorker: 'src/gatewayWorker.ts' },
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
  }],
  minify: production,
  sourcemap: !production,
  sourcesContent: false,
  metafile: true,
  logLevel: 'warning',
});
// dockerode's BuildKit session loads auth.proto from `<its dir>/proto` at run time; in the bundle that dir is dist/.
fs.cpSync('node_modules/dockerode/lib/proto', 'dist/proto', { recursive: true });
if (watch) {
  await ctx.watch();
} else {
  const result = await ctx.rebuild();
  const sizes = Object.entries(result.metafile.outputs).filter(([file]) => file.endsWith('.js')).map(([file, o]) => `${file} ${(o.bytes / 1024).toFixed(0)} KiB`);
  console.log(`${sizes.join(', ')}${production ? ' (minified)' : ''}`);
  await ctx.dispose();
}
