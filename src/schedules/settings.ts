/**
 * The scheduler_config.json keys a diffusers scheduler class reads beyond the training
 * schedule, with that class's defaults: each class reads only its own keys (a key it does
 * not read is ignored by it, as in diffusers), and a value the project does not implement is
 * a ConfigError naming the key and the class, never a silent difference.
 */
import { ConfigError } from '../core/errors.js';
import type { ScheduleConfig } from './config.js';
import { readBoolean, readEnum, readNumber, type Json } from './read.js';

export type TimestepSpacing = 'leading' | 'trailing' | 'linspace';
export type DdpmVariance = 'fixed_small' | 'fixed_small_log' | 'fixed_large';
export type FinalSigmas = 'zero' | 'sigma_min';

/** Every class-specific setting a supported class reads (camelCase of the diffusers key). */
export interface SchedulerSettings {
  readonly timestepSpacing: TimestepSpacing;
  /** DDIM: the final level's ᾱ is 1 (true) or ᾱ_0. */
  readonly setAlphaToOne: boolean;
  readonly clipSample: boolean;
  readonly clipSampleRange: number;
  /** Dynamic thresholding of x̂0 (Imagen): per-sample quantile `dynamicThresholdingRatio` of |x̂0|, clamped to [1, sampleMaxValue]. */
  readonly thresholding: boolean;
  readonly dynamicThresholdingRatio: number;
  readonly sampleMaxValue: number;
  readonly varianceType: DdpmVariance;
  readonly useKarrasSigmas: boolean;
  readonly sigmaMin: number | null;
  readonly sigmaMax: number | null;
  readonly interpolationType: 'linear' | 'log_linear';
  readonly finalSigmasType: FinalSigmas;
  readonly solverOrder: number;
  readonly solverType: 'midpoint' | 'heun';
  readonly algorithmType: 'dpmsolver++' | 'sde-dpmsolver++';
  readonly lowerOrderFinal: boolean;
  readonly eulerAtFinal: boolean;
  /** DPM-Solver: timesteps whose λ is below this are cut from the top of the schedule. */
  readonly lambdaMinClipped: number;
  /** UniPC's B(h): bh1 or bh2. */
  readonly uniPcSolverType: 'bh1' | 'bh2';
  /** UniPC: step indices without the corrector. */
  readonly disableCorrector: readonly number[];
  /** LCM: the distillation's step count, whose skip grid the timesteps are taken from. */
  readonly originalInferenceSteps: number;
  /** LCM: the boundary condition's timestep scaling. */
  readonly timestepScaling: number;
}

/** Values for keys a class does not read: they switch nothing on. */
const NEUTRAL: SchedulerSettings = {
  timestepSpacing: 'leading',
  setAlphaToOne: true,
  clipSample: false,
  clipSampleRange: 1,
  thresholding: false,
  dynamicThresholdingRatio: 0.995,
  sampleMaxValue: 1,
  varianceType: 'fixed_small',
  useKarrasSigmas: false,
  sigmaMin: null,
  sigmaMax: null,
  interpolationType: 'linear',
  finalSigmasType: 'zero',
  solverOrder: 2,
  solverType: 'midpoint',
  algorithmType: 'dpmsolver++',
  lowerOrderFinal: true,
  eulerAtFinal: false,
  lambdaMinClipped: -Infinity,
  uniPcSolverType: 'bh2',
  disableCorrector: [],
  originalInferenceSteps: 50,
  timestepScaling: 10,
};

type Field = keyof SchedulerSettings;
/** How one key is read: into a settings field, or only checked (a value we refuse). */
interface KeySpec {
  readonly field?: Field;
  read(o: Json, key: string, def: unknown, cls: string): unknown;
}

function unsupported(cls: string, key: string, v: unknown, supported: string): ConfigError {
  return new ConfigError(
    `scheduler config: ${key} = ${JSON.stringify(v)} is not supported for ${cls} (supported: ${supported})`,
  );
}

const flag = (field: Field): KeySpec => ({
  field,
  read: (o, key, def) => readBoolean(o, key, def as boolean),
});

function number(field: Field, ok: (v: number) => boolean, range: string): KeySpec {
  return {
    field,
    read(o, key, def) {
      const v = readNumber(o, key, def as number);
      if (!ok(v)) throw new ConfigError(`scheduler config: ${key} must be ${range}, got ${v}`);
      return v;
    },
  };
}

/** A positive number, or null/absent (diffusers writes null for unset optional values). */
const optionalPositive = (field: Field): KeySpec => ({
  field,
  read(o, key) {
    if (o[key] === undefined || o[key] === null) return null;
    const v = readNumber(o, key, NaN);
    if (!(v > 0)) throw new ConfigError(`scheduler config: ${key} must be > 0, got ${v}`);
    return v;
  },
});

