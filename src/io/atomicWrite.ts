import { constants } from 'node:fs';
import { access, mkdir, realpath, rename, rm, stat, writeFile } from 'node:fs/promises';
import { basename, dirname, join, resolve, sep } from 'node:path';
import { OutputError } from '../core/errors.js';

/**
 * The longest file name most file systems take (NAME_MAX), and what the temporary name
 * written beside an output adds to it: `.` + name + `.<pid>.<counter>.tmp`.
 */
export const MAX_NAME_BYTES = 255;
const TEMP_NAME_EXTRA = 32;

let counter = 0;
function tempPath(path: string): string {
  // pid + counter: unique among concurrent writers without random names.
  return join(dirname(path), `.${basename(path)}.${process.pid}.${counter++}.tmp`);
}

/** An output flag's value as an absolute path; a name ending in a separator is refused. */
export function outputPath(raw: string, flag: string): string {
  if (/[\\/]$/.test(raw)) {
    throw new OutputError(`${flag} ${raw} ends in a path separator: give a file name`);
  }
  return resolve(raw);
}

/**
 * Fail early, before any work, if `path` cannot be written: it must not end in a path
 * separator, its name (with the temporary suffix) must fit the file system, what is there
 * must be a regular file (never a folder, device node, FIFO or socket), and its folder must
 * exist (or be creatable under an existing writable folder).
 */
export async function checkWritable(path: string): Promise<void> {
  if (/[\\/]$/.test(path)) {
    throw new OutputError(`output ${path} ends in a path separator: give a file name`);
  }
  if (path.includes('\0')) throw new OutputError('an output path contains a NUL character');
  const nameBytes = Buffer.byteLength(basename(path));
  if (nameBytes + TEMP_NAME_EXTRA > MAX_NAME_BYTES) {
    throw new OutputError(
      `output name ${basename(path).slice(0, 40)}… is ${nameBytes} bytes; at most ${MAX_NAME_BYTES - TEMP_NAME_EXTRA} are allowed`,
    );
  }
  const existing = await stat(path).catch(() => undefined);
  if (existing?.isDirectory()) throw new OutputError(`output ${path} is a folder`);
  if (existing && !existing.isFile()) {
    throw new OutputError(
      `output ${path} exists and is not a regular file (device, FIFO or socket)`,
    );
  }
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

/** The path with every existing part resolved (symbolic links, `..`); missing tails kept. */
async function realPathOf(path: string): Promise<string> {
  const abs = resolve(path);
  let head = abs;
  let tail = '';
  for (;;) {
    const real = await realpath(head).catch(() => undefined);
    if (real !== undefined) return tail ? join(real, tail) : real;
    const parent = dirname(head);
    if (parent === head) return abs;
    tail = tail ? join(basename(head), tail) : basename(head);
    head = parent;
  }
}

/**
 * Check every output of a run before any work: each is writable (checkWritable), no two
 * resolve to the same file, and none resolves to an input of the run — an input file, or
 * an existing file inside an input folder (a model folder's weights and configs).
 */
export async function checkOutputs(
  outputs: readonly string[],
  inputs: readonly string[] = [],
): Promise<void> {
  const seen = new Map<string, string>();
  for (const out of outputs) {
    await checkWritable(out);
    const real = await realPathOf(out);
    const other = seen.get(real);
    if (other !== undefined) {
      throw new OutputError(`outputs ${other} and ${out} name the same file`);
    }
    seen.set(real, out);
  }
  for (const input of inputs) {
    const real = await realPathOf(input);
    const isDir = (await stat(real).catch(() => undefined))?.isDirectory() ?? false;
    for (const [outReal, out] of seen) {
      const inside = isDir && outReal.startsWith(real.endsWith(sep) ? real : real + sep);
      if (outReal === real || (inside && (await stat(outReal).catch(() => undefined)))) {
        throw new OutputError(`output ${out} would overwrite the input ${input}`);
      }
    }
  }
}

/** One file of a run's outputs. */
export interface OutputFile {
  readonly path: string;
  readonly content: string | Uint8Array;
}

/**
 * Write all of a run's outputs together: every file goes to a temporary file beside its
 * target first; only when all are written are they renamed over their targets. A failure
 * while writing leaves every old file as it was and no temporary file behind. A target
 * that is no longer a regular file or a new path by then is refused. Returns the paths
 * written, in order (what the CLI lists at the end of a run).
 */
export async function commitOutputs(files: readonly OutputFile[]): Promise<string[]> {
  const temps: { tmp: string; path: string }[] = [];
  let current = '';
  try {
    for (const f of files) {
      current = f.path;
      const existing = await stat(f.path).catch(() => undefined);
      if (existing && !existing.isFile()) {
        throw new Error('it exists and is not a regular file');
      }
      await mkdir(dirname(f.path), { recursive: true });
      const tmp = tempPath(f.path);
      await writeFile(tmp, f.content, { flag: 'wx' });
      temps.push({ tmp, path: f.path });
    }
    for (const { tmp, path } of temps) {
      current = path;
      await rename(tmp, path);
    }
  } catch (err) {
    await Promise.all(temps.map(({ tmp }) => rm(tmp, { force: true }).catch(() => undefined)));
    throw new OutputError(`cannot write ${current}: ${(err as Error).message}`);
  }
  return temps.map((t) => t.path);
}

/**
 * Write a file so that readers never see half of it: write a temporary file beside it,
 * then rename over the target. On failure nothing is left behind and an old file stays.
 */
export async function writeFileAtomic(path: string, content: string | Uint8Array): Promise<void> {
  await commitOutputs([{ path, content }]);
}

/** JSON text as the sidecars are written (non-finite numbers as null, typed arrays as arrays). */
export function jsonText(value: unknown): string {
  return JSON.stringify(value, jsonNumbers, 2) + '\n';
}

export async function writeJsonAtomic(path: string, value: unknown): Promise<void> {
  await writeFileAtomic(path, jsonText(value));
}

/** JSON has no NaN/Infinity: write them as null rather than failing or lying. */
function jsonNumbers(_key: string, value: unknown): unknown {
  if (typeof value === 'number' && !Number.isFinite(value)) return null;
  if (value instanceof Float64Array || value instanceof Float32Array) return Array.from(value);
  return value;
}
