import { InvalidOptionError, NonFiniteError, ShapeError } from '../core/errors.js';
import { flatRows, rowCount, type Rows } from './rows.js';

export type { Rows };

/**
 * Fréchet distance between two feature sets (the "FID" of Heusel et al. 2017, on whatever
 * feature network the caller used): each set is summarised by its mean μ and covariance Σ,
 * and the distance is the squared 2-Wasserstein distance between the Gaussians with those
 * moments,
 *
 *     FD = |μ₁ − μ₂|² + tr Σ₁ + tr Σ₂ − 2 tr (Σ₁^{1/2} Σ₂ Σ₁^{1/2})^{1/2}.
 *
 * The trace term is computed without a general (non-symmetric) matrix square root: Σ₁^{1/2}
 * comes from a symmetric eigendecomposition of Σ₁, and M = Σ₁^{1/2} Σ₂ Σ₁^{1/2} is symmetric
 * positive semi-definite, so tr M^{1/2} = Σ √λᵢ(M) from a second symmetric eigendecomposition
 * (cyclic Jacobi: plenty for the 64×64 features here). Round-off can make tiny eigenvalues
 * negative; they are clamped to 0. Covariances use the unbiased 1/(n−1) normalisation, as
 * numpy's `np.cov` (the reference FID code) does. All arithmetic is float64.
 */

/** Mean and covariance of a set of rows. */
export interface Moments {
  readonly dim: number;
  /** Number of rows they were computed from. */
  readonly n: number;
  readonly mean: Float64Array;
  /** Row-major dim × dim, symmetric. */
  readonly cov: Float64Array;
}

export interface SymmetricEigen {
  /** Eigenvalues in decreasing order. */
  readonly values: Float64Array;
  /** Row-major n × n; column j (entries [i·n + j]) is the unit eigenvector of values[j]. */
  readonly vectors: Float64Array;
  /** Jacobi sweeps used. */
  readonly sweeps: number;
}

/** Mean and unbiased covariance (1/(n−1)) of rows of `dim` values; needs n ≥ 2. */
export function moments(x: Rows, dim: number, what = 'features'): Moments {
  const n = rowCount(x, dim, what);
  if (n < 2) throw new InvalidOptionError(`${what}: a covariance needs at least 2 rows, got ${n}`);
  const d = flatRows(x);
  const mean = new Float64Array(dim);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < dim; j++) mean[j] += d[i * dim + j];
  }
  for (let j = 0; j < dim; j++) mean[j] /= n;
  for (let j = 0; j < dim; j++) {
    if (!Number.isFinite(mean[j])) throw new NonFiniteError(`${what}: non-finite values`);
  }
  const cov = new Float64Array(dim * dim);
  const c = new Float64Array(dim);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < dim; j++) c[j] = d[i * dim + j] - mean[j];
    for (let a = 0; a < dim; a++) {
      const ca = c[a];
      if (ca === 0) continue;
      const row = a * dim;
      for (let b = a; b < dim; b++) cov[row + b] += ca * c[b];
    }
  }
  for (let a = 0; a < dim; a++) {
    for (let b = a; b < dim; b++) {
      const v = cov[a * dim + b] / (n - 1);
      cov[a * dim + b] = v;
      cov[b * dim + a] = v;
    }
  }
  return { dim, n, mean, cov };
}

/**
 * Eigendecomposition of a symmetric matrix (row-major n × n; only its symmetric part is
 * used) by the cyclic Jacobi method: sweeps of plane rotations that zero each off-diagonal
 * entry in turn, until the off-diagonal mass is below `tol` times the Frobenius norm.
 * Converges quadratically; 64×64 takes well under 15 sweeps.
 */
