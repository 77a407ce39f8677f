/**
 * Each diffusers scheduler class's `set_timesteps`: the network levels of an N-step run and
 * where its steps land. They differ per class (DPM-Solver spaces N + 1 points; Euler keeps
 * fractional timesteps; the final level is ᾱ_0 or 1 for DDIM, 1 for DDPM, σ = 0 or σ_min
 * for Euler and DPM-Solver), so every sampler names its own plan.
 *
 * A level's timestep is what the network is given; its ᾱ (or σ) is what the step uses. They
 * agree on the training grid except where diffusers rounds the timestep of a σ that is not
 * on it (DPM-Solver with Karras σ's).
 */
import { ConfigError } from '../core/errors.js';
import { levelFromSigma, noiseLevel, type NoiseLevel } from '../core/noiseLevel.js';
import type { SamplingLevels } from '../core/levels.js';
import { FINAL_TIMESTEP, type ScheduleConfig } from './config.js';
import { discreteSchedule, sigmaToTimestep } from './discrete.js';
import { schedulerSettings, type FinalSigmas, type SchedulerSettings } from './settings.js';
import { lcmTimesteps } from './lcmTimesteps.js';
import { checkDecreasing, checkNumSteps, roundHalfEven, spacedTimesteps } from './spacing.js';

/** A class's plan: the levels of a run of `steps` network evaluations. */
export type LevelPlan = (config: ScheduleConfig, steps: number) => SamplingLevels;

/**
 * Euler's init_noise_sigma is σ_max under linspace/trailing spacing (√(σ_max² + 1), i.e. unit
 * variance in VP units, under leading): the initial noise's scale in VP units.
 */
function eulerInitialScale(spacing: string, levels: readonly NoiseLevel[]): number | undefined {
  if (spacing === 'leading') return undefined;
  const max = Math.max(...levels.map((l) => l.sigma));
  return max / Math.sqrt(max * max + 1);
}

/** Karras ρ (EDM's default, hard-coded in diffusers). */
const KARRAS_RHO = 7;

/** Karras et al. 2022 σ ramp from sigmaMax to sigmaMin, n values. */
function karrasSigmas(sigmaMax: number, sigmaMin: number, n: number): number[] {
  const maxInv = sigmaMax ** (1 / KARRAS_RHO);
  const minInv = sigmaMin ** (1 / KARRAS_RHO);
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const ramp = n === 1 ? 0 : i / (n - 1);
    out.push((maxInv + ramp * (minInv - maxInv)) ** KARRAS_RHO);
  }
  return out;
}

/** σ at a (fractional) timestep, linear in t between grid points (numpy `interp`). */
function sigmaAt(sigmas: Float64Array, t: number): number {
  const lo = Math.min(Math.max(Math.floor(t), 0), sigmas.length - 1);
  const hi = Math.min(lo + 1, sigmas.length - 1);
  const w = Math.min(Math.max(t - lo, 0), 1);
  return (1 - w) * sigmas[lo] + w * sigmas[hi];
}

/** The final σ of Euler and DPM-Solver: 0, or σ_0 = √((1 − ᾱ_0)/ᾱ_0). */
function finalSigma(config: ScheduleConfig, type: FinalSigmas): number {
  return type === 'zero' ? 0 : discreteSchedule(config).sigmas[0];
}

function settings(config: ScheduleConfig, className: string): SchedulerSettings {
  return schedulerSettings(config, className);
}

/**
 * DDIM and DDPM use ᾱ as it is: with rescale_betas_zero_snr, ᾱ_{T−1} = 0 and an ε-network's
 * x̂0 = (x − ε)/0 has no value (diffusers' steps give inf/NaN there); refused before any work.
 * v- and x0-networks give x̂0 directly and run.
 */
function checkZeroSnr(config: ScheduleConfig, levels: readonly NoiseLevel[]): void {
  const bad = levels.find((l) => l.timestep >= 0 && l.alphaBar === 0);
  if (bad && config.predictionType === 'epsilon') {
    throw new ConfigError(
      `scheduler config: prediction_type epsilon with rescale_betas_zero_snr evaluates the network at ᾱ = 0 (timestep ${bad.timestep}), where x̂0 = (x − ε)/0 is undefined; use v_prediction or another spacing`,
    );
  }
}

/**
 * DDIMScheduler: the spaced timesteps; each step goes from t to t − T//N, whose ᾱ is
 * `final_alpha_cumprod` (1 if set_alpha_to_one, else ᾱ_0) once it is negative.
 */
export const ddimPlan: LevelPlan = (config, steps) => {
  const s = settings(config, 'DDIMScheduler');
  const T = config.numTrainTimesteps;
  const ab = discreteSchedule(config).alphaBar;
  const ts = spacedTimesteps(T, steps, s.timestepSpacing, config.stepsOffset);
  const final = noiseLevel(FINAL_TIMESTEP, s.setAlphaToOne ? 1 : ab[0]);
  const at = (t: number) => (t >= 0 ? noiseLevel(t, ab[t]) : final);
  const levels = [...ts.map(at), final];
  checkZeroSnr(config, levels);
  const ratio = Math.floor(T / steps);
  const landings = ts.map((t) => at(t - ratio));
  const same = landings.every((l, i) => l.timestep === levels[i + 1].timestep);
  return same ? { levels } : { levels, landings };
};

