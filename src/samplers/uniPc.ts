/**
 * UniPC (Zhao et al. 2023, arXiv 2302.04867; diffusers' UniPCMultistepScheduler with
 * predict_x0, solver_type bh2 or bh1): a multistep predictor UniP of order p and a
 * corrector UniC that, once the network has been evaluated at the predicted sample, redoes
 * the previous step with that evaluation included — at no extra network cost.
 *
 * In data prediction with λ = log(a/s), a step from level s0 to t with h = λ_t − λ_s0,
 * the last x̂0's m_0 (at s0), m_1, … (older, at λ_1, …), r_k = (λ_k − λ_s0)/h and
 * D_k = (m_k − m_0)/r_k:
 *
 *     x_t = (s_t/s_s0)·x − a_t·(e^(−h) − 1)·m_0 − a_t·B(h)·Σ_k ρ_k·D_k,
 *
 * B(h) = e^(−h) − 1 (bh2) or −h (bh1). The predictor's ρ solve the order conditions
 * R·ρ = b on the older points (ρ = 1/2 at order 2); the corrector's include the new point
 * (r = 1, D = m_t − m_0) and use the full system (ρ = 1/2 at order 1). R_ik = r_k^(i−1) and
 * b_i = i!·φ_{i+1}(−h)/B(h) with φ from the recursion φ_1 = (e^(−h) − 1)/(−h) − 1,
 * φ_{k+1} = φ_k/(−h) − 1/(k+1)!, as in the paper's Algorithm.
 *
 * The step contract: step i gets x_i (UniP's output) and the prediction there. It first
 * applies UniC to the previous step (from the sample that step started from, kept in the
 * history), then UniP from the corrected sample. The last step's output is UniP's: there
 * is no evaluation after it to correct with. The order is min(solver_order, steps taken + 1)
 * and, with lower_order_final, at most the steps left in the run (the last step is first
 * order; the step count is given when the step is made, the index comes from the history).
 * Only x̂0 is used, so renoiseEps is ignored.
 */
import { InvalidOptionError } from '../core/errors.js';
import type { NoiseLevel } from '../core/noiseLevel.js';
import type { SamplerStep, StepOutput } from '../core/step.js';
import { assertSameShape, type Tensor } from '../core/tensor.js';
import { processX0, type X0Processing } from './common.js';
import { NO_X0_PROCESSING } from './ddim.js';
import { lambdaOf } from './dpmSolver.js';

export const UNIPC_MAX_ORDER = 3;

export interface UniPcOptions {
  /** Highest order of the predictor (diffusers' solver_order), 1 … 3; default 2. */
  readonly order?: number;
  /** bh2 (default, recommended by the paper for guided sampling) or bh1. */
  readonly solverType?: 'bh1' | 'bh2';
  /** Lower the order over the last steps (diffusers' lower_order_final), default true. */
  readonly lowerOrderFinal?: boolean;
  /** Skip the corrector on the steps with these indices (diffusers' disable_corrector). */
  readonly disableCorrector?: readonly number[];
  /** Steps of the run, for lower_order_final (absent: the order is never lowered). */
  readonly steps?: number;
  /** How x̂0 is post-processed (the config's thresholding); default not at all. */
  readonly x0Processing?: X0Processing;
}

/** What one step hands to the next. */
export interface UniPcHistory {
  /** x̂0 of the latest steps, newest first, and the λ of the level each was predicted at. */
  readonly x0s: readonly Tensor[];
  readonly lambdas: readonly number[];
  /** The sample the latest predictor started from, its level and its order. */
  readonly lastSample: Tensor;
  readonly lastLevel: NoiseLevel;
  readonly lastOrder: number;
  /** Steps taken so far (the index of the next step). */
  readonly taken: number;
}

/** Gaussian elimination with partial pivoting for the small (≤ 3×3) order systems. */
export function solveSmall(matrix: readonly number[][], rhs: readonly number[]): number[] {
  const n = rhs.length;
  const m = matrix.map((row, i) => [...row.slice(0, n), rhs[i]]);
  for (let c = 0; c < n; c++) {
    let p = c;
    for (let r = c + 1; r < n; r++) if (Math.abs(m[r][c]) > Math.abs(m[p][c])) p = r;
    [m[c], m[p]] = [m[p], m[c]];
    for (let r = c + 1; r < n; r++) {
      const f = m[r][c] / m[c][c];
      for (let k = c; k <= n; k++) m[r][k] -= f * m[c][k];
    }
  }
  const x = new Array<number>(n).fill(0);
  for (let r = n - 1; r >= 0; r--) {
    let v = m[r][n];
    for (let k = r + 1; k < n; k++) v -= m[r][k] * x[k];
    x[r] = v / m[r][r];
  }
  return x;
}

/** The order system of one UniP/UniC update: R (rows r^0 … r^(p−1)), b, e^(−h) − 1 and B(h). */
function orderSystem(rks: readonly number[], h: number, bh1: boolean) {
  const hh = -h;
  const hPhi1 = Math.expm1(hh);
  const bH = bh1 ? hh : hPhi1;
  const p = rks.length;
  const R: number[][] = [];
  const b: number[] = [];
  let hPhiK = hPhi1 / hh - 1;
  let factorial = 1;
  for (let i = 1; i <= p; i++) {
    R.push(rks.map((r) => r ** (i - 1)));
    b.push((hPhiK * factorial) / bH);
    factorial *= i + 1;
    hPhiK = hPhiK / hh - 1 / factorial;
  }
  return { R, b, hPhi1, bH };
}

