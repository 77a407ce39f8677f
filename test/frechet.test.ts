/**
 * The Fréchet distance (eval/frechet.ts) against closed forms: for Gaussians with diagonal
 * (or simultaneously diagonalisable) covariances FD = |μ₁ − μ₂|² + Σ (√λ₁ᵢ − √λ₂ᵢ)²; the
 * distance is invariant under a common rotation; FD(X, X) = 0; the Jacobi eigensolver
 * reconstructs its matrix.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { InvalidOptionError, NonFiniteError, ShapeError } from '../src/core/errors.js';
import {
  frechetDistance,
  frechetFromSamples,
  moments,
  sqrtPsd,
  symmetricEigen,
  type Moments,
} from '../src/eval/frechet.js';
import { RandomStream } from '../src/core/random.js';
import { Tensor } from '../src/core/tensor.js';

function diag(values: readonly number[]): Float64Array {
  const n = values.length;
  const m = new Float64Array(n * n);
  values.forEach((v, i) => (m[i * n + i] = v));
  return m;
}

function gaussian(mean: readonly number[], variances: readonly number[]): Moments {
  return { dim: mean.length, n: 0, mean: Float64Array.from(mean), cov: diag(variances) };
}

function matmul(a: Float64Array, b: Float64Array, n: number): Float64Array {
  const c = new Float64Array(n * n);
  for (let i = 0; i < n; i++)
    for (let k = 0; k < n; k++)
      for (let j = 0; j < n; j++) c[i * n + j] += a[i * n + k] * b[k * n + j];
  return c;
}

function transpose(a: Float64Array, n: number): Float64Array {
  const t = new Float64Array(n * n);
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) t[j * n + i] = a[i * n + j];
  return t;
}

/** A random orthogonal matrix (Gram–Schmidt on Gaussian columns). */
function randomRotation(n: number, rng: RandomStream): Float64Array {
  const q = new Float64Array(n * n);
  for (let j = 0; j < n; j++) {
    const v = Array.from({ length: n }, () => rng.normal());
    for (let k = 0; k < j; k++) {
      let dot = 0;
      for (let i = 0; i < n; i++) dot += v[i] * q[i * n + k];
      for (let i = 0; i < n; i++) v[i] -= dot * q[i * n + k];
    }
    const norm = Math.hypot(...v);
    for (let i = 0; i < n; i++) q[i * n + j] = v[i] / norm;
  }
  return q;
}

function maxAbs(a: Float64Array, b: Float64Array): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

describe('symmetric eigendecomposition (Jacobi)', () => {
  it('reconstructs a random 64×64 symmetric matrix with orthonormal vectors', () => {
    const n = 64;
    const rng = new RandomStream(7);
    const a = new Float64Array(n * n);
    for (let i = 0; i < n; i++)
      for (let j = i; j < n; j++) a[i * n + j] = a[j * n + i] = rng.normal();
    const { values, vectors, sweeps } = symmetricEigen(a, n);
    assert.ok(sweeps < 30, `${sweeps} sweeps`);
    for (let k = 1; k < n; k++) assert.ok(values[k - 1] >= values[k], 'sorted, decreasing');
    const vt = transpose(vectors, n);
    const back = matmul(matmul(vectors, diag(Array.from(values)), n), vt, n);
    assert.ok(maxAbs(back, a) < 1e-10, `V Λ Vᵀ ≠ A by ${maxAbs(back, a)}`);
    const eye = matmul(vt, vectors, n);
    assert.ok(maxAbs(eye, diag(new Array<number>(n).fill(1))) < 1e-12);
  });
  it('known eigenvalues of a 2×2 matrix and the PSD square root', () => {
    const { values } = symmetricEigen([2, 1, 1, 2], 2);
    assert.ok(Math.abs(values[0] - 3) < 1e-14 && Math.abs(values[1] - 1) < 1e-14);
    const r = sqrtPsd([2, 1, 1, 2], 2);
    const sq = matmul(r, r, 2);
    assert.ok(maxAbs(sq, Float64Array.from([2, 1, 1, 2])) < 1e-13);
  });
  it('rejects a wrong size and non-finite entries', () => {
    assert.throws(() => symmetricEigen([1, 2, 3], 2), ShapeError);
    assert.throws(() => symmetricEigen([1, NaN, NaN, 1], 2), NonFiniteError);
  });
});

