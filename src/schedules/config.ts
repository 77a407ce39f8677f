/**
 * Noise schedules read from a diffusers `scheduler_config.json`, with its keys unchanged,
 * so a model folder exported for diffusers works as it is.
 *
 * Conventions (see `samplingLevels`):
 * - Every schedule scalar is float64. diffusers builds betas and ᾱ in float32, so its values
 *   differ from ours by about 1e-7 relative; the timesteps are identical.
 * - A sampling schedule of N steps is N + 1 levels: the N network timesteps, noisiest first,
 *   then a final level with timestep −1 (`FINAL_TIMESTEP`). The network is never evaluated
 *   at the final level, and −1 is what diffusers' DDIM computes there (a negative "previous
 *   timestep" selects `final_alpha_cumprod`).
 */
import { ConfigError, InvalidOptionError } from '../errors.js';
import { levelFromSigma, noiseLevel, type NoiseLevel } from '../core/noiseLevel.js';

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

/** Karras ρ (EDM's default, hard-coded in diffusers). */
const KARRAS_RHO = 7;

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

/** `torch.linspace(start, end, n)[i]`. */
function linspaceAt(start: number, end: number, n: number, i: number): number {
  return n === 1 ? start : start + ((end - start) * i) / (n - 1);
}

/** The training betas β_0 … β_{T−1}. */
export function betas(cfg: ScheduleConfig): Float64Array {
  const T = cfg.numTrainTimesteps;
  const out = new Float64Array(T);
  if (cfg.trainedBetas) {
    out.set(cfg.trainedBetas);
  } else if (cfg.betaSchedule === 'linear') {
    for (let i = 0; i < T; i++) out[i] = linspaceAt(cfg.betaStart, cfg.betaEnd, T, i);
  } else if (cfg.betaSchedule === 'scaled_linear') {
    // Latent diffusion's schedule: linear in √β.
    const a = Math.sqrt(cfg.betaStart);
    const b = Math.sqrt(cfg.betaEnd);
    for (let i = 0; i < T; i++) out[i] = linspaceAt(a, b, T, i) ** 2;
  } else {
    // Nichol & Dhariwal 2021 cosine: ᾱ(u) = cos²((u + 0.008)/1.008 · π/2), β capped at 0.999.
    const f = (u: number) => Math.cos(((u + 0.008) / 1.008) * (Math.PI / 2)) ** 2;
    for (let i = 0; i < T; i++) out[i] = Math.min(1 - f((i + 1) / T) / f(i / T), 0.999);
  }
  return cfg.rescaleBetasZeroSnr ? rescaleZeroTerminalSnr(out) : out;
}

/**
 * Lin et al. 2023, Algorithm 1: shift and scale √ᾱ so that √ᾱ_{T−1} = 0 while √ᾱ_0 is kept,
 * then turn it back into betas. The last beta is exactly 1, so ᾱ_{T−1} is exactly 0.
 */
function rescaleZeroTerminalSnr(beta: Float64Array): Float64Array {
  const T = beta.length;
  const sqrtAb = new Float64Array(T);
  let prod = 1;
  for (let i = 0; i < T; i++) {
    prod *= 1 - beta[i];
    sqrtAb[i] = Math.sqrt(prod);
  }
  const first = sqrtAb[0];
  const last = sqrtAb[T - 1];
  const scale = first / (first - last);
  const out = new Float64Array(T);
  let prev = 1;
  for (let i = 0; i < T; i++) {
    const ab = ((sqrtAb[i] - last) * scale) ** 2;
    out[i] = 1 - ab / prev;
    prev = ab;
  }
  return out;
}

/** ᾱ_t = ∏_{i≤t} (1 − β_i), t = 0 … T−1. */
export function alphasCumprod(cfg: ScheduleConfig): Float64Array {
  const beta = betas(cfg);
  const out = new Float64Array(beta.length);
  let prod = 1;
  for (let i = 0; i < beta.length; i++) {
    prod *= 1 - beta[i];
    out[i] = prod;
  }
  return out;
}

