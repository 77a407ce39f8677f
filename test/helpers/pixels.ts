/** How far apart two PNG files are, pixel by pixel (browser vs Node grids). */
import { PNG } from 'pngjs';

export interface PngDifference {
  /** [width, height] of each. */
  readonly sizes: readonly [readonly [number, number], readonly [number, number]];
  /** Largest |a − b| over the RGBA values (0–255); NaN when the sizes differ. */
  readonly maxDiff: number;
  /** RGBA values that differ, of `values`. */
  readonly differing: number;
  readonly values: number;
}

export function pngDifference(a: Buffer, b: Buffer): PngDifference {
  const pa = PNG.sync.read(a);
  const pb = PNG.sync.read(b);
  const sizes = [
    [pa.width, pa.height],
    [pb.width, pb.height],
  ] as const;
  if (pa.width !== pb.width || pa.height !== pb.height) {
    return { sizes, maxDiff: NaN, differing: pa.data.length, values: pa.data.length };
  }
  let maxDiff = 0;
  let differing = 0;
  for (let i = 0; i < pa.data.length; i++) {
    const d = Math.abs(pa.data[i] - pb.data[i]);
    maxDiff = Math.max(maxDiff, d);
    if (d > 0) differing++;
  }
  return { sizes, maxDiff, differing, values: pa.data.length };
}
