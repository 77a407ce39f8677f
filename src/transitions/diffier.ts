import { InvalidOptionError } from '../core/errors.js';
import type { GuidedPrediction } from '../core/guidance.js';
import type { InnerLoopRecord } from '../core/observer.js';
import type { NoiseLevel } from '../core/noiseLevel.js';
import { completeStep } from '../core/step.js';
import type { Transition, TransitionWrapper } from '../core/transition.js';
import type { Tensor } from '../core/tensor.js';
import { trainingLoss } from '../monitors/trainingGap.js';
import { x0FromEps } from '../core/convert.js';
import { langevinCorrect } from './langevin.js';

/** What DiffIER's inner loop did at one step, per sample. */
export type InnerLoopStep = InnerLoopRecord;

export interface DiffierStepOptions {
  /** Most probes per step (one conditional evaluation each). 0 = the base sampler, bit for bit. */
  readonly iterations?: number;
  /** Stop a sample's loop once its fraction moves by ≤ tol between probes (0 = never early). */
  readonly tol?: number;
  /** Exponent q of f = c^q, c the adopted share of the guided content. */
  readonly q?: number;
  /** Probe this many schedule levels beyond the landing level (0 = at the landing). */
  readonly lookahead?: number;
  /** Langevin steps per step on the conditional field at the landing level. */
  readonly corrector?: number;
  /** Multiplier of the corrector's step δ = (σ_t² − σ_s²)/2 (capped at σ_s²). */
  readonly correctorScale?: number;
}

export const DIFFIER_STEP_DEFAULTS: Required<DiffierStepOptions> = {
  iterations: 1,
  tol: 0.02,
  q: 1,
  lookahead: 0,
  corrector: 1,
  correctorScale: 1,
};

/** The largest loop counts accepted (each costs a network evaluation per step). */
export const DIFFIER_STEP_MAX_ITERATIONS = 16;

export function checkDiffierStep(o: DiffierStepOptions): Required<DiffierStepOptions> {
  const r = { ...DIFFIER_STEP_DEFAULTS, ...o };
  for (const key of ['iterations', 'corrector', 'lookahead'] as const)
    if (!Number.isInteger(r[key]) || r[key] < 0 || r[key] > DIFFIER_STEP_MAX_ITERATIONS)
      throw new InvalidOptionError(
        `diffier ${key} must be an integer in [0, ${DIFFIER_STEP_MAX_ITERATIONS}], got ${r[key]}`,
      );
  if (!(r.tol >= 0 && r.tol <= 1)) throw new InvalidOptionError(`diffier tol must be in [0, 1]`);
  if (!(r.q > 0 && r.q <= 16)) throw new InvalidOptionError(`diffier q must be in (0, 16]`);
  if (!(r.correctorScale > 0 && r.correctorScale <= 4))
    throw new InvalidOptionError(`diffier correctorScale must be in (0, 4]`);
  return r;
}

/**
 * The guided prediction with a per-sample fraction f of the base rule's guidance:
 * cond + f·(guided − cond) in ε, x̂0 and the re-noising ε. f = 1 returns `pred` itself.
 */
export function scaleGuidance(
  pred: GuidedPrediction,
  x0Cond: Float32Array,
  f: Float64Array,
): GuidedPrediction {
  if (f.every((v) => v === 1)) return pred;
  const cond = pred.raw.cond;
  const d = cond.itemSize;
  const mix = (guided: Tensor, base: Float32Array): Tensor => {
    const out = new Float32Array(guided.data.length);
    for (let i = 0; i < cond.batch; i++)
      for (let j = i * d; j < (i + 1) * d; j++)
        out[j] = base[j] + f[i] * (guided.data[j] - base[j]);
    return guided.like(out);
  };
  return {
    ...pred,
    eps: mix(pred.eps, cond.data),
    x0: mix(pred.x0, x0Cond),
    renoiseEps: pred.renoiseEps ? mix(pred.renoiseEps, cond.data) : undefined,
    weights: pred.weights.map((w, i) => 1 + f[i] * (w - 1)),
  };
}

/** Deterministic landing at `to` of a prediction made at `from`: a_s·x̂0 + s_s·ε. */
function land(pred: GuidedPrediction, to: NoiseLevel): Tensor {
  const eps = pred.renoiseEps ?? pred.eps;
  const out = new Float32Array(eps.data.length);
  for (let j = 0; j < out.length; j++) out[j] = to.a * pred.x0.data[j] + to.s * eps.data[j];
  return eps.like(out);
}

/**
 * c_i = ⟨x̂0_c(x_s) − x̂0_c(x_t), D⟩ / (reach·|D|²): the share of the guided content change
 * D = x̂0_guided − x̂0_c that the conditional network adopts at the landing point x_s, in
 * units of what a network that adopted all of it would show (the landing point moves the
 * content by reach = 1 − σ_s/σ_t of D). Clamped to [0, 1].
 */
