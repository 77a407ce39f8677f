/**
 * Image grids as RGBA pixels: one row per run (--compare), one column per sample, cells
 * enlarged by nearest-neighbour so 28×28 digits are viewable. png.ts encodes them in Node;
 * the web page draws the same pixels on a canvas, so both show identical grids.
 */
import { ShapeError } from '../core/errors.js';
import type { Tensor } from '../core/tensor.js';

export interface GridOptions {
  /** Nearest-neighbour enlargement of each cell. Default: `defaultScale(height)`. */
  readonly scale?: number;
  /** Pixels between cells and around the grid. Default 2. */
  readonly gap?: number;
  /** Grey level of the gaps, 0–255. Default 128 (visible against black and white digits). */
  readonly background?: number;
}

/** Enlarge small images to about 84 px; leave large ones as they are. */
export function defaultScale(height: number): number {
  return Math.max(1, Math.floor(84 / height));
}

/** 0–255 from [0, 1], rounded; out-of-range and NaN values are clamped (NaN → 0). */
function byte(v: number): number {
  return v > 0 ? Math.min(255, Math.round(v * 255)) : 0;
}

/** An RGBA image, 8 bits per channel, rows top to bottom (a canvas ImageData's layout). */
export interface RgbaImage {
  readonly width: number;
  readonly height: number;
  readonly data: Uint8Array;
  /** 1 when every cell image is grey. */
  readonly channels: 1 | 3;
}

/**
 * The grid of `rows` (each [n, C, H, W] in [0, 1], C = 1 grey or 3 RGB, all of one C×H×W)
 * as RGBA pixels. Rows may hold different numbers of images; missing cells are background.
 */
export function gridPixels(rows: readonly Tensor[], opts: GridOptions = {}): RgbaImage {
  if (rows.length === 0) throw new ShapeError('an image grid needs at least one row');
  const item = rows[0].shape.slice(1);
  for (const r of rows) {
    if (r.shape.length !== 4 || r.shape.slice(1).some((d, i) => d !== item[i])) {
      throw new ShapeError(
        `grid rows must all be [n, C, H, W] with one C×H×W; got [${r.shape.join(', ')}]`,
      );
    }
  }
  const [channels, h, w] = item;
  if (channels !== 1 && channels !== 3) {
    throw new ShapeError(`images must have 1 or 3 channels, got ${channels}`);
  }
  const scale = opts.scale ?? defaultScale(h);
  const gap = opts.gap ?? 2;
  const bg = byte((opts.background ?? 128) / 255);
  if (!Number.isInteger(scale) || scale < 1 || !Number.isInteger(gap) || gap < 0) {
    throw new ShapeError(`grid scale must be an integer ≥ 1 and gap ≥ 0; got ${scale}, ${gap}`);
  }
  const cols = Math.max(...rows.map((r) => r.batch));
  const cellW = w * scale;
  const cellH = h * scale;
  const width = gap + cols * (cellW + gap);
  const height = gap + rows.length * (cellH + gap);
  const png = { width, data: new Uint8Array(width * height * 4) };
  for (let o = 0; o < png.data.length; o += 4) {
    png.data[o] = png.data[o + 1] = png.data[o + 2] = bg;
    png.data[o + 3] = 255;
  }
  const plane = h * w;
  rows.forEach((row, r) => {
    for (let c = 0; c < row.batch; c++) {
      const base = c * channels * plane;
      const x0 = gap + c * (cellW + gap);
      const y0 = gap + r * (cellH + gap);
      for (let y = 0; y < cellH; y++) {
        const sy = Math.floor(y / scale);
        for (let x = 0; x < cellW; x++) {
          const src = base + sy * w + Math.floor(x / scale);
          const o = ((y0 + y) * png.width + x0 + x) * 4;
          for (let k = 0; k < 3; k++)
            png.data[o + k] = byte(row.data[src + (channels === 3 ? k * plane : 0)]);
          png.data[o + 3] = 255;
        }
      }
    }
  });
  return { width, height, data: png.data, channels: channels as 1 | 3 };
}
