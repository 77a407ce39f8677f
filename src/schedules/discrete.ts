/**
 * The discrete training schedule of a parsed scheduler config: betas, ᾱ, σ on the training
 * grid, and look-ups between (fractional) timesteps and σ.
 *
 * The tables are rounded to float32 at every operation, as diffusers builds them (torch
 * float32 tensors): near ᾱ = 1 the float32 rounding of 1 − β is a large part of σ² (1.5e-4
 * of σ at t = 3 on the cosine schedule) and it decides which integer a truncated Karras
 * timestep falls on, so exact float64 tables would not give diffusers' levels. They are
 * stored in Float64Arrays; everything computed from them is float64.
 */
import { InvalidOptionError } from '../core/errors.js';
import type { ScheduleConfig } from './config.js';

/** `torch.linspace(start, end, n)[i]`. */
function linspaceAt(start: number, end: number, n: number, i: number): number {
  return n === 1 ? start : start + ((end - start) * i) / (n - 1);
}

/** The training betas β_0 … β_{T−1}. */
export function betas(cfg: ScheduleConfig): Float64Array {
  const T = cfg.numTrainTimesteps;
  const out = new Float64Array(T);
  const f32 = Math.fround;
  if (cfg.trainedBetas) {
    for (let i = 0; i < T; i++) out[i] = f32(cfg.trainedBetas[i]);
  } else if (cfg.betaSchedule === 'linear') {
    for (let i = 0; i < T; i++) out[i] = f32(linspaceAt(cfg.betaStart, cfg.betaEnd, T, i));
  } else if (cfg.betaSchedule === 'scaled_linear') {
    // Latent diffusion's schedule: linear in √β.
    const a = Math.sqrt(cfg.betaStart);
    const b = Math.sqrt(cfg.betaEnd);
    for (let i = 0; i < T; i++) out[i] = f32(f32(linspaceAt(a, b, T, i)) ** 2);
  } else {
    // Nichol & Dhariwal 2021 cosine: ᾱ(u) = cos²((u + 0.008)/1.008 · π/2), β capped at 0.999
    // (computed in float64, then stored as float32, as diffusers does).
    const f = (u: number) => Math.cos(((u + 0.008) / 1.008) * (Math.PI / 2)) ** 2;
    for (let i = 0; i < T; i++) out[i] = f32(Math.min(1 - f((i + 1) / T) / f(i / T), 0.999));
  }
  return cfg.rescaleBetasZeroSnr ? rescaleZeroTerminalSnr(out) : out;
}

/**
 * Lin et al. 2023, Algorithm 1: shift and scale √ᾱ so that √ᾱ_{T−1} = 0 while √ᾱ_0 is kept,
 * then turn it back into betas. The last beta is exactly 1, so ᾱ_{T−1} is exactly 0.
 */
function rescaleZeroTerminalSnr(beta: Float64Array): Float64Array {
  const T = beta.length;
  const f32 = Math.fround;
  const sqrtAb = new Float64Array(T);
  let prod = 1;
  for (let i = 0; i < T; i++) {
    prod *= f32(1 - beta[i]);
    sqrtAb[i] = f32(Math.sqrt(f32(prod)));
  }
  const first = sqrtAb[0];
  const last = sqrtAb[T - 1];
  const scale = f32(first / f32(first - last));
  const out = new Float64Array(T);
  let prev = 1;
  for (let i = 0; i < T; i++) {
    const ab = f32(f32(f32(sqrtAb[i] - last) * scale) ** 2);
    out[i] = i === 0 ? f32(1 - ab) : f32(1 - f32(ab / prev));
    prev = ab;
  }
  return out;
}

/** ᾱ_t = ∏_{i≤t} (1 − β_i), t = 0 … T−1 (a fresh copy the caller may change). */
export function alphasCumprod(cfg: ScheduleConfig): Float64Array {
  return discreteSchedule(cfg).alphaBar.slice();
}

/** The training grid of a config: ᾱ, σ and log σ per training timestep (read-only). */
interface DiscreteSchedule {
  readonly alphaBar: Float64Array;
  readonly sigmas: Float64Array;
  readonly logSigmas: Float64Array;
}

/** Computed once per config object; configs are never changed after parsing. */
const DISCRETE = new WeakMap<ScheduleConfig, DiscreteSchedule>();

/** The cached discrete schedule of `cfg`; the level look-ups below all read it. */
export function discreteSchedule(cfg: ScheduleConfig): DiscreteSchedule {
  let d = DISCRETE.get(cfg);
  if (!d) {
    const beta = betas(cfg);
    const alphaBar = new Float64Array(beta.length);
    let prod = 1;
    for (let i = 0; i < beta.length; i++) {
      // torch's CPU cumprod accumulates a float32 tensor in float64, storing each entry as float32.
      prod *= Math.fround(1 - beta[i]);
      alphaBar[i] = Math.fround(prod);
    }
    const sigmas = trainingSigmas(alphaBar);
    d = { alphaBar, sigmas, logSigmas: sigmas.map(Math.log) };
    DISCRETE.set(cfg, d);
  }
  return d;
}

/**
 * σ_t = √((1 − ᾱ_t)/ᾱ_t) on the training grid, for interpolation. With a zero terminal SNR
 * σ_{T−1} would be infinite; diffusers' Euler sets ᾱ_{T−1} = 2⁻²⁴ there, and so do we.
 */
function trainingSigmas(ab: Float64Array): Float64Array {
  return ab.map((v) => {
    const a = v > 0 ? v : 2 ** -24;
    return Math.fround(Math.sqrt(Math.fround(Math.fround(1 - a) / a)));
  });
}

/**
 * diffusers `_sigma_to_t`: the fractional timestep whose log σ lies between two training
 * levels, by linear interpolation in log σ, clamped to [0, T−1].
 */
export function sigmaToTimestep(sigma: number, logSigmas: Float64Array): number {
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
 * ᾱ at a possibly fractional timestep t ∈ [0, T−1]: exact at integers; in between, σ is
 * interpolated linearly in t as diffusers' Euler does (`np.interp(timesteps, …, sigmas)`).
 */
export function alphaBarAt(cfg: ScheduleConfig, t: number): number {
  const T = cfg.numTrainTimesteps;
  if (!Number.isFinite(t) || t < 0 || t > T - 1) {
    throw new InvalidOptionError(`timestep must be in [0, ${T - 1}], got ${t}`);
  }
  const { alphaBar, sigmas } = discreteSchedule(cfg);
  if (Number.isInteger(t)) return alphaBar[t];
  const lo = Math.floor(t);
  const w = t - lo;
  const sigma = (1 - w) * sigmas[lo] + w * sigmas[lo + 1];
  return 1 / (1 + sigma * sigma);
}

/** The fractional training timestep whose σ is `sigma` (log-σ interpolation, clamped to [0, T−1]). */
export function timestepOfSigma(cfg: ScheduleConfig, sigma: number): number {
  return sigmaToTimestep(sigma, discreteSchedule(cfg).logSigmas);
}
