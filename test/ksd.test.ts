import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import {
  imqSteinKernel,
  kernelBandwidth,
  ksdSquared,
  LinearFieldKsd,
} from '../src/monitors/ksd.js';
import { InvalidOptionError, NonFiniteError, ShapeError } from '../src/core/errors.js';
import { BatchRandom } from '../src/core/random.js';

/** n standard-normal items of dimension d, row-major. */
function normals(seed: number, n: number, d: number): Float32Array {
  return new BatchRandom(seed, n).normal([n, d]).data;
}

/** Score of N(μ·e_1, I) at each item: −(x − μ e_1). μ = 0 is the samples' own score. */
function shiftedScore(x: Float32Array, d: number, mu: number): Float64Array {
  const s = new Float64Array(x.length);
  for (let i = 0; i < x.length; i++) s[i] = -(x[i] - (i % d === 0 ? mu : 0));
  return s;
}

function meanAndSd(v: readonly number[]): { mean: number; sd: number } {
  const mean = v.reduce((a, b) => a + b, 0) / v.length;
  const sd = Math.sqrt(v.reduce((a, b) => a + (b - mean) ** 2, 0) / (v.length - 1));
  return { mean, sd };
}

function assertClose(actual: number, expected: number, rel: number, what: string): void {
  const tol = rel * Math.max(1, Math.abs(expected));
  assert.ok(
    Math.abs(actual - expected) <= tol,
    `${what}: ${actual} vs ${expected} (tolerance ${tol})`,
  );
}

/** The IMQ kernel itself, for finite differences. */
function imq(x: number[], y: number[], c2: number): number {
  let r2 = 0;
  for (let a = 0; a < x.length; a++) r2 += (x[a] - y[a]) ** 2;
  return 1 / Math.sqrt(c2 + r2);
}

describe('imqSteinKernel', () => {
  it('matches u(x,y) built from finite-difference derivatives of k', () => {
    // Checks the closed forms (∇_x k, ∇_y k, tr ∇_x∇_y k) independently of their derivation.
    const d = 3;
    const rnd = new BatchRandom(11, 4).normal([4, d]).toRows();
    const [x, y, sx, sy] = rnd;
    const h = 1e-4;
    for (const c2 of [0.3, 1, 4]) {
      let u = imq(x, y, c2) * sx.reduce((acc, v, a) => acc + v * sy[a], 0);
      for (let a = 0; a < d; a++) {
        const xp = x.slice();
        const xm = x.slice();
        const yp = y.slice();
        const ym = y.slice();
        xp[a] += h;
        xm[a] -= h;
        yp[a] += h;
        ym[a] -= h;
        const dkdx = (imq(xp, y, c2) - imq(xm, y, c2)) / (2 * h);
        const dkdy = (imq(x, yp, c2) - imq(x, ym, c2)) / (2 * h);
        const d2k =
          (imq(xp, yp, c2) - imq(xp, ym, c2) - imq(xm, yp, c2) + imq(xm, ym, c2)) / (4 * h * h);
        u += sx[a] * dkdy + dkdx * sy[a] + d2k;
      }
      assertClose(imqSteinKernel(x, sx, y, sy, c2), u, 1e-6, `u at c²=${c2}`);
    }
  });

  it('is symmetric: u(x,y) = u(y,x)', () => {
    const d = 5;
    for (let seed = 0; seed < 20; seed++) {
      const [x, y, sx, sy] = new BatchRandom(seed, 4).normal([4, d]).toRows();
      const c2 = 0.5 + seed / 10;
      const uxy = imqSteinKernel(x, sx, y, sy, c2);
      const uyx = imqSteinKernel(y, sy, x, sx, c2);
      assertClose(uyx, uxy, 1e-14, `seed ${seed}`);
    }
  });
});

