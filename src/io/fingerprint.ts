import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';

/** A folder with more files than this is not fingerprinted (model folders have a dozen). */
export const MAX_FINGERPRINT_FILES = 10_000;

/**
 * The SHA-256 of a folder's regular files (a model folder's weights and configs): each file's
 * path relative to the folder (with '/'), its size and its bytes, in sorted path order, so
 * the same files give the same hash wherever the folder is. Null when there are too many.
 */
export async function folderSha256(dir: string): Promise<string | null> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  const files = entries
    .filter((e) => e.isFile())
    .map((e) => relative(dir, join(e.parentPath, e.name)).split(sep).join('/'))
    .sort();
  if (files.length > MAX_FINGERPRINT_FILES) return null;
  const hash = createHash('sha256');
  for (const rel of files) {
    hash.update(`${rel}\0`);
    let size = 0;
    const chunks = createReadStream(join(dir, rel));
    const inner = createHash('sha256');
    for await (const chunk of chunks as AsyncIterable<Buffer>) {
      size += chunk.length;
      inner.update(chunk);
    }
    hash.update(`${size}\0`).update(inner.digest());
  }
  return hash.digest('hex');
}
