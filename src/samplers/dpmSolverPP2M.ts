/**
 * DPM-Solver++(2M) (Lu et al. 2022, arXiv 2211.01095, Alg. 2; k-diffusion sample_dpmpp_2m,
 * diffusers "dpmsolver++"/"midpoint"): a multistep solver of the probability-flow ODE in
 * data prediction, with λ = log(a/s) = −log σ and h = λ_s − λ_t:
 *
 *     x_s = (s_s/s_t)·x_t + a_s·(1 − e^(−h))·D,
 *     D   = x̂0                                  (first order: the first step, into the final
 *                                               level, or after a non-finite h)
 *     D   = (1 + 1/(2r))·x̂0 − 1/(2r)·x̂0_prev    (second order, r = h_prev/h)
 *
 * The second-order D is the linear extrapolation in λ of the last two x̂0 to the midpoint
 * λ_t + h/2. The first-order step is DDIM(η = 0) with ε derived from x̂0. Only x̂0 is used,
 * so renoiseEps is ignored.
 */
import { assertSameShape, type Tensor } from '../core/tensor.js';
import type { NoiseLevel } from '../core/noiseLevel.js';
import type { SamplerStep, StepOutput } from '../core/step.js';
import { predictionPair } from './common.js';

/**
 * What one step hands to the next: its x̂0 and the λ it was predicted at. Keeping λ rather
 * than the step size means h_prev = λ_t − λ_prev is measured from the level actually
 * stepped from (as diffusers does from its σ list).
 */
export interface DpmSolverPP2MHistory {
  readonly x0: Tensor;
  readonly lambda: number;
}

export interface DpmSolverPP2MOptions {
  /**
   * First order for the step into the schedule's final level (timestep < 0), default true.
   * A step into σ = 0 is always first order (h = ∞). diffusers does the same for its
   * default final σ = 0, and otherwise only below 15 steps (a step cannot see the count).
   */
  readonly lowerOrderFinal?: boolean;
}

/** λ = log(a/s): −∞ at zero SNR, +∞ at σ = 0. */
export function lambdaOf(level: NoiseLevel): number {
  return Math.log(level.a) - Math.log(level.s);
}

export function dpmSolverPP2MStep(
  opts: DpmSolverPP2MOptions = {},
): SamplerStep<DpmSolverPP2MHistory> {
  const lowerOrderFinal = opts.lowerOrderFinal ?? true;
  return {
    name: 'dpmpp-2m',
    usesRenoiseEps: false,
    stochastic: false,
    step(input): StepOutput<DpmSolverPP2MHistory> {
      const { x, from, to, history } = input;
      const { x0 } = predictionPair(input);
      const lambdaT = lambdaOf(from);
      const h = lambdaOf(to) - lambdaT;
      // s_s/s_t and a_s·(1 − e^(−h)) (−expm1 for accuracy at small h; = a_s at h = ∞).
      const keep = to.s / from.s;
      const gain = to.a * -Math.expm1(-h);
      // Second order needs a previous x̂0 and two finite, positive steps in λ; a step into
      // σ = 0 (h = ∞) or from zero SNR (h_prev = ∞ next time) is therefore first order.
      const hPrev = history ? lambdaT - history.lambda : NaN;
      const secondOrder =
        history !== undefined &&
        !(lowerOrderFinal && to.timestep < 0) &&
        Number.isFinite(h) &&
        h > 0 &&
        Number.isFinite(hPrev) &&
        hPrev > 0;
      const out = new Float32Array(x.data.length);
      const xd = x.data;
      const x0d = x0.data;
      if (secondOrder) {
        const k = h / (2 * hPrev); // 1/(2r)
        assertSameShape(history.x0, x, 'DPM-Solver++ history x0 vs sample');
        const prev = history.x0.data;
        for (let j = 0; j < out.length; j++) {
          out[j] = keep * xd[j] + gain * ((1 + k) * x0d[j] - k * prev[j]);
        }
      } else {
        for (let j = 0; j < out.length; j++) out[j] = keep * xd[j] + gain * x0d[j];
      }
      return { x: x.like(out), history: { x0, lambda: lambdaT } };
    },
  };
}
