/**
 * RGBA bytes (pngjs' decoded data, a canvas' ImageData) as a [1, C, H, W] tensor in [0, 1]:
 * the first C colour channels (C = 1 reads red, which is grey for a greyscale source).
 */
import { ShapeError } from '../core/errors.js';
import { Tensor } from '../core/tensor.js';

export function imageFromRgba(
  rgba: ArrayLike<number>,
  width: number,
  height: number,
  channels: 1 | 3,
): Tensor {
  const plane = width * height;
  if (rgba.length !== 4 * plane) {
    throw new ShapeError(`${rgba.length} RGBA bytes for a ${width}×${height} image`);
  }
  const out = new Float32Array(channels * plane);
  for (let p = 0; p < plane; p++) {
    for (let c = 0; c < channels; c++) out[c * plane + p] = rgba[4 * p + c] / 255;
  }
  return new Tensor(out, [1, channels, height, width]);
}
