/**
 * DDIM (Song et al. 2021, eq. 12 and 16), as diffusers' DDIMScheduler.step:
 *
 *     x_s = a_s·x̂0 + √(s_s² − c²)·ε̂ + c·z,
 *     c   = η·√((1 − ᾱ_s)/(1 − ᾱ_t))·√(1 − ᾱ_t/ᾱ_s),   z ~ N(0, I) from input.rng.
 *
 * x̂0 is clipped or thresholded as the config says (clip_sample, default true, or
 * thresholding); ε̂ stays the network's, as diffusers keeps it (use_clipped_model_output is
 * off). η = 0 is the deterministic DDIM step. The level stepped to is the plan's landing
 * (t − T//N, ddimPlan).
 */
import type { SamplerStep, StepOutput } from '../core/step.js';
import type { NoiseLevel } from '../core/noiseLevel.js';
import type { ScheduleConfig } from '../schedules/config.js';
import { schedulerSettings } from '../schedules/settings.js';
import { checkEta, predictionPair, processX0, type X0Processing } from './common.js';

/** The noise scale c of a DDIM step from → to. */
export function ddimNoiseScale(from: NoiseLevel, to: NoiseLevel, eta: number): number {
  if (eta === 0) return 0;
  // max(0, ·) keeps a step that does not lower the noise from producing NaN.
  const variance =
    ((1 - to.alphaBar) / (1 - from.alphaBar)) * Math.max(0, 1 - from.alphaBar / to.alphaBar);
  return eta * Math.sqrt(variance);
}

/** No clipping: the step on its own (DiffIER's probes, tests). */
export const NO_X0_PROCESSING: X0Processing = {
  thresholding: false,
  dynamicThresholdingRatio: 0.995,
  sampleMaxValue: 1,
  clipSample: false,
  clipSampleRange: 1,
};

/** The DDIM update with a given x̂0 post-processing (shared with nothing else: DDPM has its own). */
export function ddimUpdate(
  eta: number,
  x0Processing: X0Processing,
  name = 'ddim',
): SamplerStep<undefined> {
  checkEta(eta, 1);
  return {
    name,
    usesRenoiseEps: true,
    stochastic: eta > 0,
    step(input): StepOutput<undefined> {
      const { x, from, to, rng } = input;
      const pair = predictionPair(input);
      const x0 = processX0(pair.x0, x0Processing);
      const c = ddimNoiseScale(from, to, eta);
      const a = to.a;
      const dir = Math.sqrt(Math.max(0, 1 - to.alphaBar - c * c));
      const out = new Float32Array(x.data.length);
      const x0d = x0.data;
      const ed = pair.eps.data;
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

/**
 * DDIMScheduler's step, noise weight η ∈ [0, 1], x̂0 post-processed by the config's
 * clip_sample / thresholding keys (no config: not at all).
 */
export function ddimStep(eta = 0, config?: ScheduleConfig): SamplerStep<undefined> {
  return ddimUpdate(eta, config ? schedulerSettings(config, 'DDIMScheduler') : NO_X0_PROCESSING);
}
