import type { NoiseLevel } from './noiseLevel.js';

/**
 * A sampling schedule as one sampler class plans it (diffusers' set_timesteps differs per
 * class): the levels the network is evaluated at and where each step lands.
 */
export interface SamplingLevels {
  /** levels[0] … levels[steps − 1]: the network levels, noisiest first; levels[steps]: the final level. */
  readonly levels: readonly NoiseLevel[];
  /**
   * Where step i lands, when that is not levels[i + 1]: diffusers' DDIM steps from t to
   * t − T//N, which under `linspace`/`trailing` spacing is not the next listed timestep, so
   * the next evaluation sees a sample from a nearby level. Absent: every step lands on the
   * next level.
   */
  readonly landings?: readonly NoiseLevel[];
  /**
   * The initial noise's scale in VP units, when not 1: diffusers' pipelines draw
   * z·init_noise_sigma in the class's coordinates, which for Euler with linspace/trailing
   * spacing is x = z·σ_max/√(σ_max² + 1).
   */
  readonly initialScale?: number;
}

/** What a method may know about the schedule it runs on. */
export interface ScheduleInfo extends SamplingLevels {
  /** Level at a (fractional) training timestep. */
  levelAt(timestep: number): NoiseLevel;
  /** Training timestep whose σ is `sigma` (fractional). */
  timestepOf(sigma: number): number;
}

/** The level step i lands on. */
export function landingOf(schedule: SamplingLevels, i: number): NoiseLevel {
  return schedule.landings?.[i] ?? schedule.levels[i + 1];
}
