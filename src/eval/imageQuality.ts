/**
 * Full-reference image quality, as super-resolution papers report it:
 *
 * - psnr: 10·log10(1 / MSE) for images in [0, 1] (data range 1); +∞ for identical images.
 * - ssim: the mean SSIM of Wang et al. (2004) — 11×11 Gaussian window (σ = 1.5),
 *   K1 = 0.01, K2 = 0.03, 8-bit dynamic range — from ssim.js's reference ("original")
 *   implementation, on the 8-bit pixels a PNG of the image would hold.
 */
import { ssim } from 'ssim.js';
import { ShapeError } from '../core/errors.js';

export function psnr(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length || a.length === 0) {
    throw new ShapeError(`psnr: ${a.length} vs ${b.length} values`);
  }
  let se = 0;
  for (let i = 0; i < a.length; i++) se += (a[i] - b[i]) ** 2;
  const mse = se / a.length;
  return mse === 0 ? Infinity : 10 * Math.log10(1 / mse);
}

/** A greyscale image in [0, 1] as the RGBA bytes ssim.js reads (grey repeated, opaque). */
function rgba(grey: ArrayLike<number>, width: number, height: number) {
  const data = new Uint8ClampedArray(4 * width * height);
  for (let p = 0; p < width * height; p++) {
    const v = Math.round(Math.min(1, Math.max(0, grey[p])) * 255);
    data[4 * p] = data[4 * p + 1] = data[4 * p + 2] = v;
    data[4 * p + 3] = 255;
  }
  return { data, width, height, colorSpace: 'srgb' as const };
}

/** Mean SSIM of two greyscale width×height images in [0, 1]. */
export function ssimGrey(
  a: ArrayLike<number>,
  b: ArrayLike<number>,
  width: number,
  height: number,
): number {
  if (a.length !== width * height || b.length !== width * height) {
    throw new ShapeError(
      `ssim: expected ${width}×${height} values, got ${a.length} and ${b.length}`,
    );
  }
  return ssim(rgba(a, width, height), rgba(b, width, height), { ssim: 'original' }).mssim;
}
