/**
 * Guidance rescale (Lin et al., "Common Diffusion Noise Schedules and Sample Steps are
 * Flawed", arXiv 2305.08891, §3.4, Eq. 15–16), in diffusers' ε-space form
 * (`rescale_noise_cfg`, applied to the raw model output after CFG):
 *
 *     ε_res = ε_w · std(ε_c)/std(ε_w)          (std per sample over all non-batch dims)
 *     ε     = φ·ε_res + (1 − φ)·ε_w  =  ε_w · (φ·std(ε_c)/std(ε_w) + 1 − φ)
 *
 * Relation to w: it is CFG (or the inner rule) followed by a per-sample scalar on ε, usually
 * below 1 — an adaptive ε-scaling that pulls the guided ε back to the conditional ε's
 * spread. ComfyUI's `RescaleCFG` applies the same formula to v instead of ε; the paper's
 * models were v-prediction. x̂0 is re-derived from the rescaled ε.
 */
import { x0FromEps } from '../core/convert.js';
import { checkRange, guidedPrediction, itemStd, pickItems, scaleItems } from './combine.js';
import { innerRule } from './cfg.js';
import type { GuidanceRule } from '../core/guidance.js';

export interface RescaleOptions {
  /**
   * φ, the share of the rescaled prediction. Default 0.7 (the paper's recommendation and
   * ComfyUI's default; diffusers defaults to 0 = off). Range [0, 1]: 0 is the inner rule
   * unchanged, 1 gives a guided ε with exactly the conditional ε's std.
   */
  readonly phi?: number;
}

export const RESCALE_DEFAULTS = { phi: 0.7 } as const;

/**
 * Guidance rescale over an inner rule.
 * @param inner the rule whose ε is rescaled, or a CFG weight w (then the inner rule is cfg(w)).
 */
export function rescale<S>(
  inner: GuidanceRule<S> | number,
  options: RescaleOptions = {},
): GuidanceRule<S> {
  const base = innerRule(inner);
  const phi = checkRange('rescale', 'phi', options.phi ?? RESCALE_DEFAULTS.phi, 0, 1);
  return {
    name: 'rescale',
    w: base.w,
    describe: () => ({ name: 'rescale', phi, inner: base.describe() }),
    createState: (batch) => base.createState(batch),
    weights: (ctx, state) => base.weights(ctx, state),
    combine(pred, weights, ctx, state) {
      const out = base.combine(pred, weights, ctx, state);
      // Unguided samples keep ε_c exactly; φ = 0 is the inner rule unchanged.
      if (!pred.uncond || phi === 0) return out;
      const stdCond = itemStd(pred.cond);
      const stdGuided = itemStd(out.eps);
      const factors = new Float64Array(out.weights.length);
      for (let i = 0; i < factors.length; i++) {
        const unguided = out.weights[i] === 1 || stdGuided[i] === 0;
        factors[i] = unguided ? 1 : phi * (stdCond[i] / stdGuided[i]) + 1 - phi;
      }
      if (factors.every((f) => f === 1)) return out;
      const eps = scaleItems(out.eps, factors);
      // x̂0 follows the rescaled ε; samples left alone keep the inner rule's x̂0.
      const x0 = pickItems(
        Array.from(factors, (f) => f === 1),
        out.x0,
        x0FromEps(ctx.x, eps, ctx.level),
      );
      return guidedPrediction(ctx, eps, out.raw, out.weights, { x0, renoiseEps: out.renoiseEps });
    },
  };
}
