import { constants } from 'node:fs';
import { access, mkdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { OutputError } from '../errors.js';

/**
 * Fail early, before any work, if `path` cannot be written: its folder must exist (or be
 * creatable under an existing writable folder) and the path must not be a folder.
 */
export async function checkWritable(path: string): Promise<void> {
  const existing = await stat(path).catch(() => undefined);
  if (existing?.isDirectory()) throw new OutputError(`output ${path} is a folder`);
  let dir = dirname(path);
  for (;;) {
    const st = await stat(dir).catch(() => undefined);
    if (st) {
      if (!st.isDirectory()) throw new OutputError(`cannot write ${path}: ${dir} is not a folder`);
      try {
        await access(dir, constants.W_OK);
      } catch {
        throw new OutputError(`cannot write ${path}: ${dir} is not writable`);
      }
      return;
    }
    const parent = dirname(dir);
    if (parent === dir) throw new OutputError(`cannot write ${path}: no existing parent folder`);
    dir = parent;
  }
}

/**
 * Write a file so that readers never see half of it: write a temporary file beside it,
 * then rename over the target. On failure nothing is left behind and an old file stays.
 */
export async function writeFileAtomic(path: string, content: string | Uint8Array): Promise<void> {
  const dir = dirname(path);
  const tmp = join(dir, `.${basename(path)}.${process.pid}.tmp`);
  try {
    await mkdir(dir, { recursive: true });
    await writeFile(tmp, content);
    await rename(tmp, path);
  } catch (err) {
    await rm(tmp, { force: true }).catch(() => undefined);
    throw new OutputError(`cannot write ${path}: ${(err as Error).message}`);
  }
}

export async function writeJsonAtomic(path: string, value: unknown): Promise<void> {
  await writeFileAtomic(path, JSON.stringify(value, jsonNumbers, 2) + '\n');
}

/** JSON has no NaN/Infinity: write them as null rather than failing or lying. */
function jsonNumbers(_key: string, value: unknown): unknown {
  if (typeof value === 'number' && !Number.isFinite(value)) return null;
  if (value instanceof Float64Array || value instanceof Float32Array) return Array.from(value);
  return value;
}
