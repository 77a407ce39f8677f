/**
 * CFG-Zero* (Fan, Zheng, Yeh & Liu, "CFG-Zero*: Improved Classifier-Free Guidance for Flow
 * Matching Models", arXiv 2503.18886), in the VP-ε form of diffusers'
 * `ClassifierFreeZeroStarGuidance`:
 *
 *     s* = ⟨ε_c, ε_u⟩ / (‖ε_u‖² + 1e−8)          per sample, over all non-batch dims
 *     ε  = s*·ε_u + w·(ε_c − s*·ε_u)
 *     ε  = 0 for the first `zeroInitSteps` main steps (zero-init)
 *
 * Relation to w: with s* = 1 it is CFG at the same w; w = 1 is the conditional prediction.
 *
 * Caveat: the method was designed for flow-matching velocities, where v = 0 means
 * "stand still". On an ε-model, ε = 0 makes a DDIM step x_s = (a_s/a_t)·x_t, i.e. x̂0 = x_t/a_t:
 * the noisy sample is taken as clean. That is what diffusers does on ε-models, not what the
 * paper meant. Zero-init is not guidance: it applies whatever the weight, and the
 * unconditional pass is skipped during it (ComfyUI's node has no zero-init at all: use
 * zeroInitSteps = 0 for that behaviour).
 */
import type { Predictions } from '../core/denoiser.js';
import {
  checkCount,
  checkFinite,
  constantWeights,
  conditionalPrediction,
  guidedPrediction,
  itemDot,
} from './combine.js';
import type { GuidanceContext, GuidanceRule, GuidedPrediction } from '../core/guidance.js';

export interface CfgZeroStarOptions {
  /** Guidance weight w (as in CFG: 1 = none). Registry default 3 (DEFAULT_GUIDANCE_WEIGHT). Any finite number. */
  readonly w: number;
  /**
   * Number of first main steps whose ε is set to 0. Default 1 (diffusers'
   * `zero_init_steps=1`: only step 0). Integer ≥ 0; the README suggests ~4% of the steps,
   * 0 = off (ComfyUI).
   */
  readonly zeroInitSteps?: number;
}

export const CFG_ZERO_STAR_DEFAULTS = { zeroInitSteps: 1 } as const;

/** The ‖ε_u‖² regulariser of s*, as in the reference code. */
const S_STAR_EPS = 1e-8;

export function cfgZeroStar(options: CfgZeroStarOptions): GuidanceRule<undefined> {
  const w = checkFinite('cfg-zero', 'w', options.w);
  const zeroInitSteps = checkCount(
    'cfg-zero',
    'zeroInitSteps',
    options.zeroInitSteps ?? CFG_ZERO_STAR_DEFAULTS.zeroInitSteps,
  );
  return {
    name: 'cfg-zero',
    w,
    describe: () => ({ name: 'cfg-zero', w, zeroInitSteps }),
    createState: () => undefined,
    // Zero-init needs no unconditional prediction: weight 1 lets the gate skip it.
    weights: (ctx) => constantWeights(ctx.x.batch, ctx.step < zeroInitSteps ? 1 : w),
    combine(pred, weights, ctx) {
      if (ctx.step < zeroInitSteps) {
        const eps = pred.cond.like();
        return guidedPrediction(ctx, eps, pred, constantWeights(ctx.x.batch, 1));
      }
      return zeroStarCombine(pred, weights, ctx);
    },
  };
}

/** The optimised-scale combination with per-sample weights. */
function zeroStarCombine(
  pred: Predictions,
  weights: Float64Array,
  ctx: GuidanceContext,
): GuidedPrediction {
  if (!pred.uncond) return conditionalPrediction(pred, ctx);
  const c = pred.cond.data;
  const u = pred.uncond.data;
  const dot = itemDot(pred.cond, pred.uncond);
  const uu = itemDot(pred.uncond, pred.uncond);
  const n = pred.cond.itemSize;
  const out = new Float32Array(c.length);
  for (let i = 0; i < pred.cond.batch; i++) {
    const w = weights[i];
    const lo = i * n;
    if (w === 1) {
      out.set(c.subarray(lo, lo + n), lo);
      continue;
    }
    const sStar = dot[i] / (uu[i] + S_STAR_EPS);
    for (let j = lo; j < lo + n; j++) {
      const su = sStar * u[j];
      out[j] = su + w * (c[j] - su);
    }
  }
  return guidedPrediction(ctx, pred.cond.like(out), pred, weights);
}
