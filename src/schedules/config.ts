/**
 * Noise schedules read from a diffusers `scheduler_config.json`, with its keys unchanged,
 * so a model folder exported for diffusers works as it is.
 *
 * Conventions (see `samplingLevels` in spacing.ts):
 * - Every schedule scalar is float64. diffusers builds betas and ᾱ in float32, so its values
 *   differ from ours by about 1e-7 relative; the timesteps are identical.
 * - A sampling schedule of N steps is N + 1 levels: the N network timesteps, noisiest first,
 *   then a final level with timestep −1 (`FINAL_TIMESTEP`). The network is never evaluated
 *   at the final level, and −1 is what diffusers' DDIM computes there (a negative "previous
 *   timestep" selects `final_alpha_cumprod`).
 */
import { ConfigError } from '../core/errors.js';

export type BetaSchedule = 'linear' | 'scaled_linear' | 'squaredcos_cap_v2';
export type TimestepSpacing = 'leading' | 'trailing' | 'linspace';
export type PredictionType = 'epsilon' | 'v_prediction' | 'sample';

/** A parsed scheduler config (camelCase here; `schedulerConfigJson` writes diffusers' keys). */
export interface ScheduleConfig {
  readonly numTrainTimesteps: number;
  readonly betaStart: number;
  readonly betaEnd: number;
  readonly betaSchedule: BetaSchedule;
  /** Explicit betas (length numTrainTimesteps); overrides betaSchedule when present. */
  readonly trainedBetas: readonly number[] | null;
  readonly timestepSpacing: TimestepSpacing;
  readonly stepsOffset: number;
  /** What the network predicts; read by denoiser adapters, not by the schedule. */
  readonly predictionType: PredictionType;
  /** Final level's ᾱ: 1 if true, else ᾱ_0 (diffusers DDIM `final_alpha_cumprod`). */
  readonly setAlphaToOne: boolean;
  /** Lin et al. 2023 (arXiv 2305.08891, Alg. 1): rescale so that ᾱ_{T−1} = 0. */
  readonly rescaleBetasZeroSnr: boolean;
  /** Karras et al. 2022 σ spacing (ρ = 7), as diffusers' Euler/DPM schedulers. */
  readonly useKarrasSigmas: boolean;
  /** Optional Karras σ range overrides (diffusers `sigma_min` / `sigma_max`). */
  readonly sigmaMin: number | null;
  readonly sigmaMax: number | null;
}

export interface ParseOptions {
  /** Receives one message per unknown key. Default: console.warn (stderr). */
  readonly warn?: (message: string) => void;
}

/** Timestep of the final level of every sampling schedule (never given to the network). */
export const FINAL_TIMESTEP = -1;

/** Stable Diffusion 1.5's scheduler_config.json (runwayml), with the implied defaults spelt out. */
export const SD15_SCHEDULER_CONFIG: Readonly<Record<string, unknown>> = Object.freeze({
  _class_name: 'PNDMScheduler',
  beta_end: 0.012,
  beta_schedule: 'scaled_linear',
  beta_start: 0.00085,
  clip_sample: false,
  num_train_timesteps: 1000,
  prediction_type: 'epsilon',
  set_alpha_to_one: false,
  skip_prk_steps: true,
  steps_offset: 1,
  timestep_spacing: 'leading',
  trained_betas: null,
});

/** Keys that `parseSchedulerConfig` reads. */
const PARSED_KEYS = new Set([
  'num_train_timesteps',
  'beta_start',
  'beta_end',
  'beta_schedule',
  'trained_betas',
  'timestep_spacing',
  'steps_offset',
  'prediction_type',
  'set_alpha_to_one',
  'rescale_betas_zero_snr',
  'use_karras_sigmas',
  'sigma_min',
  'sigma_max',
]);

/**
 * Keys of diffusers scheduler configs that we accept without acting on them: they belong to
 * other schedulers, to guidance (thresholding lives in guidance/), or to bookkeeping.
 */
