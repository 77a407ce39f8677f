/**
 * DDIM (Song et al. 2021, eq. 12 and 16), as diffusers' DDIMScheduler.step:
 *
 *     x_s = a_s·x̂0 + √(s_s² − c²)·ε̂ + c·z,
 *     c   = η·√((1 − ᾱ_s)/(1 − ᾱ_t))·√(1 − ᾱ_t/ᾱ_s),   z ~ N(0, I) from input.rng.
 *
 * η = 0 is the deterministic DDIM step, η = 1 the DDPM posterior (ddpm.ts).
 */
import type { SamplerStep, StepOutput } from '../core/step.js';
import type { NoiseLevel } from '../core/noiseLevel.js';
import { checkEta, predictionPair } from './common.js';

/** The noise scale c of a DDIM step from → to. */
export function ddimNoiseScale(from: NoiseLevel, to: NoiseLevel, eta: number): number {
  if (eta === 0) return 0;
  // max(0, ·) keeps a step that does not lower the noise from producing NaN.
  const variance =
    ((1 - to.alphaBar) / (1 - from.alphaBar)) * Math.max(0, 1 - from.alphaBar / to.alphaBar);
  return eta * Math.sqrt(variance);
}

/** DDIM with noise weight η ∈ [0, 1] (default 0: deterministic). */
export function ddimStep(eta = 0): SamplerStep<undefined> {
  checkEta(eta, 1);
  return {
    name: 'ddim',
    usesRenoiseEps: true,
    stochastic: eta > 0,
    step(input): StepOutput<undefined> {
      const { x, from, to, rng } = input;
      const { x0, eps } = predictionPair(input);
      const c = ddimNoiseScale(from, to, eta);
      const a = to.a;
      const dir = Math.sqrt(Math.max(0, 1 - to.alphaBar - c * c));
      const out = new Float32Array(x.data.length);
      const x0d = x0.data;
      const ed = eps.data;
      if (c > 0) {
        const z = rng.normal(x.shape).data;
        for (let j = 0; j < out.length; j++) out[j] = a * x0d[j] + dir * ed[j] + c * z[j];
      } else {
        for (let j = 0; j < out.length; j++) out[j] = a * x0d[j] + dir * ed[j];
      }
      return { x: x.like(out) };
    },
  };
}
