/**
 * The latent consistency model step (Luo et al. 2023, arXiv 2310.04378; diffusers'
 * LCMScheduler), for LCM- and Turbo-distilled networks. The network's x̂0 at timestep t is
 * mixed with the input by the consistency-model boundary condition (Song et al. 2023),
 *
 *     x̂ = c_out(t)·x̂0 + c_skip(t)·x_t,
 *     c_skip = σ_d²/((k·t)² + σ_d²),   c_out = k·t/√((k·t)² + σ_d²),   σ_d = 0.5,
 *
 * k the config's timestep_scaling (default 10), and the next sample is x̂ re-noised with
 * fresh noise to the next level, x_s = a_s·x̂ + s_s·z. The step into the final level
 * (timestep < 0) returns x̂ itself, with no noise. x_t enters as the sample (not through ε),
 * so renoiseEps is ignored.
 */
import { InvalidOptionError } from '../core/errors.js';
import type { SamplerStep, StepOutput } from '../core/step.js';
import { assertSameShape } from '../core/tensor.js';
import { processX0, type X0Processing } from './common.js';
import { NO_X0_PROCESSING } from './ddim.js';

/** σ_data of the boundary condition (fixed in diffusers). */
const SIGMA_DATA = 0.5;
/** diffusers' default timestep_scaling. */
export const LCM_TIMESTEP_SCALING = 10;

export interface LcmOptions {
  /** diffusers' timestep_scaling k (default 10). */
  readonly timestepScaling?: number;
  /** How x̂0 is post-processed (thresholding, else clip_sample); default not at all. */
  readonly x0Processing?: X0Processing;
}

/** c_skip and c_out at network timestep t. */
export function lcmBoundary(t: number, k: number): { cSkip: number; cOut: number } {
  const st = t * k;
  const d2 = SIGMA_DATA * SIGMA_DATA;
  return { cSkip: d2 / (st * st + d2), cOut: st / Math.sqrt(st * st + d2) };
}

export function lcmStep(opts: LcmOptions = {}): SamplerStep<undefined> {
  const k = opts.timestepScaling ?? LCM_TIMESTEP_SCALING;
  if (!Number.isFinite(k) || k <= 0 || k > 1e6)
    throw new InvalidOptionError(`lcm timestep_scaling must be a number in (0, 1e6], got ${k}`);
  return {
    name: 'lcm',
    usesRenoiseEps: false,
    stochastic: true,
    step(input): StepOutput<undefined> {
      const { x, from, to, rng } = input;
      assertSameShape(input.pred.x0, x, 'predicted x0 vs sample');
      const x0 = processX0(input.pred.x0, opts.x0Processing ?? NO_X0_PROCESSING);
      const { cSkip, cOut } = lcmBoundary(from.timestep, k);
      const out = new Float32Array(x.data.length);
      for (let j = 0; j < out.length; j++) out[j] = cOut * x0.data[j] + cSkip * x.data[j];
      if (to.timestep < 0) return { x: x.like(out) };
      const z = rng.normal(x.shape).data;
      for (let j = 0; j < out.length; j++) out[j] = to.a * out[j] + to.s * z[j];
      return { x: x.like(out) };
    },
  };
}
