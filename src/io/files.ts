/**
 * The file access that model folders and problem files need, in one place: the browser
 * bundle replaces this module with filesWeb.ts (the same exports over fetch), so the
 * library's loaders run unchanged in a page without pulling node:fs into it.
 */
import { readFile, stat } from 'node:fs/promises';

export { dirname, isAbsolute, join, resolve } from 'node:path';

/** "file", "dir", or undefined when nothing is there. */
export async function pathKind(path: string): Promise<'file' | 'dir' | undefined> {
  const st = await stat(path).catch(() => undefined);
  if (!st) return undefined;
  return st.isFile() ? 'file' : st.isDirectory() ? 'dir' : undefined;
}

/** The file as UTF-8 text; errors are the runtime's (ENOENT has code "ENOENT"). */
export function readText(path: string): Promise<string> {
  return readFile(path, 'utf8');
}
