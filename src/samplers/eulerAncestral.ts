/**
 * Euler ancestral (k-diffusion sample_euler_ancestral), in x̄ = x/a coordinates:
 *
 *     σ_up   = min(σ_s, η·√(σ_s²(σ_t² − σ_s²)/σ_t²)),   σ_down = √(σ_s² − σ_up²),
 *     x̄_s    = x̂0 + σ_down·d + σ_up·z,
 *
 * with d as in Euler (to_d, or renoiseEps for CFG++ = ComfyUI's euler_ancestral_cfg_pp).
 * η = 0 is plain Euler. Into σ_s = 0 both σ's are 0 (x̂0 is returned) and, as whenever
 * σ_up = 0, no noise is drawn.
 */
import type { NoiseLevel } from '../core/noiseLevel.js';
import type { SamplerStep, StepOutput } from '../core/step.js';
import type { ScheduleConfig } from '../schedules/config.js';
import { schedulerSettings } from '../schedules/settings.js';
import { checkEta } from './common.js';
import { eulerUpdate } from './euler.js';

/** k-diffusion get_ancestral_step, written to stay finite when σ_t = ∞ or σ_s ≥ σ_t. */
export function ancestralSigmas(
  from: NoiseLevel,
  to: NoiseLevel,
  eta: number,
): { sigmaUp: number; sigmaDown: number } {
  const ss = to.sigma;
  const ratio = ss / from.sigma; // 0 when σ_t = ∞
  // σ_up/σ_s = η·√(1 − σ_s²/σ_t²), capped at 1; then σ_down = σ_s·√(1 − (σ_up/σ_s)²).
  const up = Math.min(1, eta * Math.sqrt(Math.max(0, 1 - ratio * ratio)));
  return { sigmaUp: ss * up, sigmaDown: ss * Math.sqrt(1 - up * up) };
}

/** EulerAncestralDiscreteScheduler's step (η = 1 there; other η are the project's extension). */
export function eulerAncestralStep(eta = 1, config?: ScheduleConfig): SamplerStep<undefined> {
  if (config) schedulerSettings(config, 'EulerAncestralDiscreteScheduler');
  checkEta(eta);
  return {
    name: 'euler-a',
    usesRenoiseEps: true,
    stochastic: eta > 0,
    step(input): StepOutput<undefined> {
      const { from, to } = input;
      const { sigmaUp, sigmaDown } = ancestralSigmas(from, to, eta);
      return { x: input.x.like(eulerUpdate(input, to.a * sigmaDown, to.a * sigmaUp)) };
    },
  };
}
