import type { NoiseLevel } from './noiseLevel.js';

/** What a method may know about the schedule it runs on. */
export interface ScheduleInfo {
  /** levels[0] … levels[steps]: the sampling schedule. */
  readonly levels: readonly NoiseLevel[];
  /** Level at a (fractional) training timestep. */
  levelAt(timestep: number): NoiseLevel;
  /** Training timestep whose σ is `sigma` (fractional). */
  timestepOf(sigma: number): number;
}