describe('kernelBandwidth', () => {
  it('is the median squared pairwise distance', () => {
    // 1-D points 0, 1, 3: squared distances 1, 9, 4 → median 4.
    assert.equal(kernelBandwidth(new Float64Array([0, 1, 3]), 3, 1), 4);
    // 0, 1, 3, 7: 1, 9, 49, 4, 36, 16 → median (9 + 16)/2.
    assert.equal(kernelBandwidth(new Float64Array([0, 1, 3, 7]), 4, 1), 12.5);
  });

  it('agrees with a sort-based median on random data with ties', () => {
    for (const [seed, n, d] of [
      [1, 7, 2],
      [2, 8, 3],
      [3, 40, 1],
      [4, 41, 4],
    ]) {
      // Round to a coarse grid so many distances tie.
      const x = normals(seed, n, d).map((v) => Math.round(v * 2) / 2);
      const dist: number[] = [];
      for (let i = 0; i < n; i++) {
        for (let j = i + 1; j < n; j++) {
          let s = 0;
          for (let a = 0; a < d; a++) s += (x[i * d + a] - x[j * d + a]) ** 2;
          dist.push(s);
        }
      }
      dist.sort((a, b) => a - b);
      const m = dist.length >> 1;
      const med = dist.length % 2 === 1 ? dist[m] : (dist[m - 1] + dist[m]) / 2;
      assert.equal(kernelBandwidth(x, n, d), med > 0 ? med : 1, `n=${n} d=${d}`);
    }
  });

  it('falls back to 1 when the median distance is 0', () => {
    assert.equal(kernelBandwidth(new Float64Array([2, 2, 2, 2, 2, 5]), 6, 1), 1);
  });
});

