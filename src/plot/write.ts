import { mkdir, rename, rmdir, unlink, writeFile } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';

import { OutputError } from '../core/errors.js';

let counter = 0;

/**
 * Write `svg` to `path` atomically: the text goes to a temporary file in the same folder
 * (same file system, so the rename is atomic) which then replaces `path`. A reader never
 * sees a half-written file, and a failed write leaves neither a temporary file nor any
 * folder this call created. Missing folders are created. Any failure is an OutputError
 * naming the path.
 */
export async function writeSvg(path: string, svg: string): Promise<void> {
  const target = resolve(path);
  const dir = dirname(target);
  // pid + counter: unique among concurrent writers without random names.
  const tmp = join(dir, `.${basename(target)}.${process.pid}.${counter++}.tmp`);
  let created: string | undefined;
  let wroteTmp = false;
  try {
    created = await mkdir(dir, { recursive: true });
    await writeFile(tmp, svg, { encoding: 'utf8', flag: 'wx' });
    wroteTmp = true;
    await rename(tmp, target);
  } catch (err) {
    if (wroteTmp) await unlink(tmp).catch(() => undefined);
    if (created !== undefined) await removeCreated(dir, created);
    const reason = err instanceof Error ? err.message : String(err);
    throw new OutputError(`cannot write ${path}: ${reason}`);
  }
}

/** rmdir from `dir` up to and including `top` (the first folder mkdir created); rmdir
 * refuses non-empty folders, so nothing another writer put there is lost. */
async function removeCreated(dir: string, top: string): Promise<void> {
  for (let d = dir; ; d = dirname(d)) {
    try {
      await rmdir(d);
    } catch {
      return;
    }
    if (d === top || dirname(d) === d) return;
  }
}
