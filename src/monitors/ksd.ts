import { InvalidOptionError, NonFiniteError, ShapeError } from '../core/errors.js';

/**
 * Kernel Stein discrepancy (KSD) of a batch against a score field — the batch gap of
 * DiffIER (docs/diffier.md §1). Given samples x_1…x_n and the score s(x) = ∇ log π(x) of the target
 * evaluated at each sample, the unbiased U-statistic
 *
 *     KSD² = 1/(n(n−1)) · Σ_{i≠j} u(x_i, x_j)
 *     u(x,y) = s(x)·s(y)·k + s(x)·∇_y k + ∇_x k·s(y) + tr(∇_x∇_y k)
 *
 * estimates E_{x,y~p} u(x,y), which is 0 iff p = π (for a characteristic kernel such as
 * the IMQ below). Being unbiased, the estimate can be slightly negative when p ≈ π; it is
 * returned as is.
 *
 * Kernel: inverse multiquadric k(x,y) = (c² + |x−y|²)^(−1/2). With r = x − y and
 * q = c² + |r|² the closed forms are
 *
 *     k              = q^(−1/2)
 *     ∇_x k          = −r · q^(−3/2)
 *     ∇_y k          = +r · q^(−3/2)
 *     ∂²k/∂x_a∂y_b   = δ_ab · q^(−3/2) − 3 r_a r_b · q^(−5/2)
 *     tr(∇_x∇_y k)   = d · q^(−3/2) − 3|r|² · q^(−5/2)
 *
 * so that
 *
 *     u(x,y) = q^(−1/2) · s(x)·s(y) + q^(−3/2) · (r·(s(x) − s(y)) + d) − 3|r|² · q^(−5/2),
 *
 * which is symmetric in (x, y) (r → −r and s(x) ↔ s(y) leave r·(s(x)−s(y)) unchanged), so
 * only pairs i < j are evaluated and doubled.
 *
 * Bandwidth: c² is the median of the squared pairwise distances |x_i − x_j|², i < j, of
 * the items used (the usual median heuristic, which makes the statistic invariant to a
 * common rescaling of the data's units in the kernel); 1 if that median is 0 (e.g. a
 * collapsed batch), so the kernel stays finite.
 *
 * Cost: O(m²·d) time and O(m²) memory for m = min(n, maxItems) items.
 */

export type FloatArray = Float32Array | Float64Array;

export interface KsdOptions {
  /**
   * Use at most the first `maxItems` items of the batch (default 256). The cost is
   * quadratic in the number of items, so this caps the time per call.
   */
  maxItems?: number;
}

export const DEFAULT_KSD_MAX_ITEMS = 256;

/**
 * The Stein kernel u(x, y) for the IMQ kernel with bandwidth c² (see the module comment).
 * `x`, `y` are items and `sx`, `sy` their scores, all of the same length d.
 */
export function imqSteinKernel(
  x: ArrayLike<number>,
  sx: ArrayLike<number>,
  y: ArrayLike<number>,
  sy: ArrayLike<number>,
  c2: number,
): number {
  const d = x.length;
  if (y.length !== d || sx.length !== d || sy.length !== d) {
    throw new ShapeError(
      `imqSteinKernel: lengths x=${d}, s(x)=${sx.length}, y=${y.length}, s(y)=${sy.length} differ`,
    );
  }
  let r2 = 0;
  let ss = 0;
  let rds = 0;
  for (let a = 0; a < d; a++) {
    const r = x[a] - y[a];
    r2 += r * r;
    ss += sx[a] * sy[a];
    rds += r * (sx[a] - sy[a]);
  }
  return steinTerm(r2, ss, rds, d, c2);
}

/** u from the three pair sums |r|², s(x)·s(y), r·(s(x)−s(y)). */
function steinTerm(r2: number, ss: number, rds: number, d: number, c2: number): number {
  const q = c2 + r2;
  const k = 1 / Math.sqrt(q); // q^(−1/2)
  const k3 = k / q; // q^(−3/2)
  const k5 = k3 / q; // q^(−5/2)
  return k * ss + k3 * (rds + d) - 3 * r2 * k5;
}