/** DDPMScheduler: the spaced timesteps, each step to the next one, the last to ᾱ = 1. */
export const ddpmPlan: LevelPlan = (config, steps) => {
  const s = settings(config, 'DDPMScheduler');
  const ab = discreteSchedule(config).alphaBar;
  const ts = spacedTimesteps(
    config.numTrainTimesteps,
    steps,
    s.timestepSpacing,
    config.stepsOffset,
  );
  const levels = [...ts.map((t) => noiseLevel(t, ab[t])), noiseLevel(FINAL_TIMESTEP, 1)];
  checkZeroSnr(config, levels);
  return { levels };
};

/**
 * Euler's timesteps: as DDIM's, except that `linspace` keeps them fractional (float32, as
 * numpy's float32 linspace gives them).
 */
function eulerTimesteps(config: ScheduleConfig, steps: number, s: SchedulerSettings): number[] {
  const T = config.numTrainTimesteps;
  if (s.timestepSpacing !== 'linspace') {
    return spacedTimesteps(T, steps, s.timestepSpacing, config.stepsOffset);
  }
  checkNumSteps(T, steps);
  const step = steps === 1 ? 0 : (T - 1) / (steps - 1);
  const ts: number[] = [];
  for (let i = steps - 1; i >= 0; i--)
    ts.push(i === steps - 1 && steps > 1 ? T - 1 : Math.fround(i * step));
  return ts;
}

/**
 * EulerDiscreteScheduler: σ at the timesteps (linear in t; `log_linear`: N + 1 σ's evenly
 * spaced in log σ over the whole table, the last of them where the run ends), optionally
 * remapped to Karras σ's (timesteps from log-σ interpolation, fractional), then the final σ.
 * Heun, LMS and DPM++ SDE plan the same way (they read neither interpolation_type nor
 * final_sigmas_type nor sigma_min/sigma_max, so theirs are linear, zero and the table's).
 * DPM++ SDE's linspace is float64 where the others' is float32: its fractional timesteps
 * differ from these by float32 rounding (< 1e-4).
 */
export const eulerPlan: LevelPlan = (config, steps) =>
  sigmaPlan(config, steps, 'EulerDiscreteScheduler');
export const heunPlan: LevelPlan = (config, steps) =>
  sigmaPlan(config, steps, 'HeunDiscreteScheduler');
export const lmsPlan: LevelPlan = (config, steps) =>
  sigmaPlan(config, steps, 'LMSDiscreteScheduler');
export const dpmSdePlan: LevelPlan = (config, steps) =>
  sigmaPlan(config, steps, 'DPMSolverSDEScheduler');

function sigmaPlan(config: ScheduleConfig, steps: number, className: string): SamplingLevels {
  const s = settings(config, className);
  const table = discreteSchedule(config);
  let ts = eulerTimesteps(config, steps, s);
  let sigmas: number[];
  if (s.interpolationType === 'log_linear') {
    const T = table.sigmas.length;
    const lo = Math.log(table.sigmas[T - 1]);
    const hi = Math.log(table.sigmas[0]);
    sigmas = [];
    for (let i = 0; i <= steps; i++) sigmas.push(Math.exp(lo + ((hi - lo) * i) / steps));
  } else {
    sigmas = ts.map((t) => sigmaAt(table.sigmas, t));
  }
  if (s.useKarrasSigmas) {
    sigmas = karrasSigmas(s.sigmaMax ?? sigmas[0], s.sigmaMin ?? sigmas[sigmas.length - 1], steps);
    ts = sigmas.map((sg) => Math.fround(sigmaToTimestep(sg, table.logSigmas)));
  }
  const levels = ts.map((t, i) => levelFromSigma(sigmas[i], t));
  // log_linear without Karras has N + 1 σ's: the run ends on the last, not the final σ.
  const end = sigmas.length > steps ? sigmas[steps] : finalSigma(config, s.finalSigmasType);
  levels.push(levelFromSigma(end, FINAL_TIMESTEP));
  return { levels, initialScale: eulerInitialScale(s.timestepSpacing, levels) };
}

/** EulerAncestralDiscreteScheduler: Euler's timesteps and σ's (no Karras), ending at σ = 0. */
export const eulerAncestralPlan: LevelPlan = (config, steps) => {
  const s = settings(config, 'EulerAncestralDiscreteScheduler');
  const table = discreteSchedule(config);
  const levels = eulerTimesteps(config, steps, s).map((t) =>
    levelFromSigma(sigmaAt(table.sigmas, t), t),
  );
  levels.push(levelFromSigma(0, FINAL_TIMESTEP));
  return { levels, initialScale: eulerInitialScale(s.timestepSpacing, levels) };
};

