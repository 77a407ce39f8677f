/** The sampler registry: names used by the CLI and benchmarks, mapped to step factories. */
import { InvalidOptionError } from '../core/errors.js';
import type { SamplerStep } from '../core/step.js';
import { ddimStep } from './ddim.js';
import { ddpmStep } from './ddpm.js';
import { dpmSolverPP2MStep } from './dpmSolverPP2M.js';
import { eulerStep } from './euler.js';
import { eulerAncestralStep } from './eulerAncestral.js';

export { ddimNoiseScale, ddimStep } from './ddim.js';
export { ddpmStep } from './ddpm.js';
export { eulerStep } from './euler.js';
export { ancestralSigmas, eulerAncestralStep } from './eulerAncestral.js';
export {
  dpmSolverPP2MStep,
  lambdaOf,
  type DpmSolverPP2MHistory,
  type DpmSolverPP2MOptions,
} from './dpmSolverPP2M.js';

export const SAMPLER_NAMES = ['ddim', 'ddpm', 'euler', 'euler-a', 'dpmpp-2m'] as const;
export type SamplerName = (typeof SAMPLER_NAMES)[number];

export interface SamplerOptions {
  /** Noise weight: ddim (default 0, range [0, 1]) and euler-a (default 1); others ignore it. */
  readonly eta?: number;
  /** dpmpp-2m only: first-order step into the final level (default true). */
  readonly lowerOrderFinal?: boolean;
}

export function createSampler(name: string, options: SamplerOptions = {}): SamplerStep {
  switch (name as SamplerName) {
    case 'ddim':
      return ddimStep(options.eta ?? 0);
    case 'ddpm':
      return ddpmStep();
    case 'euler':
      return eulerStep();
    case 'euler-a':
      return eulerAncestralStep(options.eta ?? 1);
    case 'dpmpp-2m':
      return dpmSolverPP2MStep({ lowerOrderFinal: options.lowerOrderFinal });
    default:
      throw new InvalidOptionError(`unknown sampler "${name}"; valid: ${SAMPLER_NAMES.join(', ')}`);
  }
}
