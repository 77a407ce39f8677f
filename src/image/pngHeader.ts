/**
 * What a PNG's first 24 bytes say (signature, then IHDR: width, height, bit depth, colour
 * type), checked before anything is decoded: the CLI's reader (readPng.ts) and the web
 * page's uploads refuse the same files with the same messages. Plain Uint8Array, no Node
 * Buffer, so the page's bundle can use it.
 */
import { InputImageError } from '../core/errors.js';

const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
const IHDR = [0x49, 0x48, 0x44, 0x52];

/** Width and height above this are refused from the header, before anything is decoded. */
export const MAX_PNG_SIDE = 4096;

/** The size a caller needs, checked from the header before anything is decoded. */
export interface PngSize {
  readonly width: number;
  readonly height: number;
}

export interface PngHeader extends PngSize {
  readonly depth: number;
  /** PNG colour type: bit 1 palette, bit 2 colour, bit 4 alpha. */
  readonly colorType: number;
}

/** The header of PNG bytes; `where` names the source in every message. */
export function readPngHeader(bytes: Uint8Array, where: string, size?: PngSize): PngHeader {
  if (bytes.length < 8 || PNG_SIGNATURE.some((b, i) => bytes[i] !== b)) {
    throw new InputImageError(`${where} is not a PNG file`);
  }
  // The IHDR chunk comes first: length 13, type "IHDR", width, height (big-endian).
  if (bytes.length < 26 || IHDR.some((b, i) => bytes[12 + i] !== b)) {
    throw new InputImageError(`${where} is not a readable PNG: no IHDR header first`);
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const width = view.getUint32(16);
  const height = view.getUint32(20);
  if (width < 1 || height < 1 || width > MAX_PNG_SIDE || height > MAX_PNG_SIDE) {
    throw new InputImageError(
      `${where} declares ${width}×${height} pixels; at most ${MAX_PNG_SIDE}×${MAX_PNG_SIDE} are read`,
    );
  }
  if (size && (width !== size.width || height !== size.height)) {
    throw new InputImageError(
      `${where} is ${width}×${height}; the model reads ${size.width}×${size.height} images`,
    );
  }
  return { width, height, depth: bytes[24], colorType: bytes[25] };
}

/**
 * Refuse what a model cannot read faithfully: 16-bit samples (would be silently rounded),
 * palette images, an alpha channel (what would transparent pixels mean?), and colour for a
 * greyscale model.
 */
export function checkPngColours(header: PngHeader, channels: 1 | 3, where: string): void {
  if (header.depth === 16) {
    throw new InputImageError(`${where} has 16-bit samples; save it as an 8-bit PNG`);
  }
  if (header.colorType & 1) {
    throw new InputImageError(
      `${where} is a palette (indexed-colour) PNG; save it as greyscale or RGB`,
    );
  }
  if (header.colorType & 4) {
    throw new InputImageError(`${where} has an alpha channel or transparency; save it without`);
  }
  if (header.colorType & 2 && channels === 1) {
    throw new InputImageError(`${where} is an RGB PNG; this model reads greyscale images`);
  }
}