/**
 * The IMQ bandwidth c²: the median squared pairwise distance of the `n` items (1 if that
 * median is 0), O(n²·dim). ksdSquared uses this on its first min(n, maxItems) items;
 * exposed so that callers and tests can rebuild the same kernel.
 */
export function kernelBandwidth(x: FloatArray, n: number, dim: number): number {
  checkShape(x, n, dim, 'x');
  return medianOrOne(pairwiseSquaredDistances(x, n, dim));
}

/**
 * Unbiased KSD² (U-statistic, IMQ kernel, median bandwidth) of the batch `x` — `n` items
 * of `dim` values, row-major — against the scores `scores` (same layout) of the target at
 * those items. Only the first `maxItems` items (default 256) are used; the cost is
 * O(m²·dim) for m = min(n, maxItems). Needs at least 2 items.
 */
export function ksdSquared(
  x: FloatArray,
  scores: FloatArray,
  n: number,
  dim: number,
  opts: KsdOptions = {},
): number {
  return new LinearFieldKsd(x, scores, undefined, n, dim, opts).against(1, 0);
}

/**
 * KSD² of one batch against every score field of the form s = α·e₁ + β·e₂, from a single
 * pass over the pairs. The Stein kernel needs only three pair sums — |r|², s_i·s_j and
 * r·(s_i − s_j) — and for a linear field these are quadratic and linear forms in (α, β)
 * of six sums over e₁ and e₂, so the pass stores those and each field is then O(m²).
 * The gap monitor scores the same iterates against the guided field −(ε_u + w(ε_c − ε_u))/s
 * and the conditional field −ε_c/s at every step: one pass, no copies of the batch.
 */
export class LinearFieldKsd {
  private readonly m: number;
  private readonly c2: number;
  /** Per pair i < j: |r|², e₁·e₁, e₂·e₂, e₁ᵢ·e₂ⱼ + e₂ᵢ·e₁ⱼ, r·(e₁ᵢ − e₁ⱼ), r·(e₂ᵢ − e₂ⱼ). */
  private readonly sums: Float64Array;

  constructor(
    x: FloatArray,
    e1: FloatArray,
    e2: FloatArray | undefined,
    n: number,
    private readonly dim: number,
    opts: KsdOptions = {},
  ) {
    checkShape(x, n, dim, 'x');
    checkShape(e1, n, dim, 'scores');
    if (e2) checkShape(e2, n, dim, 'scores');
    const maxItems = opts.maxItems ?? DEFAULT_KSD_MAX_ITEMS;
    if (!Number.isInteger(maxItems) || maxItems < 2) {
      throw new InvalidOptionError(`ksd maxItems must be an integer ≥ 2, got ${maxItems}`);
    }
    const m = Math.min(n, maxItems);
    if (m < 2) throw new InvalidOptionError(`KSD needs a batch of at least 2 items, got ${n}`);
    this.m = m;
    // A missing e₂ is a zero field: its sums stay 0 and only α matters.
    this.sums = pairSums(x, e1, e2 ?? new Float32Array(e1.length), m, dim);
    for (let p = 0; p < this.sums.length; p++) {
      if (!Number.isFinite(this.sums[p])) {
        const what = p % 6 === 0 ? 'x' : 'scores';
        throw new NonFiniteError(`ksd: ${what} contains a non-finite value`);
      }
    }
    const pairs = (m * (m - 1)) / 2;
    const r2 = new Float64Array(pairs);
    for (let p = 0; p < pairs; p++) r2[p] = this.sums[6 * p];
    this.c2 = medianOrOne(r2);
  }

  /** KSD² against the field α·e₁ + β·e₂. */
  against(alpha: number, beta: number): number {
    const { m, dim, c2, sums } = this;
    const pairs = (m * (m - 1)) / 2;
    let sum = 0;
    for (let p = 0, o = 0; p < pairs; p++, o += 6) {
      const ss =
        alpha * alpha * sums[o + 1] + beta * beta * sums[o + 2] + alpha * beta * sums[o + 3];
      const rds = alpha * sums[o + 4] + beta * sums[o + 5];
      sum += steinTerm(sums[o], ss, rds, dim, c2);
    }
    // Σ_{i≠j} = 2 Σ_{i<j} by symmetry of u.
    return (2 * sum) / (m * (m - 1));
  }
}

