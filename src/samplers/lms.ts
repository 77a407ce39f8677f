/**
 * Linear multistep (k-diffusion sample_lms; diffusers' LMSDiscreteScheduler, order 4 by
 * default): the probability-flow ODE dx̄/dσ = d(σ) in x̄ = x/a, with d = (x̄ − x̂0)/σ
 * (Euler's derivative) at the last p levels σ_t = σ_0', σ_1', …, σ_{p−1}' (newest first),
 *
 *     x̄_s = x̄_t + Σ_k c_k·d_k,    c_k = ∫_{σ_t}^{σ_s} L_k(τ) dτ,
 *     L_k(τ) = Π_{j≠k} (τ − σ_j')/(σ_k' − σ_j')   (the Lagrange basis through those levels),
 *
 * p = min(order, steps taken so far + 1). diffusers integrates c_k numerically (scipy quad);
 * L_k is a polynomial of degree p − 1 ≤ 3, so a 3-point Gauss–Legendre rule gives it
 * exactly. Written as x̄_s = x̂0 + (σ_t + c_0)·d_0 + Σ_{k≥1} c_k·d_k (x̄_t = x̂0 + σ_t·d_0),
 * the step stays finite from σ = ∞ (zero terminal SNR), where p = 1 gives σ_t + c_0 = σ_s;
 * a level at σ = ∞ is never kept as a node (its basis term vanishes in the limit).
 * d is always derived from x̂0, so renoiseEps is ignored.
 */
import { InvalidOptionError } from '../core/errors.js';
import type { SamplerStep, StepOutput } from '../core/step.js';
import { derivative } from './heun.js';

export const LMS_MAX_ORDER = 4;

/**
 * The derivatives of the last steps, newest first, with the σ each was taken at, and the
 * sample the last step returned.
 */
export interface LmsHistory {
  readonly derivatives: readonly Float32Array[];
  readonly sigmas: readonly number[];
  readonly output: Float32Array;
}

/**
 * True when the sample reaching this step is not the one the last step returned: something
 * between the steps moved it (DiffIER's corrector, inpainting's replacement). The old
 * derivatives d = (x̄ − x̂0)/σ were taken along the trajectory before the move, and
 * extrapolating them across levels that span orders of magnitude amplifies the mismatch
 * (t2i with DiffIER: FID 948 against 55), so the step restarts at first order instead.
 */
function movedSince(history: LmsHistory, x: Float32Array): boolean {
  if (history.output === x) return false;
  for (let j = 0; j < x.length; j++) if (history.output[j] !== x[j]) return true;
  return false;
}

/** 3-point Gauss–Legendre nodes and weights on [−1, 1]: exact for degree ≤ 5. */
const GAUSS_NODES = [-Math.sqrt(3 / 5), 0, Math.sqrt(3 / 5)];
const GAUSS_WEIGHTS = [5 / 9, 8 / 9, 5 / 9];

/** c_k = ∫ from `lo` to `hi` of the Lagrange basis polynomial k through `nodes`. */
export function lmsCoefficient(
  nodes: readonly number[],
  k: number,
  lo: number,
  hi: number,
): number {
  const mid = (lo + hi) / 2;
  const half = (hi - lo) / 2;
  let sum = 0;
  for (let g = 0; g < GAUSS_NODES.length; g++) {
    const tau = mid + half * GAUSS_NODES[g];
    let prod = 1;
    for (let j = 0; j < nodes.length; j++) {
      if (j !== k) prod *= (tau - nodes[j]) / (nodes[k] - nodes[j]);
    }
    sum += GAUSS_WEIGHTS[g] * prod;
  }
  return sum * half;
}

export function lmsStep(order = LMS_MAX_ORDER): SamplerStep<LmsHistory> {
  if (!Number.isInteger(order) || order < 1 || order > LMS_MAX_ORDER)
    throw new InvalidOptionError(
      `lms order must be an integer in [1, ${LMS_MAX_ORDER}], got ${order}`,
    );
  return {
    name: 'lms',
    usesRenoiseEps: false,
    stochastic: false,
    step(input): StepOutput<LmsHistory> {
      const { x, from, to, history } = input;
      const x0 = input.pred.x0;
      const d0 = derivative(x, from, { ...input.pred, renoiseEps: undefined });
      const finite = Number.isFinite(from.sigma);
      const kept = finite && history && !movedSince(history, x.data) ? history : undefined;
      const older = kept ? kept.derivatives.slice(0, order - 1) : [];
      const nodes = [from.sigma, ...(kept ? kept.sigmas : [])].slice(0, older.length + 1);
      const coef = nodes.map((_, k) => lmsCoefficient(nodes, k, from.sigma, to.sigma));
      // σ_t + c_0 is σ_s − σ_t + σ_t for p = 1; computed as such it stays exact at σ_t = ∞.
      const lead = nodes.length === 1 ? to.sigma : from.sigma + coef[0];
      const out = new Float32Array(x.data.length);
      const a = to.a;
      for (let j = 0; j < out.length; j++) {
        let v = x0.data[j] + lead * d0[j];
        for (let k = 1; k < nodes.length; k++) v += coef[k] * older[k - 1][j];
        out[j] = a * v;
      }
      return {
        x: x.like(out),
        history: finite
          ? { derivatives: [d0, ...older], sigmas: nodes, output: out }
          : { derivatives: [], sigmas: [], output: out },
      };
    },
  };
}
