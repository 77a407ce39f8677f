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
import { isObject, readBoolean, readEnum, readInteger, readNumber, type Json } from './read.js';
import { checkClassKeys, CLASS_KEYS } from './settings.js';

export type BetaSchedule = 'linear' | 'scaled_linear' | 'squaredcos_cap_v2';
export type PredictionType = 'epsilon' | 'v_prediction' | 'sample';

/**
 * The training schedule of a scheduler config (camelCase here), shared by every scheduler
 * class with the same defaults, plus the config as given: each class reads its own further
 * keys from `keys` with its own defaults (schedules/settings.ts), as diffusers' classes do
 * (timestep_spacing defaults to leading for DDIM but linspace for Euler, say).
 */
export interface ScheduleConfig {
  readonly numTrainTimesteps: number;
  readonly betaStart: number;
  readonly betaEnd: number;
  readonly betaSchedule: BetaSchedule;
  /** Explicit betas (length numTrainTimesteps); overrides betaSchedule when present. */
  readonly trainedBetas: readonly number[] | null;
  readonly stepsOffset: number;
  /** What the network predicts; read by denoiser adapters and the steps. */
  readonly predictionType: PredictionType;
  /** Lin et al. 2023 (arXiv 2305.08891, Alg. 1): rescale so that ᾱ_{T−1} = 0. */
  readonly rescaleBetasZeroSnr: boolean;
  /** `_class_name`: the diffusers scheduler class the config was written for (null: none). */
  readonly className: string | null;
  /** Every key as given (frozen); the class-specific ones are read by schedules/settings.ts. */
  readonly keys: Readonly<Record<string, unknown>>;
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

/** Keys that `parseSchedulerConfig` reads: the training schedule, the same for every class. */
export const PARSED_KEYS: ReadonlySet<string> = new Set([
  'num_train_timesteps',
  'beta_start',
  'beta_end',
  'beta_schedule',
  'trained_betas',
  'steps_offset',
  'prediction_type',
  'rescale_betas_zero_snr',
]);

/** Bookkeeping keys diffusers writes; they do not change sampling. */
const BOOKKEEPING_KEYS = new Set(['_class_name', '_diffusers_version', '_use_default_values']);

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
    if (!PARSED_KEYS.has(key) && !BOOKKEEPING_KEYS.has(key) && !CLASS_KEYS.has(key)) {
      warn(`scheduler config: unknown key "${key}" ignored`);
    }
  }
  checkClassKeys(json);
  const className = json._class_name;
  if (className !== undefined && className !== null && typeof className !== 'string') {
    throw new ConfigError(
      `scheduler config: _class_name must be a string, got ${JSON.stringify(className)}`,
    );
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
    stepsOffset: readInteger(json, 'steps_offset', 0, 0),
    predictionType: readEnum(
      json,
      'prediction_type',
      ['epsilon', 'v_prediction', 'sample'] as const,
      'epsilon',
    ),
    rescaleBetasZeroSnr: readBoolean(json, 'rescale_betas_zero_snr', false),
    className: typeof className === 'string' ? className : null,
    keys: Object.freeze({ ...json }),
  };
  return Object.freeze(cfg);
}

/** The config as diffusers' scheduler_config.json keys: every key as given, training schedule resolved. */
export function schedulerConfigJson(cfg: ScheduleConfig): Record<string, unknown> {
  return {
    ...cfg.keys,
    num_train_timesteps: cfg.numTrainTimesteps,
    beta_start: cfg.betaStart,
    beta_end: cfg.betaEnd,
    beta_schedule: cfg.betaSchedule,
    trained_betas: cfg.trainedBetas ? [...cfg.trainedBetas] : null,
    steps_offset: cfg.stepsOffset,
    prediction_type: cfg.predictionType,
    rescale_betas_zero_snr: cfg.rescaleBetasZeroSnr,
  };
}

/** The same config with some keys replaced (a sampler name's keys, e.g. use_karras_sigmas). */
export function withKeys(
  cfg: ScheduleConfig,
  keys: Readonly<Record<string, unknown>>,
  opts: ParseOptions = {},
): ScheduleConfig {
  if (Object.keys(keys).length === 0) return cfg;
  return parseSchedulerConfig({ ...cfg.keys, ...keys }, { warn: () => {}, ...opts });
}

/** Parsed SD1.5 schedule. */
export const SD15_SCHEDULE: ScheduleConfig = parseSchedulerConfig(SD15_SCHEDULER_CONFIG);