/**
 * DPMSolverMultistepScheduler's timesteps: N + 1 points spaced over [0, last) with the
 * first (t = 0) dropped, where `last` is T less the timesteps whose λ is below
 * lambda_min_clipped.
 */
function dpmTimesteps(config: ScheduleConfig, steps: number, s: SchedulerSettings): number[] {
  const T = config.numTrainTimesteps;
  checkNumSteps(T, steps);
  const ab = discreteSchedule(config).sigmas.map((sg) => 1 / (1 + sg * sg));
  // searchsorted of λ (increasing towards t = 0) for lambda_min_clipped: timesteps cut at the top.
  let clipped = 0;
  for (let t = T - 1; t >= 0; t--) {
    const lambda = 0.5 * Math.log(ab[t]) - 0.5 * Math.log(1 - ab[t]);
    if (lambda < s.lambdaMinClipped) clipped++;
    else break;
  }
  const last = T - clipped;
  const ts: number[] = [];
  if (s.timestepSpacing === 'linspace') {
    for (let i = steps; i >= 1; i--)
      ts.push(i === steps ? last - 1 : roundHalfEven((i * (last - 1)) / steps));
  } else if (s.timestepSpacing === 'leading') {
    const ratio = Math.floor(last / (steps + 1));
    for (let i = steps; i >= 1; i--) ts.push(i * ratio + config.stepsOffset);
  } else {
    const delta = last - T / steps - last;
    const count = Math.min(steps, Math.ceil(last / (T / steps)));
    for (let i = 0; i < count; i++) ts.push(roundHalfEven(last + i * delta) - 1);
  }
  checkDecreasing(ts, T, `${steps} ${s.timestepSpacing} DPM-Solver steps`, config.stepsOffset);
  return ts;
}

/**
 * DPMSolverMultistepScheduler: σ at its timesteps or, with use_karras_sigmas, Karras σ's over
 * the whole table with the timesteps rounded from log-σ interpolation (truncated for
 * squaredcos_cap_v2, which diffusers does not round), then the final σ.
 */
export const dpmSolverPlan: LevelPlan = (config, steps) => {
  const s = settings(config, 'DPMSolverMultistepScheduler');
  const table = discreteSchedule(config);
  let levels: NoiseLevel[];
  if (s.useKarrasSigmas) {
    checkNumSteps(config.numTrainTimesteps, steps);
    const T = table.sigmas.length;
    const cosine = config.betaSchedule === 'squaredcos_cap_v2';
    levels = karrasSigmas(table.sigmas[T - 1], table.sigmas[0], steps).map((sg) => {
      const t = sigmaToTimestep(sg, table.logSigmas);
      return levelFromSigma(sg, cosine ? Math.trunc(t) : roundHalfEven(t));
    });
  } else {
    levels = dpmTimesteps(config, steps, s).map((t) => levelFromSigma(table.sigmas[t], t));
  }
  levels.push(levelFromSigma(finalSigma(config, s.finalSigmasType), FINAL_TIMESTEP));
  return { levels };
};

/**
 * UniPCMultistepScheduler: DPM-Solver's timesteps (N + 1 points, the first dropped) and σ's;
 * with use_karras_sigmas, Karras σ's between sigma_max/sigma_min (or the table's ends), the
 * timesteps rounded from log-σ interpolation; then the final σ.
 */
export const uniPcPlan: LevelPlan = (config, steps) => {
  const s = settings(config, 'UniPCMultistepScheduler');
  const table = discreteSchedule(config);
  let levels: NoiseLevel[];
  if (s.useKarrasSigmas) {
    checkNumSteps(config.numTrainTimesteps, steps);
    const T = table.sigmas.length;
    const sigmas = karrasSigmas(
      s.sigmaMax ?? table.sigmas[T - 1],
      s.sigmaMin ?? table.sigmas[0],
      steps,
    );
    levels = sigmas.map((sg) =>
      levelFromSigma(sg, roundHalfEven(sigmaToTimestep(sg, table.logSigmas))),
    );
  } else {
    levels = dpmTimesteps(config, steps, s).map((t) => levelFromSigma(table.sigmas[t], t));
  }
  levels.push(levelFromSigma(finalSigma(config, s.finalSigmasType), FINAL_TIMESTEP));
  return { levels };
};

/**
 * LCMScheduler: N timesteps from the original_inference_steps skip grid (lcmTimesteps.ts)
 * at their training ᾱ; the last step returns the denoised estimate, so the final level's ᾱ
 * (1 if set_alpha_to_one, else ᾱ_0) is recorded but never used.
 */
export const lcmPlan: LevelPlan = (config, steps) => {
  const s = settings(config, 'LCMScheduler');
  const ab = discreteSchedule(config).alphaBar;
  const ts = lcmTimesteps(config.numTrainTimesteps, steps, s.originalInferenceSteps);
  const final = noiseLevel(FINAL_TIMESTEP, s.setAlphaToOne ? 1 : ab[0]);
  return { levels: [...ts.map((t) => noiseLevel(t, ab[t])), final] };
};
