/**
 * files.ts for the browser bundle: paths are URL paths on the page's server, read with
 * fetch. The server (web/server.ts) answers `?kind` with what a path is, so a model
 * folder is checked the same way as on disk, and an absent optional part is no 404.
 */

/** A URL path without "." / ".." segments or doubled slashes. */
function normalize(path: string): string {
  const out = new URL(path, 'http://page/').pathname;
  return out.length > 1 && out.endsWith('/') ? out.slice(0, -1) : out;
}

export function join(...parts: string[]): string {
  return normalize(parts.join('/'));
}

/** Relative paths are taken from the server root: the page passes absolute ones. */
export function resolve(...parts: string[]): string {
  let path = '/';
  for (const p of parts) path = p.startsWith('/') ? p : `${path}/${p}`;
  return normalize(path);
}

export function dirname(path: string): string {
  const p = normalize(path);
  const i = p.lastIndexOf('/');
  return i <= 0 ? '/' : p.slice(0, i);
}

export function isAbsolute(path: string): boolean {
  return path.startsWith('/');
}

export async function pathKind(path: string): Promise<'file' | 'dir' | undefined> {
  const res = await fetch(`${path}?kind`).catch(() => undefined);
  if (!res?.ok) return undefined;
  const { kind } = (await res.json()) as { kind: unknown };
  return kind === 'file' || kind === 'dir' ? kind : undefined;
}

export const MAX_TEXT_FILE_BYTES = 64 * 1024 * 1024;

export async function readText(path: string, maxBytes = MAX_TEXT_FILE_BYTES): Promise<string> {
  const res = await fetch(path);
  if (!res.ok) {
    // The code Node gives a missing file, so callers word both cases the same way.
    const err = new Error(`${path}: HTTP ${res.status}`) as Error & { code?: string };
    if (res.status === 404) err.code = 'ENOENT';
    throw err;
  }
  const text = await res.text();
  if (text.length > maxBytes) {
    throw Object.assign(new Error(`it has more than ${maxBytes} bytes`), { code: 'EFBIG' });
  }
  return text;
}
