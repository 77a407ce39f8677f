import type { ScheduleInfo } from '../core/levels.js';
import { noiseLevel, type NoiseLevel } from '../core/noiseLevel.js';
import { type ScheduleConfig } from './config.js';
import { alphaBarAt, timestepOfSigma } from './discrete.js';
import { ddimPlan, type LevelPlan } from './plans.js';

/** A parsed schedule that hands out the sampling levels (and level look-ups) for any step count. */
export interface SchedulePlan {
  readonly config: ScheduleConfig;
  readonly maxSteps: number;
  forSteps(steps: number): ScheduleInfo;
}

/**
 * The schedule a sampler runs on: `plan` is the sampler class's set_timesteps (each
 * sampler's registry entry names its own; DDIM's by default).
 */
export function schedulePlan(config: ScheduleConfig, plan: LevelPlan = ddimPlan): SchedulePlan {
  const levelAt = (t: number): NoiseLevel => noiseLevel(t, alphaBarAt(config, t));
  const timestepOf = (sigma: number): number => timestepOfSigma(config, sigma);
  return {
    config,
    maxSteps: config.numTrainTimesteps,
    forSteps: (steps) => ({ ...plan(config, steps), levelAt, timestepOf }),
  };
}
