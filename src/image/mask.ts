/**
 * Inpainting masks, white = repaint (diffusers' convention): a [1, C, H, W] image in [0, 1]
 * becomes a binary [1, 1, H, W] mask, 1 where the mean over channels is at least ½ (diffusers
 * binarises at ½ too), and a mask is brought to a coarser grid (a latent model's) by the
 * mean of each block, again binarised at ½.
 */
import { ShapeError } from '../core/errors.js';
import { Tensor } from '../core/tensor.js';
import { boxDownsample } from './resize.js';

export function binaryMask(image: Tensor): Tensor {
  const [b, c, h, w] = image.shape;
  if (image.shape.length !== 4 || b !== 1) {
    throw new ShapeError(`a mask is one image [1, C, H, W], got [${image.shape.join(', ')}]`);
  }
  const plane = h * w;
  const out = new Float32Array(plane);
  for (let p = 0; p < plane; p++) {
    let sum = 0;
    for (let k = 0; k < c; k++) sum += image.data[k * plane + p];
    out[p] = sum / c >= 0.5 ? 1 : 0;
  }
  return new Tensor(out, [1, 1, h, w]);
}

/** A binary mask on an h×w grid that divides its own: block means, binarised at ½. */
export function maskOnGrid(mask: Tensor, h: number, w: number): Tensor {
  const [, , mh, mw] = mask.shape;
  if (mh === h && mw === w) return mask;
  if (mh % h !== 0 || mw % w !== 0 || mh / h !== mw / w) {
    throw new ShapeError(`a ${mw}×${mh} mask does not divide into a ${w}×${h} grid`);
  }
  const mean = boxDownsample(mask, mh / h);
  return mean.like(mean.data.map((v) => (v >= 0.5 ? 1 : 0)));
}

/** How many values of a binary mask are set. */
export function maskedCount(mask: Tensor): number {
  let n = 0;
  for (const v of mask.data) n += v;
  return n;
}
