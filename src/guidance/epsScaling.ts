/**
 * Epsilon scaling (Ning et al., "Elucidating the Exposure Bias in Diffusion Models",
 * arXiv 2308.15321; ADM-ES `_predict_xstart_from_eps`, ComfyUI's `Epsilon Scaling` node):
 *
 *     ε' = ε/λ,     x̂0' = x̄ − (x̄ − x̂0)/λ   with x̄ = x_t/a_t
 *
 * For a consistent pair (x̂0 = x̂0(ε)) the second line is x̂0' = x̂0(ε'); written this way
 * (ComfyUI's `x − (x − denoised)/λ` in VE coordinates) it also keeps a clipped x̂0 of an
 * inner threshold rule. λ > 1 shrinks the predicted noise, countering the exposure bias
 * (samples drifting to a larger norm than training inputs). Applied after guidance, at
 * every evaluation (it is not guidance: it acts at w = 1 too); costs nothing.
 *
 * Relation to w: none directly; like guidance rescale it is a scalar on the guided ε.
 * `renoiseEps` (CFG++'s ε_u) is left as it is, as in ComfyUI's post-CFG hook.
 */
import { checkRange } from './combine.js';
import { innerRule } from './cfg.js';
import type { GuidanceRule } from '../core/guidance.js';

export interface EpsScalingOptions {
  /**
   * λ, the uniform ε divisor. Default 1.005 (ComfyUI's node; ADM-ES: 1.004–1.017 by
   * dataset, EDM-ES ≈ 1.0005–1.005). Range (0, ∞), normally slightly above 1; 1 = identity.
   */
  readonly scalingFactor?: number;
}

export const EPS_SCALING_DEFAULTS = { scalingFactor: 1.005 } as const;

/**
 * Epsilon scaling of the inner rule's prediction.
 * @param inner the guidance rule, or a CFG weight w (then cfg(w)).
 */
export function epsScaling<S>(
  inner: GuidanceRule<S> | number,
  options: EpsScalingOptions = {},
): GuidanceRule<S> {
  const base = innerRule(inner);
  const lambda = checkRange(
    'eps-scaling',
    'scalingFactor',
    options.scalingFactor ?? EPS_SCALING_DEFAULTS.scalingFactor,
    0,
    Infinity,
    { lo: true, hi: true },
  );
  return {
    name: 'eps-scaling',
    w: base.w,
    describe: () => ({ name: 'eps-scaling', scalingFactor: lambda, inner: base.describe() }),
    createState: (batch) => base.createState(batch),
    weights: (ctx, state) => base.weights(ctx, state),
    combine(pred, weights, ctx, state) {
      const out = base.combine(pred, weights, ctx, state);
      if (lambda === 1) return out;
      const { a } = ctx.level;
      const x = ctx.x.data;
      const eps = new Float32Array(x.length);
      const x0 = new Float32Array(x.length);
      for (let j = 0; j < x.length; j++) {
        const xBar = x[j] / a;
        eps[j] = out.eps.data[j] / lambda;
        x0[j] = xBar - (xBar - out.x0.data[j]) / lambda;
      }
      return { ...out, eps: ctx.x.like(eps), x0: ctx.x.like(x0) };
    },
  };
}
