/**
 * Characteristic guidance (Zheng & Lan, "Characteristic Guidance: Non-linear Correction for
 * Diffusion Model at Large Guidance Scale", ICML 2024, arXiv 2312.07586). CFG combines the
 * two predictions at the same point, which respects the Fokker–Planck equation of the
 * guided process only when ε_c − ε_u does not depend on x. Characteristic guidance
 * evaluates them at points shifted along the characteristics by a correction Δx, found per
 * step as the fixed point (in diffusers' w, 1 = no guidance; the paper's w is w − 1):
 *
 *     Δx = P[ s_t·(ε_u(x + w·Δx) − ε_c(x + (w − 1)·Δx)) ]
 *     ε  = ε_u(x + w·Δx) + w·(ε_c(x + (w − 1)·Δx) − ε_u(x + w·Δx))
 *
 * (the authors' released code evaluates the conditional side at x + (w−1)Δx and the
 * unconditional at x + wΔx, with s_t = √(1 − ᾱ_t) in this VP parametrisation). Δx = 0 is
 * plain CFG, and for two Gaussians of one covariance ε_u − ε_c is constant, Δx is constant,
 * and ε is CFG's again: the correction is the non-linear part.
 *
 * The fixed point is solved per sample with Anderson acceleration (type II, memory m, mixing
 * β), stopping when the RMS of the residual r = Δx − P[…] is below `tol` or after `maxIter`
 * iterations. As in the authors' code, a sample that has not converged falls back to CFG at
 * that step (Δx = 0). P is the identity (`projection: 'none'`) or, as the authors' web UI
 * does by default, the projection onto the sample's CFG direction d = F(0)/|F(0)|
 * (`'direction'`: one coefficient per sample, a scalar fixed point that converges in a few
 * iterations), both with an optional ridge as the web UI's least-squares projection has:
 * P(v) = Π(v)/(1 + reg). reg = 0 (the default) is the paper's equation; reg > 0 damps the
 * correction and makes the map contractive where it is not (at high noise, large w).
 *
 * Cost per step: 2 evaluations for iteration 0 (CFG at x), then 3 per iteration: the
 * conditional at x + (w−1)Δx (1) and the unconditional at x + wΔx, which the Denoiser
 * contract can only ask for together with a conditional (2). Iterations continue while any
 * sample of the batch is unconverged; a converged sample's Δx is frozen, so a sample's result
 * does not depend on the batch (its cost does). `--nfe` planning counts the worst case
 * (every step runs maxIter iterations), so a planned run never exceeds its budget.
 */
import { InvalidOptionError } from '../core/errors.js';
import type { GuidedPrediction } from '../core/guidance.js';
import { x0FromEps } from '../core/convert.js';
import { completeStep } from '../core/step.js';
import type { Transition, TransitionWrapper } from '../core/transition.js';
import type { Tensor } from '../core/tensor.js';

export type CharacteristicProjection = 'none' | 'direction';

export interface CharacteristicOptions {
  /** Iterations after the CFG evaluation (0 = CFG); default 3. */
  readonly maxIter?: number;
  /** Stop when the residual's RMS (x units) is below this; default 1e-3. */
  readonly tol?: number;
  /** Anderson memory m (0 = plain fixed-point iteration); default 2. */
  readonly memory?: number;
  /** Mixing β of the update Δ ← Δ − β·r (before the Anderson correction); default 1. */
  readonly stepSize?: number;
  /** The projection P; default 'direction'. */
  readonly projection?: CharacteristicProjection;
  /** Ridge of the projection, P(v) = Π(v)/(1 + reg) (the authors' regulariser); default 0. */
  readonly reg?: number;
  /** Run every iteration whatever the residual (used to count the worst case). */
  readonly exhaustive?: boolean;
  /** Called after every step's solve (diagnostics, tests). */
  readonly onSolve?: (info: CharacteristicSolve) => void;
}

