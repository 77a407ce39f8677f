/**
 * The static server of the web page (`diffier web`): the built page (dist/web), the
 * onnxruntime-web WebAssembly files (from node_modules, no CDN), the embedded model folders
 * and the benchmark problems. Nothing is computed here; sampling runs in the browser.
 */
import { createReadStream } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { extname, join, normalize, sep } from 'node:path';

/** URL prefix → folder on disk. */
export type Mounts = Readonly<Record<string, string>>;

const TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.txt': 'text/plain; charset=utf-8',
  '.wasm': 'application/wasm',
  '.onnx': 'application/octet-stream',
  '.png': 'image/png',
  '.svg': 'image/svg+xml',
};

/**
 * COOP/COEP make the page cross-origin isolated, which WebAssembly threads
 * (SharedArrayBuffer) need; everything is same-origin, so nothing is blocked by them.
 */
const ISOLATION = {
  'cross-origin-opener-policy': 'same-origin',
  'cross-origin-embedder-policy': 'require-corp',
  'cross-origin-resource-policy': 'same-origin',
};

/** The file or folder a URL path names under the mounts; undefined outside them. */
export function locate(mounts: Mounts, urlPath: string): string | undefined {
  let decoded: string;
  try {
    decoded = decodeURIComponent(urlPath);
  } catch {
    return undefined;
  }
  if (decoded.includes('\0')) return undefined;
  const prefix = Object.keys(mounts)
    .filter((p) => decoded === p.slice(0, -1) || decoded.startsWith(p))
    .sort((a, b) => b.length - a.length)[0];
  if (prefix === undefined) return undefined;
  const root = normalize(mounts[prefix]);
  const file = normalize(join(root, decoded.slice(prefix.length)));
  // ".." may not climb out of the mounted folder.
  return file === root || file.startsWith(root.endsWith(sep) ? root : root + sep)
    ? file
    : undefined;
}

/**
 * Folders answer with their entry names (JSON) and `x-diffier-kind: dir` (io/filesWeb.ts).
 * `?kind` asks what a path is without fetching it: `{"kind":"file"|"dir"|null}`, always
 * 200, so the page can look for optional parts of a model folder (a VAE, a tokenizer's
 * slow files) without a 404 in the browser's console for each one that is absent.
 */
export function createWebServer(mounts: Mounts, index: string): Server {
  return createServer((req, res) => {
    void (async () => {
      const url = new URL(req.url ?? '/', 'http://localhost');
      if (req.method !== 'GET' && req.method !== 'HEAD') {
        res.writeHead(405, { allow: 'GET, HEAD' }).end();
        return;
      }
      const path = url.pathname === '/' ? index : locate(mounts, url.pathname);
      const st = path ? await stat(path).catch(() => undefined) : undefined;
      if (url.searchParams.has('kind')) {
        const kind = st?.isDirectory() ? 'dir' : st?.isFile() ? 'file' : null;
        res.writeHead(200, {
          'content-type': TYPES['.json'],
          'cache-control': 'no-store',
          ...ISOLATION,
        });
        res.end(req.method === 'HEAD' ? undefined : JSON.stringify({ kind }));
        return;
      }
      if (!path || !st) {
        res.writeHead(404, { 'content-type': TYPES['.txt'], ...ISOLATION }).end('not found\n');
        return;
      }
      if (st.isDirectory()) {
        const names = (await readdir(path)).sort();
        res.writeHead(200, {
          'content-type': TYPES['.json'],
          'x-diffier-kind': 'dir',
          'cache-control': 'no-store',
          ...ISOLATION,
        });
        res.end(req.method === 'HEAD' ? undefined : JSON.stringify(names));
        return;
      }
      res.writeHead(200, {
        'content-type': TYPES[extname(path).toLowerCase()] ?? 'application/octet-stream',
        'content-length': st.size,
        'x-diffier-kind': 'file',
        'cache-control': 'no-store',
        ...ISOLATION,
      });
      if (req.method === 'HEAD') res.end();
      else createReadStream(path).pipe(res);
    })().catch((err: Error) => {
      if (!res.headersSent) res.writeHead(500, { 'content-type': TYPES['.txt'] });
      res.end(`${err.message}\n`);
    });
  });
}
