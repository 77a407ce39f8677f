/**
 * The sampler registry: one entry per diffusers scheduler class the project reproduces, each
 * with its own plan (the class's set_timesteps: which levels an N-step run visits) and its
 * step (the class's step, reading the class's keys from the config). Names users type
 * (project, diffusers, ComfyUI) are resolved to an entry plus config keys in names.ts.
 */
import { InvalidOptionError } from '../core/errors.js';
import type { SamplerStep } from '../core/step.js';
import { withKeys, type ScheduleConfig } from '../schedules/config.js';
import { schedulePlan, type SchedulePlan } from '../schedules/plan.js';
import { timestepOfSigma } from '../schedules/discrete.js';
import {
  ddimPlan,
  ddpmPlan,
  dpmSdePlan,
  dpmSolverPlan,
  eulerAncestralPlan,
  eulerPlan,
  heunPlan,
  lcmPlan,
  lmsPlan,
  uniPcPlan,
  type LevelPlan,
} from '../schedules/plans.js';
import { resolvedKeys, schedulerSettings } from '../schedules/settings.js';
import { ddimStep, NO_X0_PROCESSING } from './ddim.js';
import { ddpmStep } from './ddpm.js';
import { dpmSolverStep } from './dpmSolver.js';
import { dpmSolverSdeStep } from './dpmSolverSde.js';
import { eulerStep } from './euler.js';
import { eulerAncestralStep } from './eulerAncestral.js';
import { heunStep } from './heun.js';
import { lcmStep } from './lcm.js';
import { lmsStep } from './lms.js';
import { uniPcStep } from './uniPc.js';

export interface SamplerOptions {
  /** Noise weight: ddim (default 0, range [0, 1]) and euler-a (default 1); others ignore it. */
  readonly eta?: number;
}

/** How a step is made for one run: the config (class keys read from it) and the run's step count. */
export interface StepRequest {
  readonly config: ScheduleConfig;
  /** Steps of the run: DPM-Solver's last-step order depends on it (N < 15). */
  readonly steps: number;
  readonly options: SamplerOptions;
}

/** One sampler: a diffusers scheduler class's plan and step. */
export interface SamplerDefinition {
  /** The project name (`--sampler`). */
  readonly name: string;
  /** The diffusers class it reproduces step for step; its keys are read with its defaults. */
  readonly className: string;
  readonly description: string;
  /** The class's set_timesteps. */
  readonly plan: LevelPlan;
  /** The class's step. */
  create(request: StepRequest): SamplerStep;
}

