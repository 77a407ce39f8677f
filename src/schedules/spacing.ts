/** Timestep spacing: diffusers' `leading`, `trailing` and `linspace` on the training grid. */
import { InvalidOptionError } from '../core/errors.js';
import type { TimestepSpacing } from './settings.js';

/** numpy's round(): halves go to the even neighbour. */
export function roundHalfEven(v: number): number {
  const r = Math.round(v);
  return Math.abs(v % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

export function checkNumSteps(T: number, numSteps: number): void {
  if (!Number.isInteger(numSteps) || numSteps < 1 || numSteps > T) {
    throw new InvalidOptionError(
      `number of steps must be an integer in [1, ${T}], got ${numSteps}`,
    );
  }
}

/**
 * The N spaced timesteps, decreasing, as diffusers' DDIM/DDPM/Euler compute them from
 * `timestep_spacing` (numpy rounding included). One deviation: for `trailing`, numpy's
 * `arange(T, 0, −T/N)` sometimes has N + 1 entries by rounding (N = 61 for T = 1000), the
 * last one being −1; we keep the first N.
 */
export function spacedTimesteps(
  T: number,
  numSteps: number,
  spacing: TimestepSpacing,
  stepsOffset: number,
): number[] {
  checkNumSteps(T, numSteps);
  const N = numSteps;
  const ts: number[] = [];
  if (spacing === 'leading') {
    const ratio = Math.floor(T / N);
    for (let i = N - 1; i >= 0; i--) ts.push(i * ratio + stepsOffset);
  } else if (spacing === 'trailing') {
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
  checkDecreasing(ts, T, `${N} ${spacing} steps`, stepsOffset);
  return ts;
}

/** The timesteps must lie on the training grid and decrease. */
export function checkDecreasing(
  ts: readonly number[],
  T: number,
  what: string,
  stepsOffset: number,
): void {
  if (ts[0] > T - 1) {
    throw new InvalidOptionError(
      `steps_offset ${stepsOffset} with ${what} reaches timestep ${ts[0]} > ${T - 1}`,
    );
  }
  for (let i = 1; i < ts.length; i++) {
    if (!(ts[i] < ts[i - 1] && ts[i] >= 0)) {
      throw new InvalidOptionError(`${what} give timesteps that do not decrease`);
    }
  }
}
