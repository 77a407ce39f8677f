/** The sampler registry: names used by the CLI and benchmarks, mapped to step factories. */
import { InvalidOptionError } from '../core/errors.js';
import type { SamplerStep } from '../core/step.js';
import { ddimStep } from './ddim.js';
import { ddpmStep } from './ddpm.js';
import { dpmSolverPP2MStep } from './dpmSolverPP2M.js';
import { eulerStep } from './euler.js';
import { eulerAncestralStep } from './eulerAncestral.js';
import { heunStep } from './heun.js';
import { dpmSolverSdeStep } from './dpmSolverSde.js';
import { uniPcStep } from './uniPc.js';
import { lmsStep } from './lms.js';
import { lcmStep } from './lcm.js';

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

export { heunStep, heunCorrects } from './heun.js';
export { dpmSolverSdeStep, type DpmSolverSdeOptions } from './dpmSolverSde.js';
export { uniPcStep, type UniPcHistory, type UniPcOptions } from './uniPc.js';
export { lmsCoefficient, lmsStep, type LmsHistory } from './lms.js';
export { lcmBoundary, lcmStep, type LcmOptions } from './lcm.js';

export const SAMPLER_NAMES = [
  'ddim',
  'ddpm',
  'euler',
  'euler-a',
  'dpmpp-2m',
  'heun',
  'dpmpp-sde',
  'unipc',
  'lms',
  'lcm',
] as const;
export type SamplerName = (typeof SAMPLER_NAMES)[number];

export interface SamplerOptions {
  /** Noise weight: ddim (default 0, range [0, 1]) and euler-a (default 1); others ignore it. */
  readonly eta?: number;
  /** dpmpp-2m and unipc: lower order over the last steps (default true). */
  readonly lowerOrderFinal?: boolean;
  /** unipc: highest order (default 2), lms: order (default 4). */
  readonly order?: number;
  /** unipc: bh2 (default) or bh1. */
  readonly solverType?: 'bh1' | 'bh2';
  /** unipc: step indices without the corrector. */
  readonly disableCorrector?: readonly number[];
  /** lcm: the boundary condition's timestep_scaling (default 10). */
  readonly timestepScaling?: number;
  /** The schedule's fractional timestep of a σ: where dpmpp-sde evaluates its midpoints. */
  readonly timestepOf?: (sigma: number) => number;
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
    case 'heun':
      return heunStep();
    case 'dpmpp-sde':
      return dpmSolverSdeStep({ timestepOf: options.timestepOf });
    case 'unipc':
      return uniPcStep(options);
    case 'lms':
      return lmsStep(options.order);
    case 'lcm':
      return lcmStep(options);
    default:
      throw new InvalidOptionError(`unknown sampler "${name}"; valid: ${SAMPLER_NAMES.join(', ')}`);
  }
}
