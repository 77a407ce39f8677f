/**
 * The resamplings of the super-resolution task, on [B, C, H, W] tensors:
 *
 * - boxDownsample: the mean of each f×f block — how a low-res input is made from a digit
 *   (training/nets.py box_downsample, = torch avg_pool2d) and how an output is checked
 *   for consistency with its input.
 * - bicubicUpsample: torch's bicubic (`F.interpolate(mode='bicubic', align_corners=False)`:
 *   Keys' cubic convolution with a = −0.75, source coordinate (o + ½)/f − ½, edge pixels
 *   repeated) — how the low-res condition is brought to the UNet's size, and the classic
 *   baseline. Checked against torch's own output (test/fixtures/bicubic.json).
 * - nearestUpsample: pixel repetition, to show a low-res input at the output's size.
 */
import { ShapeError } from '../core/errors.js';
import { Tensor } from '../core/tensor.js';

function dims(t: Tensor, what: string): [number, number, number, number] {
  if (t.shape.length !== 4)
    throw new ShapeError(`${what}: expected [B, C, H, W], got [${t.shape.join(', ')}]`);
  return t.shape as [number, number, number, number];
}

function checkFactor(f: number, what: string): void {
  if (!Number.isInteger(f) || f < 1)
    throw new ShapeError(`${what}: factor must be an integer ≥ 1, got ${f}`);
}

export function boxDownsample(t: Tensor, factor: number): Tensor {
  checkFactor(factor, 'boxDownsample');
  const [b, c, h, w] = dims(t, 'boxDownsample');
  if (h % factor !== 0 || w % factor !== 0) {
    throw new ShapeError(`boxDownsample: ${h}×${w} is not a multiple of ${factor}`);
  }
  const oh = h / factor;
  const ow = w / factor;
  const out = new Float32Array(b * c * oh * ow);
  const norm = 1 / (factor * factor);
  for (let p = 0; p < b * c; p++) {
    for (let y = 0; y < oh; y++) {
      for (let x = 0; x < ow; x++) {
        let sum = 0;
        for (let dy = 0; dy < factor; dy++) {
          const row = p * h * w + (y * factor + dy) * w + x * factor;
          for (let dx = 0; dx < factor; dx++) sum += t.data[row + dx];
        }
        out[(p * oh + y) * ow + x] = sum * norm;
      }
    }
  }
  return new Tensor(out, [b, c, oh, ow]);
}

export function nearestUpsample(t: Tensor, factor: number): Tensor {
  checkFactor(factor, 'nearestUpsample');
  const [b, c, h, w] = dims(t, 'nearestUpsample');
  const oh = h * factor;
  const ow = w * factor;
  const out = new Float32Array(b * c * oh * ow);
  for (let p = 0; p < b * c; p++) {
    for (let y = 0; y < oh; y++) {
      const src = p * h * w + Math.floor(y / factor) * w;
      for (let x = 0; x < ow; x++)
        out[(p * oh + y) * ow + x] = t.data[src + Math.floor(x / factor)];
    }
  }
  return new Tensor(out, [b, c, oh, ow]);
}

const A = -0.75;

/** The four cubic-convolution weights for taps at −1, 0, 1, 2 around a fractional offset s. */
function cubicWeights(s: number): [number, number, number, number] {
  const near = (x: number) => ((A + 2) * x - (A + 3)) * x * x + 1; // |x| ≤ 1
  const far = (x: number) => ((A * x - 5 * A) * x + 8 * A) * x - 4 * A; // 1 < |x| < 2
  return [far(s + 1), near(s), near(1 - s), far(2 - s)];
}

/** Source taps and weights of each output coordinate along one axis. */
function axisTaps(size: number, factor: number): { index: Int32Array; weight: Float64Array } {
  const out = size * factor;
  const index = new Int32Array(out * 4);
  const weight = new Float64Array(out * 4);
  for (let o = 0; o < out; o++) {
    const src = (o + 0.5) / factor - 0.5;
    const i0 = Math.floor(src);
    const wts = cubicWeights(src - i0);
    for (let k = 0; k < 4; k++) {
      index[o * 4 + k] = Math.min(size - 1, Math.max(0, i0 - 1 + k));
      weight[o * 4 + k] = wts[k];
    }
  }
  return { index, weight };
}

export function bicubicUpsample(t: Tensor, factor: number): Tensor {
  checkFactor(factor, 'bicubicUpsample');
  const [b, c, h, w] = dims(t, 'bicubicUpsample');
  const oh = h * factor;
  const ow = w * factor;
  const ys = axisTaps(h, factor);
  const xs = axisTaps(w, factor);
  const out = new Float32Array(b * c * oh * ow);
  for (let p = 0; p < b * c; p++) {
    const base = p * h * w;
    for (let y = 0; y < oh; y++) {
      for (let x = 0; x < ow; x++) {
        let sum = 0;
        for (let ky = 0; ky < 4; ky++) {
          const row = base + ys.index[y * 4 + ky] * w;
          let line = 0;
          for (let kx = 0; kx < 4; kx++)
            line += xs.weight[x * 4 + kx] * t.data[row + xs.index[x * 4 + kx]];
          sum += ys.weight[y * 4 + ky] * line;
        }
        out[(p * oh + y) * ow + x] = sum;
      }
    }
  }
  return new Tensor(out, [b, c, oh, ow]);
}