export const SAMPLERS: readonly SamplerDefinition[] = [
  {
    name: 'ddim',
    className: 'DDIMScheduler',
    description: 'DDIM (η = 0 deterministic; --eta up to 1)',
    plan: ddimPlan,
    create: ({ config, options }) => ddimStep(options.eta ?? 0, config),
  },
  {
    name: 'ddpm',
    className: 'DDPMScheduler',
    description: 'DDPM ancestral sampling (posterior draws)',
    plan: ddpmPlan,
    create: ({ config }) => ddpmStep(config),
  },
  {
    name: 'euler',
    className: 'EulerDiscreteScheduler',
    description: 'Euler on the probability-flow ODE',
    plan: eulerPlan,
    create: ({ config }) => eulerStep(config),
  },
  {
    name: 'euler-a',
    className: 'EulerAncestralDiscreteScheduler',
    description: 'Euler ancestral (η = 1 unless --eta)',
    plan: eulerAncestralPlan,
    create: ({ config, options }) => eulerAncestralStep(options.eta ?? 1, config),
  },
  {
    name: 'dpmpp-2m',
    className: 'DPMSolverMultistepScheduler',
    description: 'DPM-Solver++ multistep (2M; 2M SDE with algorithm_type sde-dpmsolver++)',
    plan: dpmSolverPlan,
    create: ({ config, steps }) => dpmSolverStep(config, steps),
  },
  {
    name: 'heun',
    className: 'HeunDiscreteScheduler',
    description: 'Heun (2nd order, 2 evaluations per step; 1 into σ = 0)',
    plan: heunPlan,
    create: ({ config }) => heunStep(config),
  },
  {
    name: 'dpmpp-sde',
    className: 'DPMSolverSDEScheduler',
    description: 'DPM++ SDE (2 evaluations per step: midpoint in log σ; per-item noise)',
    plan: dpmSdePlan,
    create: ({ config }) => {
      schedulerSettings(config, 'DPMSolverSDEScheduler');
      return dpmSolverSdeStep((sigma) => timestepOfSigma(config, sigma));
    },
  },
  {
    name: 'unipc',
    className: 'UniPCMultistepScheduler',
    description: 'UniPC predictor-corrector (bh2, order 2; solver_order up to 3)',
    plan: uniPcPlan,
    create: ({ config, steps }) => {
      const s = schedulerSettings(config, 'UniPCMultistepScheduler');
      return uniPcStep({
        order: s.solverOrder,
        solverType: s.uniPcSolverType,
        lowerOrderFinal: s.lowerOrderFinal,
        disableCorrector: s.disableCorrector,
        steps,
        x0Processing: { ...NO_X0_PROCESSING, ...s, clipSample: false },
      });
    },
  },
  {
    name: 'lms',
    className: 'LMSDiscreteScheduler',
    description: 'linear multistep (order 4)',
    plan: lmsPlan,
    create: ({ config }) => {
      schedulerSettings(config, 'LMSDiscreteScheduler');
      return lmsStep();
    },
  },
  {
    name: 'lcm',
    className: 'LCMScheduler',
    description: 'latent consistency (LCM/Turbo models; fresh noise every step)',
    plan: lcmPlan,
    create: ({ config }) => {
      const s = schedulerSettings(config, 'LCMScheduler');
      return lcmStep({
        timestepScaling: s.timestepScaling,
        x0Processing: { ...NO_X0_PROCESSING, ...s },
      });
    },
  },
];

export function samplerDefinition(name: string): SamplerDefinition | undefined {
  return SAMPLERS.find((d) => d.name === name);
}

/** The entry reproducing a diffusers class, if any. */
export function samplerForClass(className: string): SamplerDefinition | undefined {
  return SAMPLERS.find((d) => d.className === className);
}

/** A sampler ready for a schedule: the class's plan on it, and its step for any run length. */
export interface ResolvedSampler {
  /** What was asked for (or chosen by default), e.g. "dpmpp_2m:karras". */
  readonly name: string;
  readonly definition: SamplerDefinition;
  /** The schedule with the name's keys applied. */
  readonly config: ScheduleConfig;
  readonly schedule: SchedulePlan;
  /** The step of a run of `steps` steps. */
  step(steps: number): SamplerStep;
  /** What ran, for the sidecar: name, class and every key the class read, resolved. */
  record(): SamplerRecord;
}

export interface SamplerRecord {
  readonly name: string;
  readonly sampler: string;
  readonly className: string;
  readonly keys: Record<string, unknown>;
}

export function resolveDefinition(
  name: string,
  definition: SamplerDefinition,
  keys: Readonly<Record<string, unknown>>,
  schedule: ScheduleConfig,
  options: SamplerOptions = {},
): ResolvedSampler {
  const config = withKeys(schedule, keys);
  // Check the keys (and options) now, before any work.
  definition.create({ config, steps: 1, options });
  return {
    name,
    definition,
    config,
    schedule: schedulePlan(config, definition.plan),
    step: (steps) => definition.create({ config, steps, options }),
    record: () => ({
      name,
      sampler: definition.name,
      className: definition.className,
      keys: resolvedKeys(config, definition.className),
    }),
  };
}

export function unknownSampler(name: string, valid: readonly string[]): InvalidOptionError {
  return new InvalidOptionError(`unknown sampler "${name}"; valid: ${valid.join(', ')}`);
}
