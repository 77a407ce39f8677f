/** Small helpers shared by the sampler steps. */
import { InvalidOptionError } from '../core/errors.js';
import { assertSameShape, type Tensor } from '../core/tensor.js';
import type { StepInput } from '../core/step.js';

/**
 * The pair every step works from: x̂0 = pred.x0 and the ε it re-noises with
 * (pred.renoiseEps when the guidance rule supplies one, as CFG++ does, else pred.eps).
 */
export function predictionPair(input: StepInput<unknown>): { x0: Tensor; eps: Tensor } {
  const { x, pred } = input;
  const eps = pred.renoiseEps ?? pred.eps;
  assertSameShape(pred.x0, x, 'predicted x0 vs sample');
  assertSameShape(eps, x, 'predicted eps vs sample');
  return { x0: pred.x0, eps };
}

export function checkEta(eta: number, max = Infinity): number {
  if (!Number.isFinite(eta) || eta < 0 || eta > max) {
    const range = max === Infinity ? '[0, ∞)' : `[0, ${max}]`;
    throw new InvalidOptionError(`eta must be a number in ${range}, got ${eta}`);
  }
  return eta;
}

/** How a scheduler class post-processes x̂0 (its config keys). */
export interface X0Processing {
  readonly thresholding: boolean;
  readonly dynamicThresholdingRatio: number;
  readonly sampleMaxValue: number;
  readonly clipSample: boolean;
  readonly clipSampleRange: number;
}

/** torch.quantile (linear interpolation) of sorted values. */
function quantileSorted(sorted: Float64Array, q: number): number {
  const pos = q * (sorted.length - 1);
  const lo = Math.floor(pos);
  const hi = Math.min(lo + 1, sorted.length - 1);
  return sorted[lo] + (pos - lo) * (sorted[hi] - sorted[lo]);
}

/**
 * x̂0 as a diffusers class post-processes it: dynamic thresholding (Saharia et al. 2022:
 * per sample, s = the ratio-quantile of |x̂0| clamped to [1, sample_max_value]; x̂0 is clamped
 * to ±s and divided by s), else clip_sample's clamp to ±clip_sample_range, else unchanged.
 */
export function processX0(x0: Tensor, p: X0Processing): Tensor {
  if (!p.thresholding && !p.clipSample) return x0;
  const out = new Float32Array(x0.data.length);
  const n = x0.itemSize;
  for (let b = 0; b < x0.batch; b++) {
    const item = x0.data.subarray(b * n, (b + 1) * n);
    let limit = p.clipSampleRange;
    let scale = 1;
    if (p.thresholding) {
      const sorted = Float64Array.from(item, Math.abs).sort();
      limit = Math.min(
        Math.max(quantileSorted(sorted, p.dynamicThresholdingRatio), 1),
        p.sampleMaxValue,
      );
      scale = 1 / limit;
    }
    for (let j = 0; j < n; j++) out[b * n + j] = Math.min(Math.max(item[j], -limit), limit) * scale;
  }
  return x0.like(out);
}