/**
 * One of `supported`; the values diffusers also knows (`known`) are refused by name when a
 * class reads them (cls = PARSING: only the spelling is checked).
 */
function choice(field: Field | undefined, supported: readonly string[], known: readonly string[]) {
  return {
    field,
    read(o: Json, key: string, def: unknown, cls: string) {
      const v = readEnum(o, key, [...supported, ...known], def as string);
      if (cls !== PARSING && !supported.includes(v)) {
        throw unsupported(cls, key, v, supported.join(', '));
      }
      return v;
    },
  };
}

/** A switch we do not implement: absent, null or false is fine, anything else is refused. */
const refusedUnlessFalse: KeySpec = {
  read(o, key, _def, cls) {
    const v = o[key];
    if (cls === PARSING) return readBoolean(o, key, false);
    if (v !== undefined && v !== null && v !== false) throw unsupported(cls, key, v, 'false');
    return undefined;
  },
};

/** The class name under which keys are only checked for their spelling and type. */
const PARSING = '';

/** lambda_min_clipped: a number or −∞ (diffusers' default; Python's json writes -Infinity). */
const lambdaClip: KeySpec = {
  field: 'lambdaMinClipped',
  read(o, key) {
    const v = o[key];
    return v === undefined || v === null || v === -Infinity
      ? -Infinity
      : readNumber(o, key, -Infinity);
  },
};

/** A switch that must stay on (UniPC's predict_x0: the noise-prediction variant is not implemented). */
const refusedUnlessTrue: KeySpec = {
  read(o, key, _def, cls) {
    if (cls === PARSING) return readBoolean(o, key, true);
    if (o[key] !== undefined && o[key] !== true) throw unsupported(cls, key, o[key], 'true');
    return undefined;
  },
};

/** A key whose only supported value is null (or absent). */
function refusedUnlessNull(supported: string): KeySpec {
  return {
    read(o, key, _def, cls) {
      const v = o[key];
      if (cls !== PARSING && v !== undefined && v !== null)
        throw unsupported(cls, key, v, supported);
      return undefined;
    },
  };
}

/** A list of step indices (UniPC's disable_corrector). */
function stepList(field: Field): KeySpec {
  return {
    field,
    read(o, key, def) {
      const v = o[key] ?? def ?? [];
      if (!Array.isArray(v) || !v.every((i) => Number.isInteger(i) && i >= 0 && i <= 1000)) {
        throw new ConfigError(
          `scheduler config: ${key} must be a list of step indices in [0, 1000], got ${JSON.stringify(v)}`,
        );
      }
      return v as number[];
    },
  };
}

/** DPM-Solver's orders (3 is UniPC's only). */
const DPM_ORDER = number(
  'solverOrder',
  (v) => v === 1 || v === 2,
  '1 or 2 for DPMSolverMultistepScheduler (order 3 is not implemented)',
);
/** DPM-Solver's solver types; diffusers maps logrho, bh1, bh2 to midpoint, which is not done here. */
const DPM_SOLVER_TYPE = choice('solverType', ['midpoint', 'heun'], ['logrho', 'bh1', 'bh2']);
/** UniPC's: bh1 or bh2; diffusers maps midpoint, heun and logrho to bh2, and so do we. */
const UNIPC_SOLVER_TYPE: KeySpec = {
  field: 'uniPcSolverType',
  read(o, key, def) {
    const v = readEnum(o, key, ['bh1', 'bh2', 'midpoint', 'heun', 'logrho'], def as string);
    return v === 'bh1' ? 'bh1' : 'bh2';
  },
};

