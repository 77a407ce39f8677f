/**
 * Read an 8-bit greyscale or RGB PNG into a [1, C, H, W] tensor in [0, 1] (pngjs), refusing
 * what a model cannot read faithfully: 16-bit samples (would be silently rounded), palette
 * images, alpha (what would transparent pixels mean?) and a channel count the model does not
 * take. A greyscale PNG given to an RGB model is repeated over the three channels.
 */
import { PNG } from 'pngjs';
import { InputImageError } from '../core/errors.js';
import { readBytes } from '../io/files.js';
import type { Tensor } from '../core/tensor.js';
import { imageFromRgba } from './rgba.js';

const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

interface PngMeta {
  width: number;
  height: number;
  depth: number;
  colorType: number;
  palette: boolean;
  color: boolean;
  alpha: boolean;
  data: Buffer;
}

/** An input PNG is read up to this many bytes (a 4096×4096 RGB image compresses below it). */
export const MAX_PNG_BYTES = 64 * 1024 * 1024;
/** Width and height above this are refused from the header, before anything is decoded. */
export const MAX_PNG_SIDE = 4096;

/** The size a caller needs, checked from the header before anything is decoded. */
export interface PngSize {
  readonly width: number;
  readonly height: number;
}

/** Decode PNG bytes; `where` names the source in every message. */
export function decodePng(bytes: Buffer, channels: 1 | 3, where: string, size?: PngSize): Tensor {
  if (bytes.length < 8 || !bytes.subarray(0, 8).equals(PNG_SIGNATURE)) {
    throw new InputImageError(`${where} is not a PNG file`);
  }
  // The IHDR chunk comes first: length 13, type "IHDR", width, height (big-endian).
  if (bytes.length < 24 || bytes.toString('latin1', 12, 16) !== 'IHDR') {
    throw new InputImageError(`${where} is not a readable PNG: no IHDR header first`);
  }
  const declaredW = bytes.readUInt32BE(16);
  const declaredH = bytes.readUInt32BE(20);
  if (declaredW < 1 || declaredH < 1 || declaredW > MAX_PNG_SIDE || declaredH > MAX_PNG_SIDE) {
    throw new InputImageError(
      `${where} declares ${declaredW}×${declaredH} pixels; at most ${MAX_PNG_SIDE}×${MAX_PNG_SIDE} are read`,
    );
  }
  if (size && (declaredW !== size.width || declaredH !== size.height)) {
    throw new InputImageError(
      `${where} is ${declaredW}×${declaredH}; the model reads ${size.width}×${size.height} images`,
    );
  }
  let png: PngMeta;
  try {
    png = PNG.sync.read(bytes) as unknown as PngMeta;
  } catch (err) {
    throw new InputImageError(`${where} is not a readable PNG: ${(err as Error).message}`);
  }
  if (png.depth === 16) {
    throw new InputImageError(`${where} has 16-bit samples; save it as an 8-bit PNG`);
  }
  if (png.palette) {
    throw new InputImageError(
      `${where} is a palette (indexed-colour) PNG; save it as greyscale or RGB`,
    );
  }
  if (png.alpha) {
    throw new InputImageError(`${where} has an alpha channel or transparency; save it without`);
  }
  if (png.color && channels === 1) {
    throw new InputImageError(`${where} is an RGB PNG; this model reads greyscale images`);
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
