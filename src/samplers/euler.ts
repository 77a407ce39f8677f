/**
 * Euler on the probability-flow ODE in k-diffusion's coordinates x̄ = x/a (σ as time):
 *
 *     d = (x̄_t − x̂0)/σ_t   (k-diffusion's to_d),     x̄_s = x̄_t + (σ_s − σ_t)·d.
 *
 * Because x̄_t = x̂0 + σ_t·d, this is x̄_s = x̂0 + σ_s·d, which is how we compute it: it stays
 * finite at σ_t = ∞ (zero terminal SNR) and at σ_s = 0, and in VP units it reads
 * x_s = a_s·x̂0 + s_s·d with d = (x_t − a_t·x̂0)/s_t. When the rule supplies renoiseEps
 * (CFG++), d = ε_u, giving ComfyUI's euler_cfg_pp (x̄_s = x̂0 + σ_s·ε_u).
 *
 * The difference from DDIM(η = 0) is which half of the pair is trusted: Euler derives d
 * from x̂0 (as k-diffusion, whose model returns "denoised"); DDIM uses ε̂ as given. They agree
 * on a consistent pair.
 */
import type { SamplerStep, StepInput, StepOutput } from '../core/step.js';
import type { ScheduleConfig } from '../schedules/config.js';
import { schedulerSettings } from '../schedules/settings.js';
import { predictionPair } from './common.js';

/**
 * Write a_s·(x̂0 + σ_down·d + σ_up·z) into a new sample (shared with Euler ancestral):
 * d = renoiseEps if present, else (x_t − a_t·x̂0)/s_t; noiseScale = a_s·σ_up (0: no draw).
 */
export function eulerUpdate(
  input: StepInput<unknown>,
  downScale: number,
  noiseScale: number,
): Float32Array {
  const { x, from, to } = input;
  const { x0 } = predictionPair(input);
  const x0d = x0.data;
  const xd = x.data;
  const renoise = input.pred.renoiseEps?.data;
  const out = new Float32Array(xd.length);
  const a = to.a;
  const at = from.a;
  const invSt = 1 / from.s;
  const z = noiseScale > 0 ? input.rng.normal(x.shape).data : undefined;
  for (let j = 0; j < out.length; j++) {
    const d = renoise ? renoise[j] : (xd[j] - at * x0d[j]) * invSt;
    out[j] = a * x0d[j] + downScale * d + (z ? noiseScale * z[j] : 0);
  }
  return out;
}

/**
 * EulerDiscreteScheduler's step (s_churn = 0, diffusers' default). Its config keys all act
 * on the plan (eulerPlan); reading them here refuses unsupported values before any work.
 */
export function eulerStep(config?: ScheduleConfig): SamplerStep<undefined> {
  if (config) schedulerSettings(config, 'EulerDiscreteScheduler');
  return {
    name: 'euler',
    usesRenoiseEps: true,
    stochastic: false,
    step(input): StepOutput<undefined> {
      // a_s·σ_s = s_s (finite even when σ_s = 0).
      return { x: input.x.like(eulerUpdate(input, input.to.s, 0)) };
    },
  };
}