function adoptedShare(
  landing: Tensor,
  epsAtLanding: Tensor,
  to: NoiseLevel,
  x0Cond: Float32Array,
  guidedX0: Tensor,
  fraction: Float64Array,
  reach: number,
): Float64Array {
  const n = landing.batch;
  const d = landing.itemSize;
  const c = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let num = 0;
    let den = 0;
    for (let j = i * d; j < (i + 1) * d; j++) {
      const moved = (landing.data[j] - to.s * epsAtLanding.data[j]) / to.a - x0Cond[j];
      const D = guidedX0.data[j] - x0Cond[j];
      num += moved * D;
      den += D * D;
    }
    const scale = den * reach * Math.max(fraction[i], 1e-6);
    c[i] = den > 0 ? Math.min(1, Math.max(0, num / scale)) : 1;
  }
  return c;
}

/**
 * DiffIER's step: iterative error minimisation of the guided step, per sample.
 *
 * 1. One guided evaluation with the base rule (any rule) at x_t.
 * 2. The inner loop: land the guided step at the next level, evaluate the conditional
 *    network there (one call), and measure which share c of the guided content change it
 *    adopts; the sample is then guided with the fraction f = c^q of the base rule's
 *    guidance, and the loop repeats from the new landing until f moves by ≤ tol or the
 *    budget is spent. The guidance a network does not adopt is what opens the
 *    training–inference gap: the next iterate carries content the network reads as noise
 *    (the training loss g of the landing point, trainingGap.ts, recorded before and after).
 * 3. The sampler's own step with the scaled prediction (a two-stage step guides its second
 *    evaluation with the same fraction f), then `corrector` Langevin steps on
 *    the conditional field, which pull the iterate toward the training marginal of its
 *    condition; the first of them reuses the evaluation at the landing point.
 *
 * Everything is per sample: sample i's result does not depend on the rest of the batch.
 */
export function diffierStep(
  options: DiffierStepOptions = {},
  onInner?: (step: number, record: InnerLoopStep) => void,
): TransitionWrapper {
  const o = checkDiffierStep(options);
  return (inner: Transition): Transition =>
    async (ctx) => {
      if (o.iterations === 0 && o.corrector === 0) return inner(ctx);
      const { from, to } = ctx;
      const pred = await ctx.guide(ctx.x, from, to);
      const n = ctx.x.batch;
      const x0Cond = x0FromEps(ctx.x, pred.raw.cond, from).data;
      // Nothing to measure where the step is unguided (w = 1, or the base rule's gate is off).
      const canProbe =
        pred.raw.uncond !== undefined && to.timestep >= 0 && to.s > 0 && from.sigma > to.sigma;
      const probeAt = ctx.levels[Math.min(ctx.i + 1 + o.lookahead, ctx.levels.length - 2)];
      const probe = probeAt.sigma < to.sigma && probeAt.s > 0 ? probeAt : to;
      const reach = 1 - probe.sigma / from.sigma;
      const f = new Float64Array(n).fill(1);
      const before = new Float64Array(n).fill(NaN);
      const after = new Float64Array(n).fill(NaN);
      const iterations = new Float64Array(n);
      const active = new Uint8Array(n).fill(1);
      for (let it = 0; canProbe && it < o.iterations && active.some((a) => a); it++) {
        const current = scaleGuidance(pred, x0Cond, f);
        const landing = land(current, probe);
        const eps = (await ctx.predict(landing, probe, 'cond')).cond;
        const g = trainingLoss(landing, current.x0, eps, probe);
        const c = adoptedShare(landing, eps, probe, x0Cond, current.x0, f, reach);
        for (let i = 0; i < n; i++) {
          if (!active[i]) continue;
          if (it === 0) before[i] = g[i];
          iterations[i]++;
          const next = c[i] ** o.q;
          // A converged sample's last probe is (within tol) at its chosen landing point.
          if (o.tol > 0 && Math.abs(next - f[i]) <= o.tol) {
            active[i] = 0;
            after[i] = g[i];
          }
          f[i] = next;
        }
      }
      const scaled = scaleGuidance(pred, x0Cond, f);
      // A step's later stage (Heun, DPM++ SDE) is guided with the same per-sample fraction.
      const out = await completeStep(
        ctx.sampler,
        {
          x: ctx.x,
          from,
          to,
          pred: scaled,
          rng: ctx.rng,
          history: ctx.history,
        },
        async (x, level) => {
          const stage = await ctx.guide(x, level, to);
          return scaleGuidance(stage, x0FromEps(x, stage.raw.cond, level).data, f);
        },
      );
      // The corrector's first evaluation is at the chosen landing point: it measures the
      // error after the loop for free.
      let firstEps: Tensor | undefined;
      const corrected = await langevinCorrect(
        ctx,
        out.x,
        from,
        to,
        async (x) => {
          const eps = (await ctx.predict(x, to, 'cond')).cond;
          firstEps ??= eps;
          return eps;
        },
        { k: o.corrector, stepScale: o.correctorScale, maxStepRatio: 1 },
      );
      const landingGap =
        firstEps && !ctx.sampler.stochastic
          ? trainingLoss(out.x, scaled.x0, firstEps, to)
          : undefined;
      if (landingGap && canProbe) after.set(landingGap);
      const record =
        canProbe && o.iterations > 0 ? { before, after, iterations, fraction: f } : undefined;
      if (record) onInner?.(ctx.i, record);
      return {
        x: corrected,
        history: out.history,
        xIn: ctx.x,
        pred: scaled,
        x0Out: scaled.x0,
        deterministic: !ctx.sampler.stochastic && !firstEps,
        landingGap,
        inner: record,
      };
    };
}
