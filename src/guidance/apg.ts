/**
 * APG, Adaptive Projected Guidance (Sadat, Hilliges & Weber, "Eliminating Oversaturation
 * and Artifacts of High Guidance Scales in Diffusion Models", arXiv 2410.02416, Alg. 1),
 * in the spec's "DDIM form": applied to the clean estimates x̂0, as the paper does with the
 * denoiser output (diffusers applies it to raw ε, ComfyUI to x̂0 with cfg = w − 1):
 *
 *     D      = x̂0_c − x̂0_u                          (= −σ_t·Δε)
 *     D̄      = D + β·D̄_prev                           momentum (running average)
 *     D̄     ← D̄·min(1, r/‖D̄‖)                         norm threshold (per sample, L2)
 *     v      = x̂0_c/‖x̂0_c‖;  D∥ = ⟨D̄, v⟩v;  D⊥ = D̄ − D∥
 *     x̂0_APG = x̂0_c + (w − 1)·(D⊥ + η·D∥)
 *     ε      = (x_t − a_t·x̂0_APG)/s_t
 *
 * Relation to w: with η = 1, r = 0 (or ∞) and β = 0 it is exactly CFG at the same w
 * (CFG is x̂0_c + (w − 1)·D in x̂0-space).
 *
 * Momentum: one update per main step. Evaluations repeated within a step (a DiffIER cycle,
 * a second-order stage) replace that step's contribution instead of adding to it, so the
 * average is over steps, as in the paper's one-evaluation-per-step samplers. The buffer
 * lives in the per-run state and carries over steps without guidance (interval wrapper).
 */
import type { Predictions } from '../core/denoiser.js';
import { ShapeError } from '../core/errors.js';
import {
  checkFinite,
  checkRange,
  conditionalPrediction,
  constantWeights,
  guidedPrediction,
} from './combine.js';
import type { GuidanceContext, GuidanceRule, GuidedPrediction } from '../core/guidance.js';

export interface ApgOptions {
  /** Guidance weight w (as in CFG: 1 = none). Registry default 3 (DEFAULT_GUIDANCE_WEIGHT). Any finite number. */
  readonly w: number;
  /**
   * η, weight of the component of the guidance direction parallel to x̂0_c (the part that
   * oversaturates). Default 0 (paper's recommendation). Finite; 1 = no projection.
   */
  readonly eta?: number;
  /**
   * β, momentum of the running average D̄ = D + β·D̄_prev. Default −0.5 (paper, SDXL). Finite;
   * ComfyUI allows −5 … 1; 0 = no momentum. Negative values damp the guidance of earlier
   * steps out of the current one.
   */
  readonly momentum?: number;
  /**
   * r, the largest per-sample L2 norm (over all non-batch dims) of the guidance direction D̄
   * in x̂0-space. Default 15 (paper, SDXL latents; ~2.5 for EDM2). Range [0, ∞]; 0 or ∞ = off.
   * The bound applies to x̂0-space before the factor (w − 1).
   */
  readonly normThreshold?: number;
}

export const APG_DEFAULTS = { eta: 0, momentum: -0.5, normThreshold: 15 } as const;

/** APG's per-run state: the momentum buffer, committed at each new main step. */
export interface ApgState {
  readonly batch: number;
  step: number;
  /** D̄ up to the previous main step (null before the first guided step). */
  committed: Float64Array | null;
  /** D̄ including the latest evaluation of the current step. */
  current: Float64Array | null;
}

export function apg(options: ApgOptions): GuidanceRule<ApgState> {
  const w = checkFinite('apg', 'w', options.w);
  const eta = checkFinite('apg', 'eta', options.eta ?? APG_DEFAULTS.eta);
  const beta = checkFinite('apg', 'momentum', options.momentum ?? APG_DEFAULTS.momentum);
  const r = checkRange(
    'apg',
    'normThreshold',
    options.normThreshold ?? APG_DEFAULTS.normThreshold,
    0,
    Infinity,
  );
  const params = { w, eta, beta, r };
  return {
    name: 'apg',
    w,
    describe: () => ({ name: 'apg', w, eta, momentum: beta, normThreshold: r }),
    createState: (batch) => ({ batch, step: -1, committed: null, current: null }),
    weights: (ctx) => constantWeights(ctx.x.batch, w),
    combine: (pred, weights, ctx, state) => apgCombine(pred, weights, ctx, state, params),
  };
}

function apgCombine(
  pred: Predictions,
  weights: Float64Array,
  ctx: GuidanceContext,
  state: ApgState,
  p: { eta: number; beta: number; r: number },
): GuidedPrediction {
  if (!pred.uncond) return conditionalPrediction(pred, ctx);
  const x = ctx.x.data;
  const c = pred.cond.data;
  const u = pred.uncond.data;
  const { a, s, sigma } = ctx.level;
  const n = ctx.x.itemSize;
  const len = x.length;

  const x0c = new Float64Array(len);
  const diff = new Float64Array(len);
  for (let j = 0; j < len; j++) {
    x0c[j] = (x[j] - s * c[j]) / a;
    diff[j] = -sigma * (c[j] - u[j]); // x̂0_c − x̂0_u, without cancellation
  }
  if (p.beta !== 0) applyMomentum(diff, ctx, state, p.beta);

  const eps = new Float32Array(len);
  const x0 = new Float32Array(len);
  for (let i = 0; i < ctx.x.batch; i++) {
    const lo = i * n;
    const hi = lo + n;
    const w = weights[i];
    if (w === 1) {
      // Unguided sample: the conditional prediction, bit for bit.
      for (let j = lo; j < hi; j++) {
        eps[j] = c[j];
        x0[j] = x0c[j];
      }
      continue;
    }
    let dd = 0;
    let dv = 0;
    let vv = 0;
    for (let j = lo; j < hi; j++) {
      dd += diff[j] * diff[j];
      dv += diff[j] * x0c[j];
      vv += x0c[j] * x0c[j];
    }
    const norm = Math.sqrt(dd);
    const clip = p.r > 0 && Number.isFinite(p.r) && norm > p.r ? p.r / norm : 1;
    // update = D⊥ + η·D∥ = D + (η − 1)·D∥, with D∥ = (⟨D,x̂0_c⟩/‖x̂0_c‖²)·x̂0_c.
    const parCoef = vv > 0 ? (p.eta - 1) * (dv / vv) : 0;
    const g = (w - 1) * clip;
    for (let j = lo; j < hi; j++) {
      const guided = x0c[j] + g * (diff[j] + parCoef * x0c[j]);
      x0[j] = guided;
      eps[j] = (x[j] - a * guided) / s;
    }
  }
  return guidedPrediction(ctx, ctx.x.like(eps), pred, weights, { x0: ctx.x.like(x0) });
}

/** D̄ = D + β·D̄_prev, in place, with the step-keyed commit described above. */
function applyMomentum(
  diff: Float64Array,
  ctx: GuidanceContext,
  state: ApgState,
  beta: number,
): void {
  if (ctx.x.batch !== state.batch) {
    throw new ShapeError(
      `apg: momentum state is for a batch of ${state.batch}, got ${ctx.x.batch} (evaluate the whole batch)`,
    );
  }
  if (ctx.step !== state.step) {
    // A later step commits the previous one; an earlier step means a new run: start over.
    state.committed = ctx.step > state.step ? state.current : null;
    state.step = ctx.step;
  }
  const prev = state.committed;
  if (prev && prev.length === diff.length) {
    for (let j = 0; j < diff.length; j++) diff[j] += beta * prev[j];
  }
  state.current = Float64Array.from(diff);
}
