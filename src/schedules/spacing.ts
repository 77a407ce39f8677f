/**
 * Timestep spacing: the N network timesteps of a sampling schedule (diffusers' `leading`,
 * `trailing`, `linspace`, or Karras σ's) and the N + 1 levels the sampling loop takes.
 */
import { levelFromSigma, noiseLevel, type NoiseLevel } from '../core/noiseLevel.js';
import { InvalidOptionError } from '../core/errors.js';
import { FINAL_TIMESTEP, type ScheduleConfig } from './config.js';
import { discreteSchedule, sigmaToTimestep } from './discrete.js';

/** Karras ρ (EDM's default, hard-coded in diffusers). */
const KARRAS_RHO = 7;

/** numpy's round(): halves go to the even neighbour. */
function roundHalfEven(v: number): number {
  const r = Math.round(v);
  return Math.abs(v % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

function checkNumSteps(cfg: ScheduleConfig, numSteps: number): void {
  if (!Number.isInteger(numSteps) || numSteps < 1 || numSteps > cfg.numTrainTimesteps) {
    throw new InvalidOptionError(
      `number of steps must be an integer in [1, ${cfg.numTrainTimesteps}], got ${numSteps}`,
    );
  }
}

/**
 * The N network timesteps, decreasing, exactly as diffusers' DDIMScheduler.set_timesteps
 * computes them (numpy rounding included). One deviation: for `trailing`, numpy's
 * `arange(T, 0, −T/N)` sometimes has N + 1 entries by rounding (N = 61 for T = 1000), the
 * last one being −1; we keep the first N.
 */
export function samplingTimesteps(cfg: ScheduleConfig, numSteps: number): number[] {
  checkNumSteps(cfg, numSteps);
  const T = cfg.numTrainTimesteps;
  const N = numSteps;
  const ts: number[] = [];
  if (cfg.timestepSpacing === 'leading') {
    const ratio = Math.floor(T / N);
    for (let i = N - 1; i >= 0; i--) ts.push(i * ratio + cfg.stepsOffset);
  } else if (cfg.timestepSpacing === 'trailing') {
    // numpy's arange fills start + i·δ with δ = (start + step) − start.
    const delta = T - T / N - T;
    for (let i = 0; i < N; i++) ts.push(roundHalfEven(T + i * delta) - 1);
  } else {
    // np.linspace(0, T−1, N): i·step, the endpoint set exactly; then reversed.
    const step = (T - 1) / (N - 1);
    for (let i = N - 1; i >= 0; i--) {
      ts.push(N === 1 ? 0 : i === N - 1 ? T - 1 : roundHalfEven(i * step));
    }
  }
  if (ts[0] > T - 1) {
    throw new InvalidOptionError(
      `steps_offset ${cfg.stepsOffset} with ${N} leading steps reaches timestep ${ts[0]} > ${T - 1}`,
    );
  }
  for (let i = 1; i < N; i++) {
    if (!(ts[i] < ts[i - 1] && ts[i] >= 0)) {
      throw new InvalidOptionError(
        `${N} ${cfg.timestepSpacing} steps give timesteps that do not decrease`,
      );
    }
  }
  return ts;
}

/**
 * The sampling schedule: numSteps + 1 levels, levels[i] at the i-th network timestep
 * (noisiest first) and levels[numSteps] the final level (timestep −1; ᾱ = 1 if
 * set_alpha_to_one, else ᾱ_0). Each step goes to the next timestep of the list; diffusers'
 * DDIM uses t − T//N instead, which is the same for `leading` but can differ by one for
 * `trailing`/`linspace` (e.g. trailing, T = 1000, N = 3: 999 → 666 → 332 here, → 333 there).
 *
 * With use_karras_sigmas the levels are Karras σ's instead (see `karrasLevels`).
 */
export function samplingLevels(cfg: ScheduleConfig, numSteps: number): NoiseLevel[] {
  const ts = samplingTimesteps(cfg, numSteps);
  const ab = discreteSchedule(cfg).alphaBar;
  if (cfg.useKarrasSigmas) return karrasLevels(cfg, ts);
  const levels = ts.map((t) => noiseLevel(t, ab[t]));
  levels.push(noiseLevel(FINAL_TIMESTEP, cfg.setAlphaToOne ? 1 : ab[0]));
  return levels;
}

/**
 * diffusers Euler/DPM with use_karras_sigmas: σ_max/σ_min are the σ's of the first and last
 * spaced timestep (or config sigma_max/sigma_min), the N σ's follow Karras' ρ = 7 ramp,
 * the timesteps come from log-σ interpolation (fractional), and the final level is σ = 0.
 */
function karrasLevels(cfg: ScheduleConfig, ts: readonly number[]): NoiseLevel[] {
  const { sigmas, logSigmas } = discreteSchedule(cfg);
  const N = ts.length;
  const maxInv = (cfg.sigmaMax ?? sigmas[ts[0]]) ** (1 / KARRAS_RHO);
  const minInv = (cfg.sigmaMin ?? sigmas[ts[N - 1]]) ** (1 / KARRAS_RHO);
  const levels: NoiseLevel[] = [];
  for (let i = 0; i < N; i++) {
    const ramp = N === 1 ? 0 : i / (N - 1);
    const sigma = (maxInv + ramp * (minInv - maxInv)) ** KARRAS_RHO;
    levels.push(levelFromSigma(sigma, sigmaToTimestep(sigma, logSigmas)));
  }
  levels.push(levelFromSigma(0, FINAL_TIMESTEP));
  return levels;
}