/** numpy's round(): halves go to the even neighbour. */
function roundHalfEven(v: number): number {
  const r = Math.round(v);
  return Math.abs(v % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

function checkNumSteps(cfg: ScheduleConfig, numSteps: number): void {
  if (!Number.isInteger(numSteps) || numSteps < 1 || numSteps > cfg.numTrainTimesteps) {
    throw new InvalidOptionError(
      `number of steps must be an integer in [1, ${cfg.numTrainTimesteps}], got ${numSteps}`,
    );
  }
}

/**
 * The N network timesteps, decreasing, exactly as diffusers' DDIMScheduler.set_timesteps
 * computes them (numpy rounding included). One deviation: for `trailing`, numpy's
 * `arange(T, 0, −T/N)` sometimes has N + 1 entries by rounding (N = 61 for T = 1000), the
 * last one being −1; we keep the first N.
 */
export function samplingTimesteps(cfg: ScheduleConfig, numSteps: number): number[] {
  checkNumSteps(cfg, numSteps);
  const T = cfg.numTrainTimesteps;
  const N = numSteps;
  const ts: number[] = [];
  if (cfg.timestepSpacing === 'leading') {
    const ratio = Math.floor(T / N);
    for (let i = N - 1; i >= 0; i--) ts.push(i * ratio + cfg.stepsOffset);
  } else if (cfg.timestepSpacing === 'trailing') {
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
  if (ts[0] > T - 1) {
    throw new InvalidOptionError(
      `steps_offset ${cfg.stepsOffset} with ${N} leading steps reaches timestep ${ts[0]} > ${T - 1}`,
    );
  }
  for (let i = 1; i < N; i++) {
    if (!(ts[i] < ts[i - 1] && ts[i] >= 0)) {
      throw new InvalidOptionError(
        `${N} ${cfg.timestepSpacing} steps give timesteps that do not decrease`,
      );
    }
  }
  return ts;
}

/**
 * The sampling schedule: numSteps + 1 levels, levels[i] at the i-th network timestep
 * (noisiest first) and levels[numSteps] the final level (timestep −1; ᾱ = 1 if
 * set_alpha_to_one, else ᾱ_0). Each step goes to the next timestep of the list; diffusers'
 * DDIM uses t − T//N instead, which is the same for `leading` but can differ by one for
 * `trailing`/`linspace` (e.g. trailing, T = 1000, N = 3: 999 → 666 → 332 here, → 333 there).
 *
 * With use_karras_sigmas the levels are Karras σ's instead (see `karrasLevels`).
 */
export function samplingLevels(cfg: ScheduleConfig, numSteps: number): NoiseLevel[] {
  const ts = samplingTimesteps(cfg, numSteps);
  const ab = alphasCumprod(cfg);
  if (cfg.useKarrasSigmas) return karrasLevels(cfg, ts, ab);
  const levels = ts.map((t) => noiseLevel(t, ab[t]));
  levels.push(noiseLevel(FINAL_TIMESTEP, cfg.setAlphaToOne ? 1 : ab[0]));
  return levels;
}

/**
 * σ_t = √((1 − ᾱ_t)/ᾱ_t) on the training grid, for interpolation. With a zero terminal SNR
 * σ_{T−1} would be infinite; diffusers' Euler sets ᾱ_{T−1} = 2⁻²⁴ there, and so do we.
 */
function trainingSigmas(ab: Float64Array): Float64Array {
  return ab.map((v) => {
    const a = v > 0 ? v : 2 ** -24;
    return Math.sqrt((1 - a) / a);
  });
}

/**
 * diffusers `_sigma_to_t`: the fractional timestep whose log σ lies between two training
 * levels, by linear interpolation in log σ, clamped to [0, T−1].
 */
function sigmaToTimestep(sigma: number, logSigmas: Float64Array): number {
  const logSigma = Math.log(Math.max(sigma, 1e-10));
  // Last index with logSigmas[i] ≤ logSigma (0 if none), at most T−2 (log σ increases with t).
  let lo = 0;
  let hi = logSigmas.length - 2;
  if (logSigmas[0] > logSigma) hi = 0;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (logSigmas[mid] <= logSigma) lo = mid;
    else hi = mid - 1;
  }
  const w = Math.min(
    1,
    Math.max(0, (logSigmas[lo] - logSigma) / (logSigmas[lo] - logSigmas[lo + 1])),
  );
  return (1 - w) * lo + w * (lo + 1);
}

/**
 * diffusers Euler/DPM with use_karras_sigmas: σ_max/σ_min are the σ's of the first and last
 * spaced timestep (or config sigma_max/sigma_min), the N σ's follow Karras' ρ = 7 ramp,
 * the timesteps come from log-σ interpolation (fractional), and the final level is σ = 0.
 */
function karrasLevels(cfg: ScheduleConfig, ts: readonly number[], ab: Float64Array): NoiseLevel[] {
  const sigmas = trainingSigmas(ab);
  const logSigmas = sigmas.map(Math.log);
  const N = ts.length;
  const maxInv = (cfg.sigmaMax ?? sigmas[ts[0]]) ** (1 / KARRAS_RHO);
  const minInv = (cfg.sigmaMin ?? sigmas[ts[N - 1]]) ** (1 / KARRAS_RHO);
  const levels: NoiseLevel[] = [];
  for (let i = 0; i < N; i++) {
    const ramp = N === 1 ? 0 : i / (N - 1);
    const sigma = (maxInv + ramp * (minInv - maxInv)) ** KARRAS_RHO;
    levels.push(levelFromSigma(sigma, sigmaToTimestep(sigma, logSigmas)));
  }
  levels.push(levelFromSigma(0, FINAL_TIMESTEP));
  return levels;
}

/**
 * ᾱ at a possibly fractional timestep t ∈ [0, T−1]: exact at integers; in between, σ is
 * interpolated linearly in t as diffusers' Euler does (`np.interp(timesteps, …, sigmas)`).
 */
export function alphaBarAt(cfg: ScheduleConfig, t: number): number {
  const T = cfg.numTrainTimesteps;
  if (!Number.isFinite(t) || t < 0 || t > T - 1) {
    throw new InvalidOptionError(`timestep must be in [0, ${T - 1}], got ${t}`);
  }
  const ab = alphasCumprod(cfg);
  if (Number.isInteger(t)) return ab[t];
  const sigmas = trainingSigmas(ab);
  const lo = Math.floor(t);
  const w = t - lo;
  const sigma = (1 - w) * sigmas[lo] + w * sigmas[lo + 1];
  return 1 / (1 + sigma * sigma);
}

/** The fractional training timestep whose σ is `sigma` (log-σ interpolation, clamped to [0, T−1]). */
export function timestepOfSigma(cfg: ScheduleConfig, sigma: number): number {
  return sigmaToTimestep(sigma, trainingSigmas(alphasCumprod(cfg)).map(Math.log));
}
