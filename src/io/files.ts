/**
 * The file access that model folders and problem files need, in one place: the browser
 * bundle replaces this module with filesWeb.ts (the same exports over fetch), so the
 * library's loaders run unchanged in a page without pulling node:fs into it.
 */
import { constants } from 'node:fs';
import { open, stat } from 'node:fs/promises';

export { dirname, isAbsolute, join, resolve } from 'node:path';

/** "file", "dir", or undefined when nothing is there. */
export async function pathKind(path: string): Promise<'file' | 'dir' | undefined> {
  const st = await stat(path).catch(() => undefined);
  if (!st) return undefined;
  return st.isFile() ? 'file' : st.isDirectory() ? 'dir' : undefined;
}

/**
 * The most bytes a config or text file (JSON configs, tokenizer files) is read up to: the
 * largest shipped tokenizer.json is a few MB, and a file this size parses in well under a
 * second. Bigger (or endless, like /dev/zero) inputs are refused, never read.
 */
export const MAX_TEXT_FILE_BYTES = 64 * 1024 * 1024;

function fileError(code: string, message: string): Error {
  return Object.assign(new Error(message), { code });
}

/**
 * The file's bytes, at most `maxBytes` of them: only a regular file is read (a FIFO, a
 * device such as /dev/zero or a socket is refused without blocking: it is opened
 * non-blocking and checked before any read), and one larger than `maxBytes` is refused.
 * Errors keep the runtime's code (ENOENT); refusals have code ENOTREG or EFBIG.
 */
export async function readBytes(path: string, maxBytes: number): Promise<Buffer> {
  const fh = await open(path, constants.O_RDONLY | constants.O_NONBLOCK);
  try {
    const st = await fh.stat();
    if (!st.isFile()) throw fileError('ENOTREG', 'it is not a regular file');
    if (st.size > maxBytes) {
      throw fileError('EFBIG', `it has ${st.size} bytes; at most ${maxBytes} are read`);
    }
    // The size may grow while we read: read at most maxBytes + 1 and refuse if it did.
    const buf = Buffer.alloc(Math.min(maxBytes + 1, st.size + 1));
    let n = 0;
    for (;;) {
      const { bytesRead } = await fh.read(buf, n, buf.length - n, n);
      if (bytesRead === 0) break;
      n += bytesRead;
      if (n === buf.length) break;
    }
    if (n > maxBytes) throw fileError('EFBIG', `it has more than ${maxBytes} bytes`);
    return buf.subarray(0, n);
  } finally {
    await fh.close();
  }
}

/** The file as UTF-8 text (readBytes' checks); errors keep the runtime's code (ENOENT). */
export async function readText(path: string, maxBytes = MAX_TEXT_FILE_BYTES): Promise<string> {
  return (await readBytes(path, maxBytes)).toString('utf8');
}