/** What one step's solve did, per sample. */
export interface CharacteristicSolve {
  readonly step: number;
  /** Iterations used by each sample (0 when it was unguided or converged at Δx = 0). */
  readonly iterations: readonly number[];
  /** RMS residual at Δx = 0 (what CFG leaves). */
  readonly residualBefore: readonly number[];
  /** RMS residual of the accepted Δx (before, for a sample that fell back to CFG). */
  readonly residualAfter: readonly number[];
  readonly converged: readonly boolean[];
  /** The accepted correction Δx of each sample; null where the step is CFG's (Δx = 0). */
  readonly corrections: readonly (Float64Array | null)[];
}

export const CHARACTERISTIC_DEFAULTS = {
  maxIter: 3,
  tol: 1e-3,
  memory: 2,
  stepSize: 1,
  projection: 'direction' as CharacteristicProjection,
  reg: 0,
};

// Over 80 lines on purpose: the returned transition is the method's whole step (the CFG
// evaluation, the fixed-point iteration on Δx with Anderson mixing, three evaluations per
// iteration, the per-sample acceptance) and reads top to bottom against the paper; split,
// its parts would pass the same dozen per-sample arrays back and forth.
export function characteristic(options: CharacteristicOptions = {}): TransitionWrapper {
  const o = { ...CHARACTERISTIC_DEFAULTS, ...options };
  if (!Number.isInteger(o.maxIter) || o.maxIter < 0)
    throw new InvalidOptionError(`characteristic maxIter must be an integer ≥ 0, got ${o.maxIter}`);
  if (!(o.tol > 0)) throw new InvalidOptionError(`characteristic tol must be > 0, got ${o.tol}`);
  if (!Number.isInteger(o.memory) || o.memory < 0)
    throw new InvalidOptionError(`characteristic memory must be an integer ≥ 0, got ${o.memory}`);
  if (!(o.stepSize > 0) || !Number.isFinite(o.stepSize))
    throw new InvalidOptionError(`characteristic stepSize must be finite and > 0`);
  if (o.projection !== 'none' && o.projection !== 'direction')
    throw new InvalidOptionError(`characteristic projection must be none or direction`);
  if (!(o.reg >= 0) || !Number.isFinite(o.reg))
    throw new InvalidOptionError(`characteristic reg must be finite and ≥ 0`);

  return (_inner: Transition): Transition =>
    async (ctx) => {
      const { x, from, to } = ctx;
      const pred0 = await ctx.guide(x, from, to);
      const batch = x.batch;
      const n = x.itemSize;
      const s = from.s;
      const weights = pred0.weights;
      const u0 = pred0.raw.uncond;
      const c0 = pred0.raw.cond;

      const iterations = new Array<number>(batch).fill(0);
      const before = new Array<number>(batch).fill(0);
      const after = new Array<number>(batch).fill(0);
      const converged = new Array<boolean>(batch).fill(false);
      const active = new Array<boolean>(batch).fill(false);
      const solvers: ItemSolver[] = [];
      const dirs: (Float64Array | undefined)[] = [];

      if (u0) {
        for (let i = 0; i < batch; i++) {
          if (weights[i] === 1) {
            converged[i] = true; // unguided: CFG is the conditional, nothing to correct
            continue;
          }
          const f0 = new Float64Array(n);
          for (let j = 0; j < n; j++) f0[j] = s * (u0.data[i * n + j] - c0.data[i * n + j]);
          let dir: Float64Array | undefined;
          if (o.projection === 'direction') {
            let ss = 0;
            for (let j = 0; j < n; j++) ss += f0[j] * f0[j];
            const norm = Math.sqrt(ss);
            dir = norm > 0 ? f0.map((v) => v / norm) : new Float64Array(n);
          }
          dirs[i] = dir;
          const r0 = project(f0, dir, o.reg).map((v) => -v);
          before[i] = rms(r0);
          after[i] = before[i];
          solvers[i] = new ItemSolver(n, o.memory, o.stepSize);
          solvers[i].push(new Float64Array(n), r0);
          if (before[i] < o.tol) converged[i] = true;
          else active[i] = true;
        }
      }

      // Accepted evaluations of converged samples (cond at x+(w−1)Δ, uncond at x+wΔ).
      const acceptedC: (Float64Array | undefined)[] = [];
      const acceptedU: (Float64Array | undefined)[] = [];
      const corrections = new Array<Float64Array | null>(batch).fill(null);
      let iter = 0;
      while (u0 && iter < o.maxIter && (o.exhaustive || active.some(Boolean))) {
        iter++;
        const deltas = solvers.map((sv, i) => (sv && active[i] ? sv.next() : sv?.current()));
        const xc = new Float32Array(x.data.length);
        const xu = new Float32Array(x.data.length);
        for (let i = 0; i < batch; i++) {
          const d = deltas[i];
          const wi = weights[i];
          for (let j = i * n; j < (i + 1) * n; j++) {
            const dj = d ? d[j - i * n] : 0;
            xc[j] = x.data[j] + (wi - 1) * dj;
            xu[j] = x.data[j] + wi * dj;
          }
        }
        const pc = await ctx.predict(x.like(xc), from, 'cond');
        const pu = await ctx.predict(x.like(xu), from, 'both');
        const cd = pc.cond.data;
        const ud = (pu.uncond as Tensor).data;
        for (let i = 0; i < batch; i++) {
          if (!active[i]) continue;
          const d = deltas[i] as Float64Array;
          const f = new Float64Array(n);
          for (let j = 0; j < n; j++) f[j] = s * (ud[i * n + j] - cd[i * n + j]);
          const pf = project(f, dirs[i], o.reg);
          const r = new Float64Array(n);
          for (let j = 0; j < n; j++) r[j] = d[j] - pf[j];
          const res = rms(r);
          solvers[i].push(d, r);
          iterations[i] = iter;
          if (res < o.tol) {
            converged[i] = true;
            active[i] = false;
            after[i] = res;
            acceptedC[i] = Float64Array.from(cd.subarray(i * n, (i + 1) * n));
            acceptedU[i] = Float64Array.from(ud.subarray(i * n, (i + 1) * n));
            corrections[i] = d;
          }
        }
      }

      let pred: GuidedPrediction = pred0;
      if (acceptedC.some(Boolean)) {
        const eps = new Float32Array(pred0.eps.data);
        for (let i = 0; i < batch; i++) {
          const c = acceptedC[i];
          const u = acceptedU[i];
          if (!c || !u) continue;
          const wi = weights[i];
          for (let j = 0; j < n; j++) eps[i * n + j] = u[j] + wi * (c[j] - u[j]);
        }
        const epsT = x.like(eps);
        pred = { eps: epsT, x0: x0FromEps(x, epsT, from), raw: pred0.raw, weights };
      }
      o.onSolve?.({
        step: ctx.i,
        iterations,
        residualBefore: before,
        residualAfter: after,
        converged,
        corrections,
      });
      const out = await completeStep(
        ctx.sampler,
        {
          x,
          from,
          to,
          pred,
          rng: ctx.rng,
          history: ctx.history,
        },
        (xx, level) => ctx.guide(xx, level, to),
      );
      return { x: out.x, history: out.history, xIn: x, pred };
    };
}

