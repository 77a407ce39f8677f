/**
 * DPM-Solver++ multistep (Lu et al. 2022, arXiv 2211.01095, Alg. 2), as diffusers'
 * DPMSolverMultistepScheduler with algorithm_type `dpmsolver++` (the 2M ODE solver) or
 * `sde-dpmsolver++` (DPM++ 2M SDE), solver_order 1 or 2, solver_type midpoint or heun. With
 * λ = log(a/s), h = λ_s − λ_t, r = h_prev/h and D1 = (x̂0 − x̂0_prev)/r:
 *
 *     ODE:  x_s = (s_s/s_t)·x_t + a_s(1 − e^(−h))·(x̂0 + c·D1)
 *     SDE:  x_s = (s_s/s_t)e^(−h)·x_t + a_s(1 − e^(−2h))·(x̂0 + c'·D1) + s_s√(1 − e^(−2h))·z
 *
 * with c = c' = ½ (midpoint), or c·(1 − e^(−h)) = 1 − (1 − e^(−h))/h and
 * c'·(1 − e^(−2h)) = 1 − (1 − e^(−2h))/(2h) (heun); D1 = 0 for a first-order step: the first step, solver_order 1, and the last step when euler_at_final, or
 * lower_order_final with fewer than 15 steps, or the final σ is 0. x̂0 is thresholded first
 * when the config says so. Only x̂0 is used, so renoiseEps is ignored.
 */
import { assertSameShape, type Tensor } from '../core/tensor.js';
import type { NoiseLevel } from '../core/noiseLevel.js';
import type { SamplerStep, StepOutput } from '../core/step.js';
import type { ScheduleConfig } from '../schedules/config.js';
import { schedulerSettings } from '../schedules/settings.js';
import { predictionPair, processX0, type X0Processing } from './common.js';
import { NO_X0_PROCESSING } from './ddim.js';

/**
 * What one step hands to the next: its x̂0 and the λ it was predicted at. Keeping λ rather
 * than the step size means h_prev = λ_t − λ_prev is measured from the level actually
 * stepped from (as diffusers does from its σ list).
 */
export interface DpmSolverHistory {
  readonly x0: Tensor;
  readonly lambda: number;
}

/** λ = log(a/s): −∞ at zero SNR, +∞ at σ = 0. */
export function lambdaOf(level: NoiseLevel): number {
  return Math.log(level.a) - Math.log(level.s);
}

export interface DpmSolverOptions {
  readonly sde: boolean;
  readonly order: number;
  readonly heun: boolean;
  /** First order on the last step (into the final level, timestep < 0). */
  readonly firstOrderLast: boolean;
  readonly thresholding: X0Processing;
}

/** DPMSolverMultistepScheduler's step for a config and a run of `steps` steps. */
export function dpmSolverStep(
  config: ScheduleConfig,
  steps: number,
): SamplerStep<DpmSolverHistory> {
  const s = schedulerSettings(config, 'DPMSolverMultistepScheduler');
  return dpmSolverUpdate({
    sde: s.algorithmType === 'sde-dpmsolver++',
    order: s.solverOrder,
    heun: s.solverType === 'heun',
    firstOrderLast:
      s.eulerAtFinal || (s.lowerOrderFinal && steps < 15) || s.finalSigmasType === 'zero',
    thresholding: { ...NO_X0_PROCESSING, ...s, clipSample: false },
  });
}

export function dpmSolverUpdate(o: DpmSolverOptions): SamplerStep<DpmSolverHistory> {
  return {
    name: o.sde ? 'dpmpp-2m-sde' : 'dpmpp-2m',
    usesRenoiseEps: false,
    stochastic: o.sde,
    step(input): StepOutput<DpmSolverHistory> {
      const { x, from, to, history } = input;
      const x0 = processX0(predictionPair(input).x0, o.thresholding);
      const lambdaT = lambdaOf(from);
      const h = lambdaOf(to) - lambdaT;
      // −expm1 for accuracy at small h; both are exactly 1 at h = ∞ (into σ = 0).
      const decay = o.sde ? Math.exp(-h) : 1;
      const keep = (to.s / from.s) * decay;
      const oneMinus = -Math.expm1(o.sde ? -2 * h : -h);
      const gain = to.a * oneMinus;
      const hPrev = history ? lambdaT - history.lambda : NaN;
      // Second order needs a previous x̂0 and two finite, positive steps in λ.
      const secondOrder =
        o.order >= 2 &&
        history !== undefined &&
        !(o.firstOrderLast && to.timestep < 0) &&
        Number.isFinite(h) &&
        h > 0 &&
        Number.isFinite(hPrev) &&
        hPrev > 0;
      // Weight of D1: ½·gain (midpoint), or a_s·(1 − (1 − e^(−kh))/(kh)) (heun, k = 1 or 2).
      const k = o.sde ? 2 : 1;
      const d1Weight = o.heun ? to.a * (1 - oneMinus / (k * h)) : 0.5 * gain;
      const noiseScale = o.sde ? to.s * Math.sqrt(Math.max(0, oneMinus)) : 0;
      const z = noiseScale > 0 ? input.rng.normal(x.shape).data : undefined;
      const out = new Float32Array(x.data.length);
      const xd = x.data;
      const x0d = x0.data;
      let prev: Float32Array | undefined;
      let invR = 0;
      if (secondOrder) {
        assertSameShape(history.x0, x, 'DPM-Solver++ history x0 vs sample');
        prev = history.x0.data;
        invR = h / hPrev;
      }
      for (let j = 0; j < out.length; j++) {
        let v = keep * xd[j] + gain * x0d[j];
        if (prev) v += d1Weight * invR * (x0d[j] - prev[j]);
        if (z) v += noiseScale * z[j];
        out[j] = v;
      }
      return { x: x.like(out), history: { x0, lambda: lambdaT } };
    },
  };
}
