import { InvalidOptionError } from '../core/errors.js';
import type { GuidedPrediction } from '../core/guidance.js';
import { x0FromEps } from '../core/convert.js';
import type { NoiseLevel } from '../core/noiseLevel.js';
import { completeStep } from '../core/step.js';
import type { Tensor } from '../core/tensor.js';
import type { Transition, TransitionWrapper } from '../core/transition.js';
import { checkLangevin, langevinCorrect, type LangevinOptions } from './langevin.js';
import { linearGuidance } from './renoise.js';

/**
 * Predictor–corrector guidance (Bradley & Nakkiran, "Classifier-Free Guidance is a
 * Predictor-Corrector", arXiv 2408.09000). Predictor: the sampler's step with the
 * conditional prediction only (no guidance). Corrector: K Langevin steps at the landing
 * level s on π_s^γ ∝ p_s(x|c)^γ p_s(x)^(1−γ) with δ = (σ_t² − σ_s²)/2 — the step size at
 * which one corrector step makes CFG-DDPM (with γ = 2w − 1) of the paper's theorem.
 * Cost per step: 1 + 2K evaluations.
 */
export interface PcgOptions extends LangevinOptions {
  /** Exponent γ of the corrector's target; default: the user's w. */
  readonly gamma?: number;
}

export function pcg(w: number, options: PcgOptions = {}): TransitionWrapper {
  const gamma = options.gamma ?? w;
  if (!Number.isFinite(gamma)) throw new InvalidOptionError(`pcg gamma must be finite`);
  const corrector = checkLangevin(options);

  return (_inner: Transition): Transition =>
    async (ctx) => {
      const { from, to } = ctx;
      // The predictor is unguided at every stage of the step.
      const conditional = async (x: Tensor, level: NoiseLevel): Promise<GuidedPrediction> => {
        const raw = await ctx.predict(x, level, 'cond');
        const weights = new Float64Array(x.batch).fill(1);
        return { eps: raw.cond, x0: x0FromEps(x, raw.cond, level), raw, weights };
      };
      const pred = await conditional(ctx.x, from);
      const out = await completeStep(
        ctx.sampler,
        {
          x: ctx.x,
          from,
          to,
          pred,
          rng: ctx.rng,
          history: ctx.history,
        },
        conditional,
      );
      const guided = async (x: typeof ctx.x) => {
        const r = await ctx.predict(x, to, gamma === 1 ? 'cond' : 'both');
        return linearGuidance(r.cond, r.uncond, gamma);
      };
      const x = await langevinCorrect(ctx, out.x, from, to, guided, corrector);
      return { x, history: out.history, xIn: ctx.x, pred };
    };
}