const IGNORED_KEYS = new Set([
  '_class_name',
  '_diffusers_version',
  '_use_default_values',
  'clip_sample',
  'clip_sample_range',
  'skip_prk_steps',
  'variance_type',
  'thresholding',
  'dynamic_thresholding_ratio',
  'sample_max_value',
  'timestep_type',
  'interpolation_type',
  'final_sigmas_type',
  'solver_order',
  'solver_type',
  'algorithm_type',
  'lower_order_final',
  'euler_at_final',
  'lambda_min_clipped',
  'use_lu_lambdas',
  'use_exponential_sigmas',
  'use_beta_sigmas',
  'use_flow_sigmas',
  'flow_shift',
]);

/** Accepted, but they would change the σ's; we say so rather than sample differently silently. */
const UNSUPPORTED_FLAGS = ['use_exponential_sigmas', 'use_beta_sigmas', 'use_flow_sigmas'];

type Json = Record<string, unknown>;

function isObject(v: unknown): v is Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function readNumber(o: Json, key: string, def: number): number {
  const v = o[key];
  if (v === undefined) return def;
  if (typeof v !== 'number' || !Number.isFinite(v)) {
    throw new ConfigError(
      `scheduler config: ${key} must be a finite number, got ${JSON.stringify(v)}`,
    );
  }
  return v;
}

function readInteger(o: Json, key: string, def: number, min: number): number {
  const v = readNumber(o, key, def);
  if (!Number.isInteger(v) || v < min) {
    throw new ConfigError(`scheduler config: ${key} must be an integer ≥ ${min}, got ${v}`);
  }
  return v;
}

function readBoolean(o: Json, key: string, def: boolean): boolean {
  const v = o[key];
  if (v === undefined) return def;
  if (typeof v !== 'boolean') {
    throw new ConfigError(
      `scheduler config: ${key} must be true or false, got ${JSON.stringify(v)}`,
    );
  }
  return v;
}

function readEnum<T extends string>(o: Json, key: string, allowed: readonly T[], def: T): T {
  const v = o[key];
  if (v === undefined) return def;
  if (typeof v !== 'string' || !(allowed as readonly string[]).includes(v)) {
    throw new ConfigError(
      `scheduler config: ${key} must be one of ${allowed.join(', ')}, got ${JSON.stringify(v)}`,
    );
  }
  return v as T;
}

/** A positive number or null/absent (diffusers writes `null` for unset optional values). */
function readOptionalPositive(o: Json, key: string): number | null {
  if (o[key] === undefined || o[key] === null) return null;
  const v = readNumber(o, key, NaN);
  if (v <= 0) throw new ConfigError(`scheduler config: ${key} must be > 0, got ${v}`);
  return v;
}

function readTrainedBetas(o: Json, count: number | undefined): number[] | null {
  const v = o.trained_betas;
  if (v === undefined || v === null) return null;
  if (!Array.isArray(v)) throw new ConfigError('scheduler config: trained_betas must be an array');
  if (v.length === 0 || (count !== undefined && v.length !== count)) {
    throw new ConfigError(
      `scheduler config: trained_betas has ${v.length} values, num_train_timesteps is ${count ?? 'unset'}`,
    );
  }
  v.forEach((b: unknown, i) => {
    if (typeof b !== 'number' || !(b > 0 && b < 1)) {
      throw new ConfigError(
        `scheduler config: trained_betas[${i}] must be in (0, 1), got ${JSON.stringify(b)}`,
      );
    }
  });
  return v as number[];
}

/**
 * Parse a diffusers scheduler_config.json object. Known keys that do not affect sampling are
 * accepted silently, unknown ones are reported through `warn`; invalid values throw a
 * ConfigError naming the key.
 */
/** num_train_timesteps above this is refused: the tables are allocated per timestep. */
export const MAX_TRAIN_TIMESTEPS = 100_000;

