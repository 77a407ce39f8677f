import type { ScheduleInfo } from '../core/levels.js';
import { noiseLevel, type NoiseLevel } from '../core/noiseLevel.js';
import { type ScheduleConfig } from './config.js';
import { samplingLevels } from './spacing.js';
import { alphaBarAt, timestepOfSigma } from './discrete.js';

/** A parsed schedule that hands out the sampling levels (and level look-ups) for any step count. */
export interface SchedulePlan {
  readonly config: ScheduleConfig;
  readonly maxSteps: number;
  forSteps(steps: number): ScheduleInfo;
  /** Training timestep whose σ is `sigma` (fractional), independent of the step count. */
  timestepOf(sigma: number): number;
}

export function schedulePlan(config: ScheduleConfig): SchedulePlan {
  const levelAt = (t: number): NoiseLevel => noiseLevel(t, alphaBarAt(config, t));
  const timestepOf = (sigma: number): number => timestepOfSigma(config, sigma);
  return {
    config,
    maxSteps: config.numTrainTimesteps,
    timestepOf,
    forSteps: (steps) => ({ levels: samplingLevels(config, steps), levelAt, timestepOf }),
  };
}
