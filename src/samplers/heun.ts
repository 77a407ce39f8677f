/**
 * Heun's second-order method on the probability-flow ODE (Karras et al. 2022, Alg. 1 with
 * S_churn = 0; diffusers' HeunDiscreteScheduler), in k-diffusion's x̄ = x/a with σ as time:
 *
 *     d₁ = (x̄_t − x̂0(x_t, σ_t))/σ_t,        x̄' = x̄_t + (σ_s − σ_t)·d₁      (Euler),
 *     d₂ = (x̄' − x̂0(x', σ_s))/σ_s,          x̄_s = x̄_t + (σ_s − σ_t)·(d₁ + d₂)/2.
 *
 * Two guided evaluations per step: the second, at the Euler point x' and level s, is the
 * step's pending stage (core/step.ts). As in diffusers, a step into σ = 0 is the Euler step
 * alone (one evaluation). So is a step the second evaluation cannot be made for: into a
 * final level that is not on the training grid (timestep < 0), or from σ = ∞ (zero
 * terminal SNR), where x̄ is infinite. In VP units, with d as Euler's (euler.ts),
 *
 *     x_s = a_s·x̂0 + s_s·d₁ + a_s·(σ_s − σ_t)·(d₂ − d₁)/2,
 *
 * which is finite whenever σ_t is.
 */
import type { GuidedPrediction } from '../core/guidance.js';
import type { NoiseLevel } from '../core/noiseLevel.js';
import type { SamplerStep, StepOutput } from '../core/step.js';
import { assertSameShape, type Tensor } from '../core/tensor.js';
import type { ScheduleConfig } from '../schedules/config.js';
import { schedulerSettings } from '../schedules/settings.js';
import { processX0, type X0Processing } from './common.js';
import { NO_X0_PROCESSING } from './ddim.js';
import { eulerUpdate } from './euler.js';

/** Euler's derivative d = renoiseEps, else (x − a·x̂0)/s, of a prediction at (x, level). */
export function derivative(x: Tensor, level: NoiseLevel, pred: GuidedPrediction): Float32Array {
  assertSameShape(pred.x0, x, 'predicted x0 vs sample');
  if (pred.renoiseEps) {
    assertSameShape(pred.renoiseEps, x, 'predicted eps vs sample');
    return pred.renoiseEps.data;
  }
  const x0 = pred.x0;
  const out = new Float32Array(x.data.length);
  for (let j = 0; j < out.length; j++) out[j] = (x.data[j] - level.a * x0.data[j]) / level.s;
  return out;
}

/** True when a second evaluation at `to` is possible and diffusers makes it. */
export function heunCorrects(from: NoiseLevel, to: NoiseLevel): boolean {
  return to.timestep >= 0 && to.sigma > 0 && Number.isFinite(from.sigma);
}

/** HeunDiscreteScheduler's step: x̂0 clipped at both stages when the config's clip_sample says so. */
export function heunStep(config?: ScheduleConfig): SamplerStep<undefined> {
  const clip: X0Processing = config
    ? { ...NO_X0_PROCESSING, ...schedulerSettings(config, 'HeunDiscreteScheduler') }
    : NO_X0_PROCESSING;
  const clipped = (pred: GuidedPrediction): GuidedPrediction => {
    const x0 = processX0(pred.x0, clip);
    return x0 === pred.x0 ? pred : { ...pred, x0 };
  };
  return {
    name: 'heun',
    usesRenoiseEps: true,
    stochastic: false,
    step(raw): StepOutput<undefined> {
      const input = { ...raw, pred: clipped(raw.pred) };
      const { x, from, to } = input;
      const euler = x.like(eulerUpdate(input, to.s, 0));
      if (!heunCorrects(from, to)) return { x: euler };
      return {
        x: euler,
        pending: {
          level: to,
          finish(pred2): StepOutput<undefined> {
            const x0 = input.pred.x0.data;
            const d1 = derivative(x, from, input.pred);
            const d2 = derivative(euler, to, clipped(pred2));
            const half = (to.a * (to.sigma - from.sigma)) / 2;
            const out = new Float32Array(x.data.length);
            for (let j = 0; j < out.length; j++) {
              out[j] = to.a * x0[j] + to.s * d1[j] + half * (d2[j] - d1[j]);
            }
            return { x: x.like(out) };
          },
        },
      };
    },
  };
}
