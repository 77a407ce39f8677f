/**
 * Labelled image grids: the grid's pixels (grid.ts) with a row label left of every row and
 * a column label above every column, the text drawn by Skia (@napi-rs/canvas) in IBM Plex
 * Mono (SIL Open Font License, from the @fontsource/ibm-plex-mono package), so labels look
 * the same on every machine, fonts installed or not. Encoded by png.ts's one encoder, so
 * the same images and labels give the same bytes.
 */
import { createCanvas, GlobalFonts, ImageData } from '@napi-rs/canvas';
import { createRequire } from 'node:module';
import { ShapeError } from '../core/errors.js';
import type { Tensor } from '../core/tensor.js';
import { gridPixels, type GridOptions, type RgbaImage } from './grid.js';

const FONT_FAMILY = 'DiffierLabels';
let fontRegistered = false;

function registerFont(): void {
  if (fontRegistered) return;
  const file = createRequire(import.meta.url).resolve(
    '@fontsource/ibm-plex-mono/files/ibm-plex-mono-latin-400-normal.woff2',
  );
  if (!GlobalFonts.registerFromPath(file, FONT_FAMILY)) {
    throw new Error(`the label font ${file} could not be loaded`);
  }
  fontRegistered = true;
}

export interface GridLabels {
  /** One per row, drawn left of it. */
  readonly rows: readonly string[];
  /** One per column, drawn above it (omit for none). */
  readonly columns?: readonly string[];
}

/** Labels are this many pixels high for a cell of `cellHeight` (legible, never dominant). */
function fontSize(cellHeight: number): number {
  return Math.max(11, Math.min(16, Math.round(cellHeight / 6)));
}

/** Pixels around the text. */
const PAD = 6;
const TEXT = '#111111';
const MARGIN = '#ffffff';

/** The grid of `rows` (gridPixels) with `labels` in white margins, as RGBA pixels. */
export function labelledGridPixels(
  rows: readonly Tensor[],
  labels: GridLabels,
  opts: GridOptions = {},
): RgbaImage {
  if (labels.rows.length !== rows.length) {
    throw new ShapeError(`${labels.rows.length} row labels for ${rows.length} grid rows`);
  }
  registerFont();
  const grid = gridPixels(rows, opts);
  const gap = opts.gap ?? 2;
  const cellH = (grid.height - gap) / rows.length - gap;
  const cols = Math.max(...rows.map((r) => r.batch));
  const cellW = (grid.width - gap) / cols - gap;
  const px = fontSize(cellH);
  const font = `${px}px ${FONT_FAMILY}`;
  const measure = createCanvas(1, 1).getContext('2d');
  measure.font = font;
  const left =
    Math.ceil(Math.max(...labels.rows.map((t) => measure.measureText(t).width))) + 2 * PAD;
  const top = labels.columns ? px + 2 * PAD : 0;
  const width = left + grid.width;
  const height = top + grid.height;
  const canvas = createCanvas(width, height);
  const ctx = canvas.getContext('2d');
  ctx.fillStyle = MARGIN;
  ctx.fillRect(0, 0, width, height);
  ctx.putImageData(
    new ImageData(new Uint8ClampedArray(grid.data), grid.width, grid.height),
    left,
    top,
  );
  ctx.font = font;
  ctx.fillStyle = TEXT;
  ctx.textBaseline = 'middle';
  ctx.textAlign = 'right';
  labels.rows.forEach((t, r) => {
    ctx.fillText(t, left - PAD, top + gap + r * (cellH + gap) + cellH / 2);
  });
  ctx.textAlign = 'center';
  labels.columns?.slice(0, cols).forEach((t, c) => {
    ctx.fillText(t, left + gap + c * (cellW + gap) + cellW / 2, top / 2);
  });
  const data = new Uint8Array(ctx.getImageData(0, 0, width, height).data.buffer);
  return { width, height, data, channels: grid.channels };
}
