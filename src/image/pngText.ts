/**
 * Text chunks in PNG files: written after IHDR as tEXt when the text is Latin-1 and as iTXt
 * (UTF-8, uncompressed) otherwise; read back with every declared length checked against the
 * bytes that are there and the text chunks bounded, so a hostile file cannot make the
 * reader allocate more than the file's own size.
 */
import extractChunks from 'png-chunks-extract';
import encodeChunks from 'png-chunks-encode';
import * as pngText from 'png-chunk-text';
import { InputImageError } from '../core/errors.js';

const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

/** One text chunk's data is read up to this size (a recipe is a few kB). */
export const MAX_TEXT_CHUNK_BYTES = 256 * 1024;
/** A file with more text chunks than this is refused. */
export const MAX_TEXT_CHUNKS = 64;

export interface PngTextEntry {
  /** 1–79 Latin-1 characters, no NUL (the PNG rule for keywords). */
  readonly keyword: string;
  readonly text: string;
}

export function isPng(bytes: Uint8Array): boolean {
  return bytes.length >= 8 && PNG_SIGNATURE.every((b, i) => bytes[i] === b);
}

/** Latin-1 without NUL: what tEXt holds. */
function isLatin1(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 0 || c > 0xff) return false;
  }
  return true;
}

/** An iTXt chunk's data: keyword, NUL, no compression, empty language and translated keyword. */
function itxtData(keyword: string, text: string): Uint8Array {
  const head = Buffer.from(`${keyword}\0\0\0\0\0`, 'latin1');
  return Buffer.concat([head, Buffer.from(text, 'utf8')]);
}

function checkKeyword(keyword: string): void {
  if (keyword.length < 1 || keyword.length > 79 || !isLatin1(keyword)) {
    throw new InputImageError(`PNG text keyword "${keyword}" must be 1–79 Latin-1 characters`);
  }
}

/** The PNG with `entries` inserted as text chunks right after its IHDR. */
export function withTextChunks(png: Uint8Array, entries: readonly PngTextEntry[]): Uint8Array {
  const chunks = extractChunks(png);
  const text = entries.map(({ keyword, text }) => {
    checkKeyword(keyword);
    if (text.includes('\0')) throw new InputImageError(`PNG text "${keyword}" contains NUL`);
    return isLatin1(text)
      ? pngText.encode(keyword, text)
      : { name: 'iTXt', data: itxtData(keyword, text) };
  });
  return encodeChunks([chunks[0], ...text, ...chunks.slice(1)]);
}

/** The keyword and text of an iTXt chunk; compressed ones are refused (diffier never writes them). */
function decodeItxt(data: Uint8Array, where: string): PngTextEntry {
  const buf = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  const end = buf.indexOf(0);
  if (end < 1 || buf.length < end + 3) throw new InputImageError(`${where}: malformed iTXt chunk`);
  if (buf[end + 1] !== 0) throw new InputImageError(`${where}: compressed iTXt is not read`);
  const lang = buf.indexOf(0, end + 3);
  const translated = lang < 0 ? -1 : buf.indexOf(0, lang + 1);
  if (translated < 0) throw new InputImageError(`${where}: malformed iTXt chunk`);
  return {
    keyword: buf.toString('latin1', 0, end),
    text: buf.toString('utf8', translated + 1),
  };
}

/**
 * Walk the chunk headers before the library reads them: every declared length must fit in
 * the bytes that follow, and text chunks are bounded in size and number.
 */
function checkChunkLengths(bytes: Uint8Array, where: string): void {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let texts = 0;
  for (let at = 8; at < bytes.length;) {
    if (at + 12 > bytes.length) throw new InputImageError(`${where}: truncated PNG chunk`);
    const length = view.getUint32(at);
    const name = Buffer.from(bytes.subarray(at + 4, at + 8)).toString('latin1');
    if (length > bytes.length - at - 12) {
      throw new InputImageError(
        `${where}: PNG chunk ${name} declares ${length} bytes; only ${bytes.length - at - 12} follow`,
      );
    }
    if (name === 'tEXt' || name === 'iTXt' || name === 'zTXt') {
      if (length > MAX_TEXT_CHUNK_BYTES) {
        throw new InputImageError(
          `${where}: a ${name} chunk of ${length} bytes; at most ${MAX_TEXT_CHUNK_BYTES} are read`,
        );
      }
      if (++texts > MAX_TEXT_CHUNKS) {
        throw new InputImageError(`${where}: more than ${MAX_TEXT_CHUNKS} text chunks`);
      }
    }
    if (name === 'IEND') return;
    at += 12 + length;
  }
}

/** Every tEXt and (uncompressed) iTXt chunk of a PNG file, in file order. */
export function readTextChunks(bytes: Uint8Array, where: string): PngTextEntry[] {
  if (!isPng(bytes)) throw new InputImageError(`${where} is not a PNG file`);
  checkChunkLengths(bytes, where);
  let chunks: { name: string; data: Uint8Array }[];
  try {
    chunks = extractChunks(bytes);
  } catch (err) {
    throw new InputImageError(`${where} is not a readable PNG: ${(err as Error).message}`);
  }
  const out: PngTextEntry[] = [];
  for (const c of chunks) {
    if (c.name === 'tEXt') {
      try {
        out.push(pngText.decode(c.data));
      } catch (err) {
        throw new InputImageError(`${where}: malformed tEXt chunk: ${(err as Error).message}`);
      }
    } else if (c.name === 'iTXt') out.push(decodeItxt(c.data, where));
  }
  return out;
}
