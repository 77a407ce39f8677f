/**
 * Read an 8-bit greyscale or RGB PNG into a [1, C, H, W] tensor in [0, 1] (pngjs), after its
 * header is checked (pngHeader.ts: size, bit depth, colour type; what a model cannot read
 * faithfully is refused before decoding). A greyscale PNG given to an RGB model is repeated
 * over the three channels.
 */
import { PNG } from 'pngjs';
import { InputImageError } from '../core/errors.js';
import { readBytes } from '../io/files.js';
import type { Tensor } from '../core/tensor.js';
import { checkPngColours, readPngHeader, type PngSize } from './pngHeader.js';
import { imageFromRgba } from './rgba.js';

interface PngMeta {
  width: number;
  height: number;
  data: Buffer;
}

/** An input PNG is read up to this many bytes (a 4096×4096 RGB image compresses below it). */
export const MAX_PNG_BYTES = 64 * 1024 * 1024;

/** Decode PNG bytes; `where` names the source in every message. */
export function decodePng(bytes: Buffer, channels: 1 | 3, where: string, size?: PngSize): Tensor {
  checkPngColours(readPngHeader(bytes, where, size), channels, where);
  let png: PngMeta;
  try {
    png = PNG.sync.read(bytes) as unknown as PngMeta;
  } catch (err) {
    throw new InputImageError(`${where} is not a readable PNG: ${(err as Error).message}`);
  }
  // pngjs gives RGBA bytes whatever the file's colour type (grey is repeated over RGB).
  return imageFromRgba(png.data, png.width, png.height, channels);
}

export async function readPngImage(path: string, channels: 1 | 3, size?: PngSize): Promise<Tensor> {
  let bytes: Buffer;
  try {
    bytes = await readBytes(path, MAX_PNG_BYTES);
  } catch (err) {
    throw new InputImageError(`cannot read ${path}: ${(err as Error).message}`);
  }
  return decodePng(bytes, channels, path, size);
}
