/**
 * LCMScheduler's timesteps: the distillation's skip grid of `original_inference_steps`
 * timesteps (k·i − 1 for i = 1 … n, k = T // n), noisiest first, of which N are taken at the
 * indices ⌊j·(n/N)⌋, j = 0 … N − 1 (numpy's linspace without endpoint, floored). N must not
 * exceed n, as diffusers requires.
 */
import { InvalidOptionError } from '../core/errors.js';

/** diffusers' default `original_inference_steps`. */
export const LCM_ORIGINAL_STEPS = 50;

export function lcmTimesteps(
  numTrainTimesteps: number,
  numSteps: number,
  originalSteps = LCM_ORIGINAL_STEPS,
): number[] {
  const T = numTrainTimesteps;
  if (!Number.isInteger(originalSteps) || originalSteps < 1 || originalSteps > T)
    throw new InvalidOptionError(
      `original_inference_steps must be an integer in [1, ${T}], got ${originalSteps}`,
    );
  if (!Number.isInteger(numSteps) || numSteps < 1 || numSteps > originalSteps)
    throw new InvalidOptionError(
      `lcm takes 1 … original_inference_steps (${originalSteps}) steps, got ${numSteps}`,
    );
  const k = Math.floor(T / originalSteps);
  const grid: number[] = [];
  for (let i = originalSteps; i >= 1; i--) grid.push(i * k - 1);
  // numpy's linspace(0, n, N, endpoint=False) is j·(n/N), rounding included.
  const step = originalSteps / numSteps;
  const out: number[] = [];
  for (let j = 0; j < numSteps; j++) out.push(grid[Math.floor(j * step)]);
  return out;
}
