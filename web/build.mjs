// Bundles the web page (web/main.ts + the library it imports) into dist/web with esbuild.
// The library's two Node seams are swapped for their browser twins at bundle time:
// backends/onnx.ts → onnxWeb.ts (onnxruntime-web) and io/files.ts → filesWeb.ts (fetch).
import { build } from 'esbuild';
import { copyFile, mkdir } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const out = join(root, 'dist', 'web');
const BROWSER_TWINS = {
  'backends/onnx.js': join(root, 'src', 'backends', 'onnxWeb.ts'),
  'io/files.js': join(root, 'src', 'io', 'filesWeb.ts'),
};

const browserTwins = {
  name: 'browser-twins',
  setup(b) {
    b.onResolve({ filter: /(backends\/onnx|io\/files)\.js$/ }, (args) => {
      const key = Object.keys(BROWSER_TWINS).find((k) => args.path.endsWith(k));
      return key ? { path: BROWSER_TWINS[key] } : undefined;
    });
  },
};

await mkdir(out, { recursive: true });
await build({
  entryPoints: [join(root, 'web', 'main.ts')],
  outdir: out,
  // onnxruntime-web's WebAssembly-only and WebGPU builds are separate chunks: the page
  // loads the one it uses.
  splitting: true,
  chunkNames: 'chunks/[name]-[hash]',
  bundle: true,
  format: 'esm',
  platform: 'browser',
  target: 'es2022',
  sourcemap: true,
  minify: true,
  logLevel: 'warning',
  plugins: [browserTwins],
  define: { 'process.env.NODE_ENV': '"production"' },
});
for (const f of ['index.html', 'style.css']) await copyFile(join(root, 'web', f), join(out, f));
