/**
 * Image grids (grid.ts, labels.ts) and single images as PNG bytes (pngjs, pure JS). The bytes
 * depend only on the pixels and the options (fixed filter and compression), so the same
 * images give byte-identical files.
 */
import { PNG } from 'pngjs';
import type { Tensor } from '../core/tensor.js';
import { gridPixels, type GridOptions, type RgbaImage } from './grid.js';
import { labelledGridPixels, type GridLabels } from './labels.js';

export { defaultScale, gridPixels, type GridOptions } from './grid.js';
export type { GridLabels } from './labels.js';

/** RGBA pixels as a PNG: grey output when every image was grey. */
export function encodePng(pixels: RgbaImage): Buffer {
  const png = new PNG({ width: pixels.width, height: pixels.height });
  png.data.set(pixels.data);
  // Fixed filter and level so the bytes are reproducible.
  return PNG.sync.write(png, {
    colorType: pixels.channels === 1 ? 0 : 2,
    inputColorType: 6,
    filterType: 4,
    deflateLevel: 9,
  });
}

/** A PNG of `rows` (see gridPixels). */
export function gridPng(rows: readonly Tensor[], opts: GridOptions = {}): Buffer {
  return encodePng(gridPixels(rows, opts));
}

/** A PNG of `rows` with a label beside every row and above every column (labels.ts). */
export function labelledGridPng(
  rows: readonly Tensor[],
  labels: GridLabels,
  opts: GridOptions = {},
): Buffer {
  return encodePng(labelledGridPixels(rows, labels, opts));
}

/** Image `i` of a [n, C, H, W] batch in [0, 1] as a PNG of its own size. */
export function imagePng(images: Tensor, i: number): Buffer {
  return gridPng([images.sliceBatch(i, i + 1)], { scale: 1, gap: 0 });
}