/** Every class-specific key of the supported classes. */
const KEYS: Readonly<Record<string, KeySpec>> = {
  timestep_spacing: choice('timestepSpacing', ['leading', 'trailing', 'linspace'], []),
  set_alpha_to_one: flag('setAlphaToOne'),
  clip_sample: flag('clipSample'),
  clip_sample_range: number('clipSampleRange', (v) => v > 0, '> 0'),
  thresholding: flag('thresholding'),
  dynamic_thresholding_ratio: number(
    'dynamicThresholdingRatio',
    (v) => v > 0 && v <= 1,
    'in (0, 1]',
  ),
  sample_max_value: number('sampleMaxValue', (v) => v >= 1, '≥ 1'),
  use_karras_sigmas: flag('useKarrasSigmas'),
  sigma_min: optionalPositive('sigmaMin'),
  sigma_max: optionalPositive('sigmaMax'),
  interpolation_type: choice('interpolationType', ['linear', 'log_linear'], []),
  final_sigmas_type: choice('finalSigmasType', ['zero', 'sigma_min'], []),
  solver_order: number('solverOrder', (v) => v === 1 || v === 2 || v === 3, '1, 2 or 3'),
  solver_type: choice('solverType', ['midpoint', 'heun'], ['logrho', 'bh1', 'bh2']),
  algorithm_type: choice(
    'algorithmType',
    ['dpmsolver++', 'sde-dpmsolver++'],
    ['dpmsolver', 'sde-dpmsolver', 'deis'],
  ),
  lower_order_final: flag('lowerOrderFinal'),
  euler_at_final: flag('eulerAtFinal'),
  lambda_min_clipped: lambdaClip,
  timestep_type: choice(undefined, ['discrete'], ['continuous']),
  use_exponential_sigmas: refusedUnlessFalse,
  use_beta_sigmas: refusedUnlessFalse,
  use_flow_sigmas: refusedUnlessFalse,
  use_lu_lambdas: refusedUnlessFalse,
  use_dynamic_shifting: refusedUnlessFalse,
  predict_x0: refusedUnlessTrue,
  solver_p: refusedUnlessNull('null (the corrector pairs with UniP)'),
  disable_corrector: stepList('disableCorrector'),
  noise_sampler_seed: refusedUnlessNull('null (the noise comes from the run’s seed)'),
  original_inference_steps: number(
    'originalInferenceSteps',
    (v) => Number.isInteger(v) && v >= 1 && v <= 1000,
    'an integer in [1, 1000]',
  ),
  timestep_scaling: number('timestepScaling', (v) => v > 0 && v <= 1e6, 'in (0, 1e6]'),
};

/** variance_type means different things per class, so each reads it its own way. */
const DDPM_VARIANCE = choice(
  'varianceType',
  ['fixed_small', 'fixed_small_log', 'fixed_large'],
  ['fixed_large_log', 'learned', 'learned_range'],
);
/** DPM-Solver: null (the network gives ε only); learned variances are refused. */
const DPM_VARIANCE: KeySpec = {
  read(o, key, _def, cls) {
    if (o[key] === undefined || o[key] === null) return undefined;
    throw unsupported(cls, key, o[key], 'null');
  },
};

/**
 * Type and spelling of every class key present, at parse time (whichever class reads them
 * later): a misspelt value is an error even when the class chosen would not read it.
 */
export function checkClassKeys(o: Json): void {
  for (const [key, spec] of Object.entries(KEYS)) {
    if (o[key] !== undefined) spec.read(o, key, undefined, PARSING);
  }
  if (o.variance_type !== undefined && o.variance_type !== null) {
    DDPM_VARIANCE.read(o, 'variance_type', undefined, PARSING);
  }
  const min = o.sigma_min;
  const max = o.sigma_max;
  if (typeof min === 'number' && typeof max === 'number' && !(max > min)) {
    throw new ConfigError(`scheduler config: sigma_max (${max}) must exceed sigma_min (${min})`);
  }
}

interface ClassReads {
  /** key → this class's default (undefined for keys only checked). */
  readonly defaults: Readonly<Record<string, unknown>>;
  /** Keys this class reads with a meaning of its own. */
  readonly own?: Readonly<Record<string, KeySpec>>;
}

const THRESHOLDING = {
  thresholding: false,
  dynamic_thresholding_ratio: 0.995,
  sample_max_value: 1,
};
const CLIPPING = { clip_sample: true, clip_sample_range: 1 };
const OTHER_SIGMAS = { use_exponential_sigmas: false, use_beta_sigmas: false };