describe('ksdSquared', () => {
  it('equals the Σ_{i≠j} definition evaluated pair by pair', () => {
    const n = 9;
    const d = 3;
    const x = normals(5, n, d);
    const s = shiftedScore(x, d, 0.7);
    const c2 = kernelBandwidth(x, n, d);
    let sum = 0;
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < n; j++) {
        if (i === j) continue;
        sum += imqSteinKernel(
          x.subarray(i * d, (i + 1) * d),
          s.subarray(i * d, (i + 1) * d),
          x.subarray(j * d, (j + 1) * d),
          s.subarray(j * d, (j + 1) * d),
          c2,
        );
      }
    }
    assertClose(ksdSquared(x, s, n, d), sum / (n * (n - 1)), 1e-12, 'KSD²');
  });

  it('is ≈ 0 for samples scored with their own score', () => {
    // Under the null the U-statistic is unbiased with mean 0, so over independent seeds
    // the mean estimate must be within a few standard errors of 0. (The data-driven
    // bandwidth makes it only approximately unbiased; the bias is far below the SE here.)
    const n = 64;
    const d = 2;
    const seeds = 40;
    const values: number[] = [];
    for (let seed = 0; seed < seeds; seed++) {
      const x = normals(100 + seed, n, d);
      values.push(ksdSquared(x, shiftedScore(x, d, 0), n, d));
    }
    const { mean, sd } = meanAndSd(values);
    const se = sd / Math.sqrt(seeds);
    assert.ok(Math.abs(mean) < 4 * se, `mean ${mean} vs standard error ${se}`);
    // The null statistic is degenerate (fluctuations O(1/n)); a score error would not be.
    assert.ok(sd < 0.05, `null standard deviation ${sd}`);
  });

  it('is clearly positive for a shifted score and grows with the shift', () => {
    const n = 128;
    const d = 2;
    const nullValues: number[] = [];
    for (let seed = 0; seed < 20; seed++) {
      const x = normals(200 + seed, n, d);
      nullValues.push(ksdSquared(x, shiftedScore(x, d, 0), n, d));
    }
    const { sd } = meanAndSd(nullValues);
    const x = normals(7, n, d);
    const shifts = [0.25, 0.5, 1, 2];
    const values = shifts.map((mu) => ksdSquared(x, shiftedScore(x, d, mu), n, d));
    assert.ok(values[1] > 10 * sd, `KSD² at μ=0.5 is ${values[1]}, null sd ${sd}`);
    for (let i = 1; i < values.length; i++) {
      assert.ok(values[i] > values[i - 1], `KSD² not increasing: ${values.join(', ')}`);
    }
  });

  it('obeys the exact quadratic law of a constant score shift', () => {
    // With s_μ = s_0 + μ: u_μ(x,y) = u_0 + μ·(terms linear in μ) + |μ|² k(x,y), so
    // KSD²(μ) + KSD²(−μ) − 2·KSD²(0) = 2|μ|² · 1/(n(n−1)) Σ_{i≠j} k(x_i, x_j), exactly.
    const n = 50;
    const d = 4;
    const mu = 0.8;
    const x = normals(9, n, d);
    const c2 = kernelBandwidth(x, n, d);
    let kbar = 0;
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < n; j++) {
        if (i === j) continue;
        kbar += imq(
          Array.from(x.subarray(i * d, (i + 1) * d)),
          Array.from(x.subarray(j * d, (j + 1) * d)),
          c2,
        );
      }
    }
    kbar /= n * (n - 1);
    const k = (m: number): number => ksdSquared(x, shiftedScore(x, d, m), n, d);
    assertClose(k(mu) + k(-mu) - 2 * k(0), 2 * mu * mu * kbar, 1e-9, 'second difference');
  });

  it('does not depend on the order of the items', () => {
    const n = 60;
    const d = 3;
    const x = normals(21, n, d);
    const s = shiftedScore(x, d, 0.4);
    // A fixed permutation: i → (7i + 3) mod n (7 and 60 are coprime).
    const px = new Float32Array(x.length);
    const ps = new Float64Array(s.length);
    for (let i = 0; i < n; i++) {
      const j = (7 * i + 3) % n;
      px.set(x.subarray(i * d, (i + 1) * d), j * d);
      ps.set(s.subarray(i * d, (i + 1) * d), j * d);
    }
    assertClose(ksdSquared(px, ps, n, d), ksdSquared(x, s, n, d), 1e-12, 'permuted');
  });

  it('uses only the first maxItems items', () => {
    const n = 30;
    const d = 2;
    const x = normals(3, n, d);
    const s = shiftedScore(x, d, 1);
    const m = 12;
    assert.equal(
      ksdSquared(x, s, n, d, { maxItems: m }),
      ksdSquared(x.subarray(0, m * d), s.subarray(0, m * d), m, d),
    );
    assert.notEqual(ksdSquared(x, s, n, d, { maxItems: m }), ksdSquared(x, s, n, d));
  });

  it('accepts float32 and float64 input alike', () => {
    const n = 20;
    const d = 3;
    const x = normals(4, n, d);
    const s = shiftedScore(x, d, 0.5);
    // Values are read as doubles inside, so the same values give the same result.
    const s32 = Float32Array.from(s);
    assert.equal(
      ksdSquared(Float64Array.from(x), s32, n, d),
      ksdSquared(x, Float64Array.from(s32), n, d),
    );
  });

  it('rejects bad input with typed errors', () => {
    const x = new Float64Array([0, 1, 2, 3]);
    assert.throws(() => ksdSquared(x, x, 1, 4), InvalidOptionError);
    assert.throws(() => ksdSquared(x, x, 2, 2, { maxItems: 1 }), InvalidOptionError);
    assert.throws(() => ksdSquared(x, new Float64Array(3), 2, 2), ShapeError);
    assert.throws(() => ksdSquared(x, x, 3, 2), ShapeError);
    assert.throws(() => ksdSquared(x, new Float64Array([0, 1, NaN, 3]), 2, 2), NonFiniteError);
  });
});

describe('LinearFieldKsd', () => {
  it('scores a batch against α·e₁ + β·e₂ as ksdSquared does on the combined field', () => {
    const n = 30;
    const d = 4;
    const x = normals(11, n, d);
    const e1 = normals(12, n, d);
    const e2 = normals(13, n, d);
    const batch = new LinearFieldKsd(x, e1, e2, n, d, { maxItems: 25 });
    for (const [alpha, beta] of [
      [1, 0],
      [0, 1],
      [-2.5, 1.5],
      [0.3, -0.7],
    ]) {
      const field = Float64Array.from(e1, (v, j) => alpha * v + beta * e2[j]);
      assertClose(
        batch.against(alpha, beta),
        ksdSquared(x, field, n, d, { maxItems: 25 }),
        1e-9,
        `α=${alpha} β=${beta}`,
      );
    }
  });
});