function rms(v: Float64Array): number {
  if (v.length === 0) return 0;
  let ss = 0;
  for (let j = 0; j < v.length; j++) ss += v[j] * v[j];
  return Math.sqrt(ss / v.length);
}

/** P(v): v/(1 + reg), or d⟨d, v⟩/(1 + reg) for a unit direction d. */
function project(v: Float64Array, dir: Float64Array | undefined, reg: number): Float64Array {
  if (!dir) return reg === 0 ? v : v.map((x) => x / (1 + reg));
  let dot = 0;
  for (let j = 0; j < v.length; j++) dot += dir[j] * v[j];
  const c = dot / (1 + reg);
  return dir.map((d) => d * c);
}

/**
 * Anderson acceleration (type II) of the fixed-point iteration Δ ← Δ − β·r(Δ) for one
 * sample: with the last m differences ΔX, ΔR of iterates and residuals,
 * γ = argmin ‖r_k − ΔR·γ‖ and Δ_{k+1} = Δ_k − β·r_k − (ΔX − β·ΔR)·γ.
 */
class ItemSolver {
  private readonly xs: Float64Array[] = [];
  private readonly rs: Float64Array[] = [];

  constructor(
    private readonly n: number,
    private readonly memory: number,
    private readonly beta: number,
  ) {}