/** What each supported diffusers class reads, with its defaults (its `__init__` signature). */
const CLASS_READS: Readonly<Record<string, ClassReads>> = {
  DDIMScheduler: {
    defaults: { timestep_spacing: 'leading', set_alpha_to_one: true, ...CLIPPING, ...THRESHOLDING },
  },
  DDPMScheduler: {
    defaults: {
      timestep_spacing: 'leading',
      variance_type: 'fixed_small',
      ...CLIPPING,
      ...THRESHOLDING,
    },
    own: { variance_type: DDPM_VARIANCE },
  },
  EulerDiscreteScheduler: {
    defaults: {
      timestep_spacing: 'linspace',
      interpolation_type: 'linear',
      use_karras_sigmas: false,
      sigma_min: null,
      sigma_max: null,
      timestep_type: 'discrete',
      final_sigmas_type: 'zero',
      ...OTHER_SIGMAS,
    },
  },
  EulerAncestralDiscreteScheduler: { defaults: { timestep_spacing: 'linspace' } },
  DPMSolverMultistepScheduler: {
    defaults: {
      timestep_spacing: 'linspace',
      solver_order: 2,
      ...THRESHOLDING,
      algorithm_type: 'dpmsolver++',
      solver_type: 'midpoint',
      lower_order_final: true,
      euler_at_final: false,
      use_karras_sigmas: false,
      final_sigmas_type: 'zero',
      lambda_min_clipped: -Infinity,
      variance_type: null,
      use_lu_lambdas: false,
      use_flow_sigmas: false,
      use_dynamic_shifting: false,
      ...OTHER_SIGMAS,
    },
    own: { variance_type: DPM_VARIANCE, solver_order: DPM_ORDER, solver_type: DPM_SOLVER_TYPE },
  },
  HeunDiscreteScheduler: {
    defaults: {
      timestep_spacing: 'linspace',
      use_karras_sigmas: false,
      clip_sample: false,
      clip_sample_range: 1,
      ...OTHER_SIGMAS,
    },
  },
  DPMSolverSDEScheduler: {
    defaults: {
      timestep_spacing: 'linspace',
      use_karras_sigmas: false,
      noise_sampler_seed: null,
      ...OTHER_SIGMAS,
    },
  },
  LMSDiscreteScheduler: {
    defaults: { timestep_spacing: 'linspace', use_karras_sigmas: false, ...OTHER_SIGMAS },
  },
  UniPCMultistepScheduler: {
    defaults: {
      timestep_spacing: 'linspace',
      solver_order: 2,
      ...THRESHOLDING,
      predict_x0: true,
      solver_type: 'bh2',
      lower_order_final: true,
      disable_corrector: [],
      solver_p: null,
      use_karras_sigmas: false,
      sigma_min: null,
      sigma_max: null,
      final_sigmas_type: 'zero',
      use_flow_sigmas: false,
      use_dynamic_shifting: false,
      ...OTHER_SIGMAS,
    },
    own: { solver_type: UNIPC_SOLVER_TYPE },
  },
  LCMScheduler: {
    defaults: {
      timestep_spacing: 'leading',
      original_inference_steps: 50,
      clip_sample: false,
      clip_sample_range: 1,
      set_alpha_to_one: true,
      ...THRESHOLDING,
      timestep_scaling: 10,
    },
  },
};

/**
 * Keys read by diffusers classes the project does not implement (PNDM's, flow matching's):
 * a config written for them parses without an "unknown key" warning; the class chosen
 * decides what is read.
 */
const OTHER_CLASS_KEYS = ['skip_prk_steps', 'flow_shift', 'time_shift_type'];

/** Every key some scheduler class reads (config.ts warns about the others). */
export const CLASS_KEYS: ReadonlySet<string> = new Set([
  ...Object.keys(KEYS),
  'variance_type',
  ...OTHER_CLASS_KEYS,
]);

/** The classes whose keys this module knows. */
export function knowsClass(className: string): boolean {
  return className in CLASS_READS;
}

/** The keys `className` reads beyond the training schedule (sidecar, docs). */
export function keysReadBy(className: string): string[] {
  return Object.keys(CLASS_READS[className]?.defaults ?? {});
}

/**
 * The settings `className` runs with: its defaults, overridden by the keys given that it
 * reads; every other key is ignored by it. A value it reads but the project does not
 * implement is a ConfigError.
 */
export function schedulerSettings(cfg: ScheduleConfig, className: string): SchedulerSettings {
  const reads = CLASS_READS[className];
  if (!reads) throw new ConfigError(`no scheduler settings for class ${className}`);
  const out: Record<string, unknown> = { ...NEUTRAL };
  const given = cfg.keys as Json;
  for (const [key, def] of Object.entries(reads.defaults)) {
    const spec = reads.own?.[key] ?? KEYS[key];
    const v = spec.read(given, key, def, className);
    if (spec.field) out[spec.field] = v;
  }
  return out as unknown as SchedulerSettings;
}

/** The resolved value of every key `className` reads (the sidecar's record of what ran). */
export function resolvedKeys(cfg: ScheduleConfig, className: string): Record<string, unknown> {
  const s = schedulerSettings(cfg, className);
  const reads = CLASS_READS[className];
  const out: Record<string, unknown> = {};
  for (const [key, def] of Object.entries(reads.defaults)) {
    const spec = reads.own?.[key] ?? KEYS[key];
    const v = spec.field ? s[spec.field] : (cfg.keys[key] ?? def);
    out[key] = v === -Infinity ? null : v;
  }
  return out;
}
