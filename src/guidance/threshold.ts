/**
 * Dynamic thresholding (Saharia et al., Imagen, arXiv 2205.11487), as diffusers'
 * `_threshold_sample`, applied to the guided clean estimate:
 *
 *     q  = quantile_p(|x̂0|)             per sample over all non-batch dims (torch.quantile,
 *                                          linear interpolation)
 *     s  = clamp(q, 1, maxValue)
 *     x̂0 ← clamp(x̂0, −s, s)/s
 *
 * ε stays the inner rule's (diffusers' default, `use_clipped_model_output=False`), so x̂0
 * and ε are no longer consistent; a DDIM step then takes x_s = a_s·x̂0 + s_s·ε.
 *
 * Relation to w: none; it exists to allow large w. Like diffusers' scheduler option it
 * applies at every evaluation, guided or not. With maxValue = 1 (the default) s ≡ 1 and
 * this is static clipping to [−1, 1]; set maxValue > 1 for the dynamic behaviour. Meant for
 * pixel-space models (diffusers: unsuitable for latent diffusion). Put it outermost: rules
 * wrapped around it re-derive x̂0 from ε and drop the clipping.
 */
import { checkRange } from './combine.js';
import { innerRule } from './cfg.js';
import type { Tensor } from '../core/tensor.js';
import type { GuidanceRule } from '../core/guidance.js';

export interface ThresholdOptions {
  /**
   * p, the quantile of |x̂0| taken as the threshold. Default 0.995 (diffusers'
   * `dynamic_thresholding_ratio`; Imagen's percentile is commonly quoted as 99.5%).
   * Range [0, 1].
   */
  readonly quantile?: number;
  /**
   * Upper bound of the threshold s. Default 1.0 (diffusers' `sample_max_value`, which makes
   * it static clipping). Range [1, ∞).
   */
  readonly maxValue?: number;
}

export const THRESHOLD_DEFAULTS = { quantile: 0.995, maxValue: 1 } as const;

/**
 * Dynamic thresholding of the inner rule's x̂0.
 * @param inner the guidance rule, or a CFG weight w (then cfg(w)).
 */
export function threshold<S>(
  inner: GuidanceRule<S> | number,
  options: ThresholdOptions = {},
): GuidanceRule<S> {
  const base = innerRule(inner);
  const p = checkRange(
    'threshold',
    'quantile',
    options.quantile ?? THRESHOLD_DEFAULTS.quantile,
    0,
    1,
  );
  const maxValue = checkRange(
    'threshold',
    'maxValue',
    options.maxValue ?? THRESHOLD_DEFAULTS.maxValue,
    1,
    Infinity,
    {
      hi: true,
    },
  );
  return {
    name: 'threshold',
    w: base.w,
    describe: () => ({ name: 'threshold', quantile: p, maxValue, inner: base.describe() }),
    createState: (batch) => base.createState(batch),
    weights: (ctx, state) => base.weights(ctx, state),
    combine(pred, weights, ctx, state) {
      const out = base.combine(pred, weights, ctx, state);
      return { ...out, x0: thresholdSample(out.x0, p, maxValue) };
    },
  };
}

/** Per-sample dynamic thresholding of x (diffusers `_threshold_sample`). */
export function thresholdSample(x: Tensor, p: number, maxValue: number): Tensor {
  const n = x.itemSize;
  const out = new Float32Array(x.data.length);
  const abs = new Float64Array(n);
  for (let i = 0; i < x.batch; i++) {
    const lo = i * n;
    for (let j = 0; j < n; j++) abs[j] = Math.abs(x.data[lo + j]);
    const s = Math.min(Math.max(quantileSorted(abs.sort(), p), 1), maxValue);
    for (let j = lo; j < lo + n; j++) out[j] = Math.min(Math.max(x.data[j], -s), s) / s;
  }
  return x.like(out);
}

/** Quantile of ascending values with linear interpolation (torch.quantile's default). */
export function quantileSorted(sorted: ArrayLike<number>, p: number): number {
  const pos = p * (sorted.length - 1);
  const lo = Math.floor(pos);
  const hi = Math.min(lo + 1, sorted.length - 1);
  return sorted[lo] + (pos - lo) * (sorted[hi] - sorted[lo]);
}