describe('Fréchet distance: closed forms', () => {
  it('two Gaussians with diagonal covariances: |μ₁ − μ₂|² + Σ (σ₁ᵢ − σ₂ᵢ)²', () => {
    const m1 = [0, 1, -2, 0.5];
    const m2 = [1, 1, 0, -0.5];
    const v1 = [1, 4, 0.25, 9];
    const v2 = [4, 1, 1, 9];
    let want = 0;
    for (let i = 0; i < 4; i++)
      want += (m1[i] - m2[i]) ** 2 + (Math.sqrt(v1[i]) - Math.sqrt(v2[i])) ** 2;
    const fd = frechetDistance(gaussian(m1, v1), gaussian(m2, v2));
    assert.ok(Math.abs(fd - want) < 1e-10, `${fd} vs ${want}`);
  });
  it('is unchanged by a common rotation (full covariances) and symmetric', () => {
    const n = 64;
    const rng = new RandomStream(11);
    const v1 = Array.from({ length: n }, () => 0.1 + rng.uniform() * 3);
    const v2 = Array.from({ length: n }, () => 0.1 + rng.uniform() * 3);
    const m1 = Array.from({ length: n }, () => rng.normal());
    const m2 = Array.from({ length: n }, () => rng.normal());
    let want = 0;
    for (let i = 0; i < n; i++)
      want += (m1[i] - m2[i]) ** 2 + (Math.sqrt(v1[i]) - Math.sqrt(v2[i])) ** 2;
    const q = randomRotation(n, rng);
    const rotate = (m: readonly number[], v: readonly number[]): Moments => {
      const mean = new Float64Array(n);
      for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) mean[i] += q[i * n + j] * m[j];
      return { dim: n, n: 0, mean, cov: matmul(matmul(q, diag(v), n), transpose(q, n), n) };
    };
    const a = rotate(m1, v1);
    const b = rotate(m2, v2);
    const fd = frechetDistance(a, b);
    assert.ok(Math.abs(fd - want) < 1e-8 * want, `${fd} vs ${want}`);
    assert.ok(Math.abs(frechetDistance(b, a) - fd) < 1e-8 * want);
  });
  it('a singular covariance (rank-deficient features) is handled', () => {
    const fd = frechetDistance(gaussian([0, 0], [1, 0]), gaussian([0, 0], [0, 4]));
    assert.ok(Math.abs(fd - 5) < 1e-12, `${fd}`); // 1 + 4 − 2·tr(0)
  });
});

describe('Fréchet distance from samples', () => {
  const rows = (n: number, dim: number, seed: number, scale: readonly number[], shift = 0) => {
    const rng = new RandomStream(seed);
    const out = new Float32Array(n * dim);
    for (let i = 0; i < n; i++)
      for (let j = 0; j < dim; j++) out[i * dim + j] = shift + scale[j] * rng.normal();
    return out;
  };
  it('FD(X, X) ≈ 0', () => {
    const x = rows(500, 64, 1, new Array<number>(64).fill(1));
    assert.ok(frechetFromSamples(x, x, 64) < 1e-8);
  });
  it('moments are numpy.cov’s (unbiased)', () => {
    const m = moments(Float32Array.from([1, 2, 3, 6]), 2);
    assert.deepEqual(Array.from(m.mean), [2, 4]);
    assert.deepEqual(Array.from(m.cov), [2, 4, 4, 8]);
  });
  it('approaches the closed form as the samples grow', () => {
    const dim = 4;
    const x = rows(20000, dim, 2, [1, 2, 0.5, 1]);
    const y = rows(20000, dim, 3, [2, 1, 1, 1], 0.5);
    const want = 4 * 0.25 + 1 + 1 + 0.25 + 0;
    const fd = frechetFromSamples(x, y, dim);
    assert.ok(Math.abs(fd - want) < 0.1, `${fd} vs ${want}`);
  });
  it('accepts [n, dim] tensors and rejects bad shapes', () => {
    const t = new Tensor(rows(10, 3, 4, [1, 1, 1]), [10, 3]);
    assert.ok(frechetFromSamples(t, t, 3) < 1e-9);
    assert.throws(() => frechetFromSamples(t, t, 4), ShapeError);
    assert.throws(() => moments(new Float32Array(3), 3), InvalidOptionError);
    assert.throws(
      () => frechetDistance(moments(new Float32Array(6), 3), moments(new Float32Array(4), 2)),
      ShapeError,
    );
  });
});