export function parseSchedulerConfig(json: unknown, opts: ParseOptions = {}): ScheduleConfig {
  if (!isObject(json)) throw new ConfigError('scheduler config must be a JSON object');
  const warn = opts.warn ?? ((m: string) => console.warn(m));
  for (const key of Object.keys(json)) {
    if (!PARSED_KEYS.has(key) && !IGNORED_KEYS.has(key)) {
      warn(`scheduler config: unknown key "${key}" ignored`);
    }
  }
  for (const key of UNSUPPORTED_FLAGS) {
    if (json[key] === true) warn(`scheduler config: ${key} is not supported and is ignored`);
  }

  // With trained_betas and no num_train_timesteps, the betas give the count.
  const countGiven = json.num_train_timesteps !== undefined;
  const declared = readInteger(json, 'num_train_timesteps', 1000, 1);
  if (declared > MAX_TRAIN_TIMESTEPS) {
    throw new ConfigError(
      `scheduler config: num_train_timesteps must be at most ${MAX_TRAIN_TIMESTEPS}, got ${declared}`,
    );
  }
  const trainedBetas = readTrainedBetas(json, countGiven ? declared : undefined);
  const numTrainTimesteps = trainedBetas && !countGiven ? trainedBetas.length : declared;

  const betaStart = readNumber(json, 'beta_start', 0.0001);
  const betaEnd = readNumber(json, 'beta_end', 0.02);
  if (!(betaStart > 0 && betaStart < 1)) {
    throw new ConfigError(`scheduler config: beta_start must be in (0, 1), got ${betaStart}`);
  }
  if (!(betaEnd > betaStart && betaEnd < 1)) {
    throw new ConfigError(
      `scheduler config: beta_end must be in (beta_start, 1) = (${betaStart}, 1), got ${betaEnd}`,
    );
  }

  const cfg: ScheduleConfig = {
    numTrainTimesteps,
    betaStart,
    betaEnd,
    betaSchedule: readEnum(
      json,
      'beta_schedule',
      ['linear', 'scaled_linear', 'squaredcos_cap_v2'] as const,
      'linear',
    ),
    trainedBetas: trainedBetas ? Object.freeze([...trainedBetas]) : null,
    timestepSpacing: readEnum(
      json,
      'timestep_spacing',
      ['leading', 'trailing', 'linspace'] as const,
      'leading',
    ),
    stepsOffset: readInteger(json, 'steps_offset', 0, 0),
    predictionType: readEnum(
      json,
      'prediction_type',
      ['epsilon', 'v_prediction', 'sample'] as const,
      'epsilon',
    ),
    setAlphaToOne: readBoolean(json, 'set_alpha_to_one', true),
    rescaleBetasZeroSnr: readBoolean(json, 'rescale_betas_zero_snr', false),
    useKarrasSigmas: readBoolean(json, 'use_karras_sigmas', false),
    sigmaMin: readOptionalPositive(json, 'sigma_min'),
    sigmaMax: readOptionalPositive(json, 'sigma_max'),
  };
  if (cfg.sigmaMin !== null && cfg.sigmaMax !== null && !(cfg.sigmaMax > cfg.sigmaMin)) {
    throw new ConfigError(
      `scheduler config: sigma_max (${cfg.sigmaMax}) must exceed sigma_min (${cfg.sigmaMin})`,
    );
  }
  return Object.freeze(cfg);
}

/** The config as diffusers' scheduler_config.json keys (what `parseSchedulerConfig` reads). */
export function schedulerConfigJson(cfg: ScheduleConfig): Record<string, unknown> {
  return {
    num_train_timesteps: cfg.numTrainTimesteps,
    beta_start: cfg.betaStart,
    beta_end: cfg.betaEnd,
    beta_schedule: cfg.betaSchedule,
    trained_betas: cfg.trainedBetas ? [...cfg.trainedBetas] : null,
    timestep_spacing: cfg.timestepSpacing,
    steps_offset: cfg.stepsOffset,
    prediction_type: cfg.predictionType,
    set_alpha_to_one: cfg.setAlphaToOne,
    rescale_betas_zero_snr: cfg.rescaleBetasZeroSnr,
    use_karras_sigmas: cfg.useKarrasSigmas,
    sigma_min: cfg.sigmaMin,
    sigma_max: cfg.sigmaMax,
  };
}

/** Parsed SD1.5 schedule. */
export const SD15_SCHEDULE: ScheduleConfig = parseSchedulerConfig(SD15_SCHEDULER_CONFIG);
