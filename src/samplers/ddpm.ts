/**
 * DDPM ancestral sampling (Ho et al. 2020), as diffusers' DDPMScheduler.step: a draw from the
 * posterior q(x_s | x_t, x̂0),
 *
 *     mean = √ᾱ_s·β_ts/(1 − ᾱ_t)·x̂0 + √α_ts·(1 − ᾱ_s)/(1 − ᾱ_t)·x_t,
 *     var  = β_ts·(1 − ᾱ_s)/(1 − ᾱ_t) (fixed_small; floored at 1e-20) or β_ts (fixed_large),
 *     α_ts = ᾱ_t/ᾱ_s, β_ts = 1 − α_ts,
 *
 * with x̂0 clipped or thresholded as the config says (clip_sample defaults to true) and no
 * noise from t = 0. The mean uses x_t itself, so with a clipped x̂0 this is not DDIM(η = 1).
 * With CFG++'s renoiseEps, x_t is replaced by a_t·x̂0 + s_t·ε_u (the sample the pair implies).
 */
import type { SamplerStep, StepOutput } from '../core/step.js';
import type { ScheduleConfig } from '../schedules/config.js';
import { schedulerSettings } from '../schedules/settings.js';
import { predictionPair, processX0 } from './common.js';
import { NO_X0_PROCESSING } from './ddim.js';

const DDPM_PLAIN = { ...NO_X0_PROCESSING, varianceType: 'fixed_small' };

/** DDPMScheduler's step for a config (no config: no clipping, fixed_small variance). */
export function ddpmStep(config?: ScheduleConfig): SamplerStep<undefined> {
  const settings = config ? schedulerSettings(config, 'DDPMScheduler') : DDPM_PLAIN;
  const large = settings.varianceType === 'fixed_large';
  return {
    name: 'ddpm',
    usesRenoiseEps: true,
    stochastic: true,
    step(input): StepOutput<undefined> {
      const { x, from, to, rng, pred } = input;
      const pair = predictionPair(input);
      const x0 = processX0(pair.x0, settings);
      const alphaTs = from.alphaBar / to.alphaBar;
      const betaTs = 1 - alphaTs;
      const c0 = (to.a * betaTs) / (1 - from.alphaBar);
      const c1 = (Math.sqrt(alphaTs) * (1 - to.alphaBar)) / (1 - from.alphaBar);
      const variance = large
        ? betaTs
        : Math.max(((1 - to.alphaBar) / (1 - from.alphaBar)) * betaTs, 1e-20);
      const std = from.timestep > 0 ? Math.sqrt(variance) : 0;
      const z = std > 0 ? rng.normal(x.shape).data : undefined;
      const renoise = pred.renoiseEps?.data;
      const xd = x.data;
      const x0d = x0.data;
      const raw = pair.x0.data;
      const out = new Float32Array(xd.length);
      for (let j = 0; j < out.length; j++) {
        const xt = renoise ? from.a * raw[j] + from.s * renoise[j] : xd[j];
        out[j] = c0 * x0d[j] + c1 * xt + (z ? std * z[j] : 0);
      }
      return { x: x.like(out) };
    },
  };
}
