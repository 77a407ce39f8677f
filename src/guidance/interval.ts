/**
 * Guidance in a limited interval (Kynkäänniemi et al., "Applying Guidance in a Limited
 * Interval Improves Sample and Distribution Quality in Diffusion Models", arXiv 2404.07724):
 * the inner rule guides only where σ_lo < σ_t ≤ σ_hi (σ = s/a, the EDM sigma); elsewhere
 * every weight is 1, so the gate skips the unconditional pass and the step costs one
 * evaluation instead of two.
 *
 * Relation to w: inside the interval w is the inner rule's weight unchanged; outside it is 1.
 * On SD's 1000-step scaled-linear schedule the default (0.28, 5.42] is t ≈ 72 … 813.
 */
import { checkRange } from './combine.js';
import { innerRule } from './cfg.js';
import type { GuidanceRule } from '../core/guidance.js';

export interface IntervalOptions {
  /**
   * σ_lo, exclusive lower bound. Default 0.28 (paper, SD-XL; community ComfyUI nodes).
   * Range [0, σ_hi). Raising it saves evaluations and barely matters per the paper.
   */
  readonly sigmaLo?: number;
  /**
   * σ_hi, inclusive upper bound. Default 5.42 (paper, SD-XL). Range (σ_lo, ∞]; it controls
   * saturation and composition.
   */
  readonly sigmaHi?: number;
}

export const INTERVAL_DEFAULTS = { sigmaLo: 0.28, sigmaHi: 5.42 } as const;

/**
 * The inner rule restricted to σ_lo < σ_t ≤ σ_hi.
 * @param inner the rule applied inside the interval, or a CFG weight w (then cfg(w)).
 */
export function interval<S>(
  inner: GuidanceRule<S> | number,
  options: IntervalOptions = {},
): GuidanceRule<S> {
  const base = innerRule(inner);
  const sigmaLo = checkRange(
    'interval',
    'sigmaLo',
    options.sigmaLo ?? INTERVAL_DEFAULTS.sigmaLo,
    0,
    Infinity,
    {
      hi: true,
    },
  );
  const sigmaHi = checkRange(
    'interval',
    'sigmaHi',
    options.sigmaHi ?? INTERVAL_DEFAULTS.sigmaHi,
    sigmaLo,
    Infinity,
    {
      lo: true,
    },
  );
  return {
    name: 'interval',
    w: base.w,
    describe: () => ({ name: 'interval', sigmaLo, sigmaHi, inner: base.describe() }),
    createState: (batch) => base.createState(batch),
    weights(ctx, state) {
      const sigma = ctx.level.sigma;
      const inside = sigma > sigmaLo && sigma <= sigmaHi;
      // Outside, the inner rule is not consulted at all (its state does not advance).
      return inside ? base.weights(ctx, state) : new Float64Array(ctx.x.batch).fill(1);
    },
    combine: (pred, weights, ctx, state) => base.combine(pred, weights, ctx, state),
  };
}