/**
 * (s_t/s_0)·x − a_t·(e^(−h) − 1)·m_0 − a_t·B(h)·Σ_k ρ_k·(m_k − m_0)/r_k: the shared form of
 * UniP (terms = older points) and UniC (terms = older points and the new one, r = 1).
 */
function uniUpdate(
  x: Tensor,
  from: NoiseLevel,
  to: NoiseLevel,
  m0: Tensor,
  terms: readonly { m: Tensor; r: number; rho: number }[],
  hPhi1: number,
  bH: number,
): Tensor {
  const keep = to.s / from.s;
  const gain = -to.a * hPhi1;
  const corr = -to.a * bH;
  const out = new Float32Array(x.data.length);
  const m0d = m0.data;
  for (let j = 0; j < out.length; j++) {
    let res = 0;
    for (const t of terms) res += (t.rho * (t.m.data[j] - m0d[j])) / t.r;
    out[j] = keep * x.data[j] + gain * m0d[j] + corr * res;
  }
  return x.like(out);
}

/** Older points usable at this update: finite λ (a zero-SNR level has none). */
function olderPoints(
  x0s: readonly Tensor[],
  lambdas: readonly number[],
  count: number,
): { m: Tensor; lambda: number }[] {
  const out: { m: Tensor; lambda: number }[] = [];
  for (let k = 0; k < count && k < x0s.length; k++) {
    if (!Number.isFinite(lambdas[k])) break;
    out.push({ m: x0s[k], lambda: lambdas[k] });
  }
  return out;
}

/** UniC: the previous step redone with the new evaluation m_t at its landing level. */
function correct(hist: UniPcHistory, level: NoiseLevel, mt: Tensor, bh1: boolean): Tensor {
  const m0 = hist.x0s[0];
  const l0 = hist.lambdas[0];
  const h = lambdaOf(level) - l0;
  const older = olderPoints(hist.x0s.slice(1), hist.lambdas.slice(1), hist.lastOrder - 1);
  const rks = [...older.map((o) => (o.lambda - l0) / h), 1];
  const { R, b, hPhi1, bH } = orderSystem(rks, h, bh1);
  const rho = rks.length === 1 ? [0.5] : solveSmall(R, b);
  const terms = [
    ...older.map((o, k) => ({ m: o.m, r: rks[k], rho: rho[k] })),
    { m: mt, r: 1, rho: rho[rho.length - 1] },
  ];
  return uniUpdate(hist.lastSample, hist.lastLevel, level, m0, terms, hPhi1, bH);
}

export function uniPcStep(opts: UniPcOptions = {}): SamplerStep<UniPcHistory> {
  const order = opts.order ?? 2;
  if (!Number.isInteger(order) || order < 1 || order > UNIPC_MAX_ORDER)
    throw new InvalidOptionError(
      `unipc order must be an integer in [1, ${UNIPC_MAX_ORDER}], got ${order}`,
    );
  const solverType = opts.solverType ?? 'bh2';
  if (solverType !== 'bh1' && solverType !== 'bh2')
    throw new InvalidOptionError(`unipc solver type must be bh1 or bh2, got ${String(solverType)}`);
  const bh1 = solverType === 'bh1';
  const lowerOrderFinal = opts.lowerOrderFinal ?? true;
  const noCorrector = new Set(opts.disableCorrector ?? []);
  const x0Processing = opts.x0Processing ?? NO_X0_PROCESSING;
  return {
    name: 'unipc',
    usesRenoiseEps: false,
    stochastic: false,
    step(input): StepOutput<UniPcHistory> {
      const { from, to, history } = input;
      assertSameShape(input.pred.x0, input.x, 'predicted x0 vs sample');
      const m0 = processX0(input.pred.x0, x0Processing);
      const taken = history?.taken ?? 0;
      const x = history && !noCorrector.has(taken - 1) ? correct(history, from, m0, bh1) : input.x;
      const x0s = [m0, ...(history?.x0s ?? [])].slice(0, order);
      const lambdas = [lambdaOf(from), ...(history?.lambdas ?? [])].slice(0, order);
      const left = lowerOrderFinal && opts.steps !== undefined ? opts.steps - taken : order;
      const h = lambdaOf(to) - lambdas[0];
      // A step into σ = 0 (h = ∞) or from zero SNR has no usable older points: first order.
      const wanted = Number.isFinite(h) ? Math.min(order, left, taken + 1) : 1;
      const older = olderPoints(x0s.slice(1), lambdas.slice(1), wanted - 1);
      const rks = older.map((o) => (o.lambda - lambdas[0]) / h);
      const { R, b, hPhi1, bH } = orderSystem([...rks, 1], h, bh1);
      const rho =
        rks.length === 0
          ? []
          : rks.length === 1
            ? [0.5]
            : solveSmall(
                R.slice(0, -1).map((row) => row.slice(0, -1)),
                b.slice(0, -1),
              );
      const terms = older.map((o, k) => ({ m: o.m, r: rks[k], rho: rho[k] }));
      const next = uniUpdate(x, from, to, m0, terms, hPhi1, bH);
      return {
        x: next,
        history: {
          x0s,
          lambdas,
          lastSample: x,
          lastLevel: from,
          lastOrder: Math.max(1, older.length + 1),
          taken: taken + 1,
        },
      };
    },
  };
}
