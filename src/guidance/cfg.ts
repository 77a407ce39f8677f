/**
 * Classifier-free guidance (Ho & Salimans, arXiv 2207.12598), in diffusers' convention:
 *
 *     ε = ε_u + w·(ε_c − ε_u)
 *
 * w = 1 is the conditional prediction (no guidance: the gate skips the unconditional
 * pass), w = 0 the unconditional one. The paper's own scale w' is w − 1; ComfyUI's `cfg`
 * and diffusers' `guidance_scale` are w. CFG is linear, so it is the same in ε-, x̂0- and
 * v-space.
 */
import type { Predictions } from '../core/denoiser.js';
import {
  checkFinite,
  conditionalPrediction,
  constantWeights,
  guidedPrediction,
  lerpItems,
} from './combine.js';
import type { GuidanceContext, GuidanceRule, GuidedPrediction } from '../core/guidance.js';

/**
 * Plain CFG.
 * @param w guidance weight (diffusers' `guidance_scale`; default in the registry 3,
 *   DEFAULT_GUIDANCE_WEIGHT). Any finite number: 1 = no guidance, 0 = unconditional, > 1 guided.
 */
export function cfg(w: number): GuidanceRule<undefined> {
  checkFinite('cfg', 'w', w);
  return {
    name: 'cfg',
    w,
    describe: () => ({ name: 'cfg', w }),
    createState: () => undefined,
    weights: (ctx) => constantWeights(ctx.x.batch, w),
    combine: (pred, weights, ctx) => cfgCombine(pred, weights, ctx),
  };
}

/**
 * The CFG combination with per-sample weights (ε = ε_u + w_i·Δε); the conditional
 * prediction when the gate skipped the unconditional pass. Exported so that rules whose
 * only change is the weight (interval, weight schedules …) reuse it.
 */
export function cfgCombine(
  pred: Predictions,
  weights: Float64Array,
  ctx: GuidanceContext,
): GuidedPrediction {
  if (!pred.uncond) return conditionalPrediction(pred, ctx);
  const eps = lerpItems(pred.uncond, pred.cond, weights);
  // x̂0 is affine in ε, so the same combination of the network's own x̂0's is exact.
  const x0 =
    pred.condX0 && pred.uncondX0 ? lerpItems(pred.uncondX0, pred.condX0, weights) : undefined;
  return guidedPrediction(ctx, eps, pred, weights, x0 ? { x0 } : {});
}

/**
 * The inner rule of a wrapper: a rule as given, or plain CFG when a bare weight is given
 * (`rescale(7.5)` is `rescale(cfg(7.5))`).
 */
export function innerRule<S>(inner: GuidanceRule<S> | number): GuidanceRule<S> {
  return typeof inner === 'number'
    ? (cfg(inner) as GuidanceRule<unknown> as GuidanceRule<S>)
    : inner;
}