export function symmetricEigen(
  matrix: Float64Array | readonly number[],
  n: number,
  tol = 1e-14,
  maxSweeps = 100,
): SymmetricEigen {
  if (!Number.isInteger(n) || n < 1) throw new InvalidOptionError(`n must be ≥ 1, got ${n}`);
  if (matrix.length !== n * n)
    throw new ShapeError(`a ${n}×${n} matrix needs ${n * n} values, got ${matrix.length}`);
  const a = new Float64Array(n * n);
  let frob = 0;
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      const v = 0.5 * (matrix[i * n + j] + matrix[j * n + i]);
      if (!Number.isFinite(v)) throw new NonFiniteError('symmetricEigen: non-finite matrix entry');
      a[i * n + j] = v;
      frob += v * v;
    }
  }
  const v = new Float64Array(n * n);
  for (let i = 0; i < n; i++) v[i * n + i] = 1;
  const threshold = tol * tol * frob;
  let sweeps = 0;
  for (; sweeps < maxSweeps; sweeps++) {
    let off = 0;
    for (let p = 0; p < n; p++) for (let q = p + 1; q < n; q++) off += 2 * a[p * n + q] ** 2;
    if (off <= threshold) break;
    for (let p = 0; p < n - 1; p++) {
      for (let q = p + 1; q < n; q++) {
        const apq = a[p * n + q];
        if (apq === 0) continue;
        const app = a[p * n + p];
        const aqq = a[q * n + q];
        // Rotation angle that zeroes a[p][q] (Golub & Van Loan, Algorithm 8.5.1).
        const theta = (aqq - app) / (2 * apq);
        const t = Math.sign(theta || 1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
        const c = 1 / Math.sqrt(t * t + 1);
        const s = t * c;
        for (let k = 0; k < n; k++) {
          // Columns p and q: A ← A·J.
          const akp = a[k * n + p];
          const akq = a[k * n + q];
          a[k * n + p] = c * akp - s * akq;
          a[k * n + q] = s * akp + c * akq;
        }
        for (let k = 0; k < n; k++) {
          // Rows p and q: A ← Jᵀ·A.
          const apk = a[p * n + k];
          const aqk = a[q * n + k];
          a[p * n + k] = c * apk - s * aqk;
          a[q * n + k] = s * apk + c * aqk;
        }
        a[p * n + q] = 0;
        a[q * n + p] = 0;
        for (let k = 0; k < n; k++) {
          const vkp = v[k * n + p];
          const vkq = v[k * n + q];
          v[k * n + p] = c * vkp - s * vkq;
          v[k * n + q] = s * vkp + c * vkq;
        }
      }
    }
  }
  const order = Array.from({ length: n }, (_, i) => i).sort((i, j) => a[j * n + j] - a[i * n + i]);
  const values = new Float64Array(n);
  const vectors = new Float64Array(n * n);
  order.forEach((src, dst) => {
    values[dst] = a[src * n + src];
    for (let k = 0; k < n; k++) vectors[k * n + dst] = v[k * n + src];
  });
  return { values, vectors, sweeps };
}

/** The PSD square root V·diag(√max(λ, 0))·Vᵀ of a symmetric matrix. */
export function sqrtPsd(matrix: Float64Array | readonly number[], n: number): Float64Array {
  const { values, vectors } = symmetricEigen(matrix, n);
  const out = new Float64Array(n * n);
  for (let k = 0; k < n; k++) {
    const r = Math.sqrt(Math.max(0, values[k]));
    if (r === 0) continue;
    for (let i = 0; i < n; i++) {
      const vik = vectors[i * n + k] * r;
      if (vik === 0) continue;
      for (let j = 0; j < n; j++) out[i * n + j] += vik * vectors[j * n + k];
    }
  }
  return out;
}

/** C = A·B for row-major n × n matrices. */
function matmul(a: Float64Array, b: Float64Array, n: number): Float64Array {
  const c = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let k = 0; k < n; k++) {
      const aik = a[i * n + k];
      if (aik === 0) continue;
      for (let j = 0; j < n; j++) c[i * n + j] += aik * b[k * n + j];
    }
  }
  return c;
}

/** The Fréchet distance between two sets of moments (see the module comment). */
export function frechetDistance(x: Moments, y: Moments): number {
  if (x.dim !== y.dim) throw new ShapeError(`features of dimension ${x.dim} vs ${y.dim}`);
  const n = x.dim;
  let meanTerm = 0;
  for (let j = 0; j < n; j++) meanTerm += (x.mean[j] - y.mean[j]) ** 2;
  let traces = 0;
  for (let j = 0; j < n; j++) traces += x.cov[j * n + j] + y.cov[j * n + j];
  const s1h = sqrtPsd(x.cov, n);
  const m = matmul(matmul(s1h, y.cov, n), s1h, n);
  let cross = 0;
  for (const lambda of symmetricEigen(m, n).values) cross += Math.sqrt(Math.max(0, lambda));
  const fd = meanTerm + traces - 2 * cross;
  if (!Number.isFinite(fd)) throw new NonFiniteError('Fréchet distance is not finite');
  // Mathematically ≥ 0; round-off may give −1e-12 for identical sets.
  return Math.max(0, fd);
}

/** Fréchet distance between two sets of rows of `dim` features. */
export function frechetFromSamples(x: Rows, y: Rows, dim: number): number {
  return frechetDistance(
    moments(x, dim, 'first feature set'),
    moments(y, dim, 'second feature set'),
  );
}