  push(x: Float64Array, r: Float64Array): void {
    this.xs.push(x);
    this.rs.push(r);
    if (this.xs.length > this.memory + 1) {
      this.xs.shift();
      this.rs.shift();
    }
  }

  current(): Float64Array {
    return this.xs[this.xs.length - 1];
  }

  next(): Float64Array {
    const k = this.xs.length - 1;
    const xk = this.xs[k];
    const rk = this.rs[k];
    const out = new Float64Array(this.n);
    for (let j = 0; j < this.n; j++) out[j] = xk[j] - this.beta * rk[j];
    const m = k; // differences available (≤ memory)
    if (m === 0) return out;
    const dR: Float64Array[] = [];
    const dX: Float64Array[] = [];
    for (let p = 0; p < m; p++) {
      dR.push(this.rs[p + 1].map((v, j) => v - this.rs[p][j]));
      dX.push(this.xs[p + 1].map((v, j) => v - this.xs[p][j]));
    }
    const gamma = leastSquares(dR, rk);
    for (let p = 0; p < m; p++) {
      const g = gamma[p];
      if (g === 0) continue;
      for (let j = 0; j < this.n; j++) out[j] -= g * (dX[p][j] - this.beta * dR[p][j]);
    }
    return out;
  }
}

/** argmin_γ ‖b − Σ_p γ_p·a_p‖ by the normal equations with a tiny ridge (m ≤ a few). */
function leastSquares(a: Float64Array[], b: Float64Array): number[] {
  const m = a.length;
  const g = Array.from({ length: m }, () => new Array<number>(m).fill(0));
  const rhs = new Array<number>(m).fill(0);
  let trace = 0;
  for (let p = 0; p < m; p++) {
    for (let q = p; q < m; q++) {
      let sum = 0;
      for (let j = 0; j < b.length; j++) sum += a[p][j] * a[q][j];
      g[p][q] = sum;
      g[q][p] = sum;
    }
    trace += g[p][p];
    let sb = 0;
    for (let j = 0; j < b.length; j++) sb += a[p][j] * b[j];
    rhs[p] = sb;
  }
  if (!(trace > 0)) return new Array<number>(m).fill(0);
  const ridge = 1e-12 * trace;
  for (let p = 0; p < m; p++) g[p][p] += ridge;
  // Gaussian elimination with partial pivoting.
  const aug = g.map((row, p) => [...row, rhs[p]]);
  for (let col = 0; col < m; col++) {
    let piv = col;
    for (let r = col + 1; r < m; r++) if (Math.abs(aug[r][col]) > Math.abs(aug[piv][col])) piv = r;
    [aug[col], aug[piv]] = [aug[piv], aug[col]];
    const d = aug[col][col];
    if (d === 0) return new Array<number>(m).fill(0);
    for (let r = col + 1; r < m; r++) {
      const f = aug[r][col] / d;
      for (let c = col; c <= m; c++) aug[r][c] -= f * aug[col][c];
    }
  }
  const x = new Array<number>(m).fill(0);
  for (let r = m - 1; r >= 0; r--) {
    let sum = aug[r][m];
    for (let c = r + 1; c < m; c++) sum -= aug[r][c] * x[c];
    x[r] = sum / aug[r][r];
  }
  return x.every(Number.isFinite) ? x : new Array<number>(m).fill(0);
}
