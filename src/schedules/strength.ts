/**
 * Image-to-image strength, as diffusers' img2img pipelines read it: of a schedule of N steps,
 * the last min(⌊N·S⌋, N) are run, starting from the input image noised to the level of the
 * first of them. S = 1 runs the whole schedule; S = 0 runs none (the input comes back).
 */
import { InvalidOptionError } from '../core/errors.js';

/** diffusers' StableDiffusionImg2ImgPipeline default. */
export const DEFAULT_STRENGTH = 0.8;

export function checkStrength(strength: number): number {
  if (!(Number.isFinite(strength) && strength >= 0 && strength <= 1)) {
    throw new InvalidOptionError(`strength must be a number in [0, 1], got ${strength}`);
  }
  return strength;
}

/** Steps run of a schedule of `steps` at `strength` (diffusers' init_timestep). */
export function stepsForStrength(steps: number, strength: number): number {
  return Math.min(Math.floor(steps * checkStrength(strength)), steps);
}