/** Per pair i < j the six sums of LinearFieldKsd, one pass over the items. */
function pairSums(
  x: FloatArray,
  e1: FloatArray,
  e2: FloatArray,
  m: number,
  dim: number,
): Float64Array {
  const out = new Float64Array(3 * m * (m - 1));
  let o = 0;
  for (let i = 0; i < m; i++) {
    const oi = i * dim;
    for (let j = i + 1; j < m; j++, o += 6) {
      const oj = j * dim;
      let r2 = 0;
      let aa = 0;
      let bb = 0;
      let ab = 0;
      let ra = 0;
      let rb = 0;
      for (let k = 0; k < dim; k++) {
        const r = x[oi + k] - x[oj + k];
        const ai = e1[oi + k];
        const aj = e1[oj + k];
        const bi = e2[oi + k];
        const bj = e2[oj + k];
        r2 += r * r;
        aa += ai * aj;
        bb += bi * bj;
        ab += ai * bj + bi * aj;
        ra += r * (ai - aj);
        rb += r * (bi - bj);
      }
      out[o] = r2;
      out[o + 1] = aa;
      out[o + 2] = bb;
      out[o + 3] = ab;
      out[o + 4] = ra;
      out[o + 5] = rb;
    }
  }
  return out;
}

function checkShape(a: FloatArray, n: number, dim: number, what: string): void {
  if (!Number.isInteger(n) || n < 0 || !Number.isInteger(dim) || dim < 1) {
    throw new ShapeError(`ksd: invalid batch ${n} × dim ${dim}`);
  }
  if (a.length !== n * dim) {
    throw new ShapeError(`ksd: ${what} has ${a.length} values, expected ${n} × ${dim}`);
  }
}

/** |x_i − x_j|² for i < j, in row order (i = 0: j = 1…m−1; i = 1: j = 2…; …). */
function pairwiseSquaredDistances(xs: FloatArray, m: number, dim: number): Float64Array {
  const out = new Float64Array((m * (m - 1)) / 2);
  let p = 0;
  for (let i = 0; i < m; i++) {
    const oi = i * dim;
    for (let j = i + 1; j < m; j++, p++) {
      const oj = j * dim;
      let s = 0;
      for (let a = 0; a < dim; a++) {
        const r = xs[oi + a] - xs[oj + a];
        s += r * r;
      }
      out[p] = s;
    }
  }
  return out;
}

function medianOrOne(values: Float64Array): number {
  const len = values.length;
  if (len === 0) return 1;
  // Selection instead of a full sort: O(len) expected rather than O(len log len), and
  // len = m(m−1)/2 is the largest array here.
  const work = values.slice();
  const hi = selectKth(work, len >> 1);
  const med = len % 2 === 1 ? hi : 0.5 * (maxOfPrefix(work, len >> 1) + hi);
  return med > 0 ? med : 1;
}

/**
 * Hoare's quickselect: reorders `a` so that a[k] is the k-th smallest value, everything
 * before it ≤ a[k] and everything after it ≥ a[k]; returns a[k]. Median-of-three pivots.
 */
function selectKth(a: Float64Array, k: number): number {
  let lo = 0;
  let hi = a.length - 1;
  while (hi > lo) {
    const mid = (lo + hi) >> 1;
    // Median of a[lo], a[mid], a[hi] as pivot: no quadratic case on sorted input.
    const x = a[lo];
    const y = a[mid];
    const z = a[hi];
    const pivot = x < y ? (y < z ? y : x < z ? z : x) : x < z ? x : y < z ? z : y;
    let i = lo;
    let j = hi;
    while (i <= j) {
      while (a[i] < pivot) i++;
      while (a[j] > pivot) j--;
      if (i <= j) {
        const t = a[i];
        a[i] = a[j];
        a[j] = t;
        i++;
        j--;
      }
    }
    // Now a[lo..j] ≤ pivot ≤ a[i..hi], and everything strictly between j and i equals pivot.
    if (k <= j) hi = j;
    else if (k >= i) lo = i;
    else return a[k];
  }
  return a[k];
}

/** Largest of a[0..k): after selectKth(a, k) these are the k smallest values. */
function maxOfPrefix(a: Float64Array, k: number): number {
  let m = -Infinity;
  for (let i = 0; i < k; i++) if (a[i] > m) m = a[i];
  return m;
}
