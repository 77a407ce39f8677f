/** The samplers: steps, the registry (plan + step per diffusers class) and the names users type. */
import type { SamplerStep } from '../core/step.js';
import { SD15_SCHEDULE } from '../schedules/config.js';
import { resolveSampler } from './names.js';
import { SAMPLERS, type SamplerOptions } from './registry.js';

export { ddimNoiseScale, ddimStep, ddimUpdate, NO_X0_PROCESSING } from './ddim.js';
export { ddpmStep } from './ddpm.js';
export { eulerStep } from './euler.js';
export { ancestralSigmas, eulerAncestralStep } from './eulerAncestral.js';
export {
  dpmSolverStep,
  dpmSolverUpdate,
  lambdaOf,
  type DpmSolverHistory,
  type DpmSolverOptions,
} from './dpmSolver.js';
export { heunCorrects, heunStep } from './heun.js';
export { dpmSolverSdeStep } from './dpmSolverSde.js';
export { solveSmall, uniPcStep, type UniPcHistory, type UniPcOptions } from './uniPc.js';
export { lmsCoefficient, lmsStep, type LmsHistory } from './lms.js';
export { lcmBoundary, lcmStep, type LcmOptions } from './lcm.js';
export {
  SAMPLERS,
  samplerDefinition,
  type ResolvedSampler,
  type SamplerDefinition,
  type SamplerOptions,
  type SamplerRecord,
} from './registry.js';
export {
  COMFY_SCHEDULERS,
  defaultSamplerName,
  parseSamplerName,
  resolveSampler,
  SAMPLER_ALIASES,
  samplerNames,
} from './names.js';

/** The project names (the registry's entries); `samplerNames()` lists every accepted name. */
export const SAMPLER_NAMES: readonly string[] = SAMPLERS.map((d) => d.name);

/**
 * The step a name stands for on SD 1.5's schedule (or `config`'s), for a run of `steps`
 * steps: a check of the name and a step for code that plans its levels itself.
 */
export function createSampler(
  name: string,
  options: SamplerOptions = {},
  config = SD15_SCHEDULE,
  steps = 1,
): SamplerStep {
  return resolveSampler(name, config, options).step(steps);
}
