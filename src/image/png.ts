/**
 * Image grids (grid.ts) as PNG bytes (pngjs, pure JS). The bytes depend
 * only on the pixels and the options (fixed filter and compression), so the same images give
 * byte-identical files.
 */
import { PNG } from 'pngjs';
import type { Tensor } from '../core/tensor.js';
import { gridPixels, type GridOptions } from './grid.js';

export { defaultScale, gridPixels, type GridOptions } from './grid.js';

/** A PNG of `rows` (see gridPixels): grey output for grey images. */
export function gridPng(rows: readonly Tensor[], opts: GridOptions = {}): Buffer {
  const pixels = gridPixels(rows, opts);
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
