/**
 * DPM++ SDE (k-diffusion sample_dpmpp_sde with η = 1, r = 1/2; diffusers'
 * DPMSolverSDEScheduler), in x̄ = x/a with σ as time. A step t → s takes two guided
 * evaluations:
 *
 * 1. at x_t: an ancestral step to the midpoint σ_m = √(σ_t·σ_s) (halfway in log σ),
 *        x̄_m = x̂0 + σ_down·(x̄_t − x̂0)/σ_t + σ_up·z₁,
 *    with (σ_up, σ_down) = get_ancestral_step(σ_t, σ_m) (eulerAncestral.ts);
 * 2. at x_m (the pending stage, level σ_m at its fractional training timestep): the same
 *    ancestral step from x_t, now to σ_s and with the midpoint's x̂0_m,
 *        x̄_s = x̂0_m + σ_down'·(x̄_t − x̂0_m)/σ_t + σ_up'·z₂.
 *    (k-diffusion mixes the two x̂0 as (1 − 1/(2r))·x̂0 + 1/(2r)·x̂0_m, which for r = 1/2 is
 *    x̂0_m alone, as diffusers writes it.)
 *
 * A step into σ = 0 is the Euler step to x̂0 (one evaluation), as in diffusers; so is a step
 * from σ = ∞, which has no midpoint.
 *
 * The noise: diffusers draws z = (W(σ') − W(σ))/√|σ' − σ| from a Brownian tree W over σ, so
 * z₁ (over [σ_m, σ_t]) and z₂ (over [σ_s, σ_t]) are correlated. Here both come from the
 * project's per-item RNG with the same joint law: z₂ = (√(σ_t − σ_m)·z₁ + √(σ_m − σ_s)·u)/√(σ_t − σ_s),
 * u a fresh normal — the same distribution as diffusers', not the same numbers.
 */
import { InvalidOptionError } from '../core/errors.js';
import type { GuidedPrediction } from '../core/guidance.js';
import { levelFromSigma, type NoiseLevel } from '../core/noiseLevel.js';
import type { SamplerStep, StepInput, StepOutput } from '../core/step.js';
import { ancestralSigmas } from './eulerAncestral.js';

/** a_s·(x̂0 + σ_down·(x − a_t·x̂0)/s_t + σ_up·z): an ancestral step from (x, from) with `x0`. */
function ancestralTo(
  input: StepInput<unknown>,
  x0: Float32Array,
  to: NoiseLevel,
  z: Float32Array,
): Float32Array {
  const { x, from } = input;
  const { sigmaUp, sigmaDown } = ancestralSigmas(from, to, 1);
  const down = to.a * sigmaDown;
  const up = to.a * sigmaUp;
  const out = new Float32Array(x.data.length);
  for (let j = 0; j < out.length; j++) {
    const d = (x.data[j] - from.a * x0[j]) / from.s;
    out[j] = to.a * x0[j] + down * d + up * z[j];
  }
  return out;
}

/**
 * DPMSolverSDEScheduler's step. `timestepOf` is the schedule's fractional training timestep
 * of a σ (where the midpoint is evaluated); without it the step refuses to run.
 */
export function dpmSolverSdeStep(timestepOf?: (sigma: number) => number): SamplerStep<undefined> {
  return {
    name: 'dpmpp-sde',
    usesRenoiseEps: false,
    stochastic: true,
    step(input): StepOutput<undefined> {
      const { x, from, to, rng } = input;
      const x0 = input.pred.x0.data;
      if (to.sigma === 0 || !Number.isFinite(from.sigma)) {
        // Euler into σ = 0 is x̂0 itself; from σ = ∞ a single ancestral step.
        const z = to.sigma === 0 ? new Float32Array(x0.length) : rng.normal(x.shape).data;
        return { x: x.like(ancestralTo(input, x0, to, z)) };
      }
      if (!timestepOf)
        throw new InvalidOptionError('dpmpp-sde needs the schedule (timestepOf) for its midpoints');
      const sigmaMid = Math.sqrt(from.sigma * to.sigma);
      const mid = levelFromSigma(sigmaMid, timestepOf(sigmaMid));
      const z1 = rng.normal(x.shape).data;
      return {
        x: x.like(ancestralTo(input, x0, mid, z1)),
        pending: {
          level: mid,
          finish(pred2: GuidedPrediction): StepOutput<undefined> {
            const u = rng.normal(x.shape).data;
            const wz = Math.sqrt((from.sigma - sigmaMid) / (from.sigma - to.sigma));
            const wu = Math.sqrt((sigmaMid - to.sigma) / (from.sigma - to.sigma));
            const z2 = new Float32Array(u.length);
            for (let j = 0; j < u.length; j++) z2[j] = wz * z1[j] + wu * u[j];
            return { x: x.like(ancestralTo(input, pred2.x0.data, to, z2)) };
          },
        },
      };
    },
  };
}
