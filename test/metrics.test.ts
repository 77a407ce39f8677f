import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseProblem } from '../src/denoisers/problem.js';
import { GaussianMixture, modelMixtures, trueMixtures } from '../src/denoisers/gaussianMixture.js';
import { EnergyReference, energyDistance, energyTerms } from '../src/eval/energy.js';
import { gmmMetrics } from '../src/eval/gmmMetrics.js';
import { sampleGuidedTarget } from '../src/eval/guidedTarget.js';
import { KnnReference, kthNeighbourSquared, precisionRecall } from '../src/eval/knn.js';
import { InvalidOptionError } from '../src/core/errors.js';
import { BatchRandom, RandomStream } from '../src/core/random.js';

/** n i.i.d. N(mean, std²) points in `dim` dimensions from one seeded stream. */
function gaussian(n: number, dim: number, seed: number, mean = 0, std = 1): Float32Array {
  const s = new RandomStream(seed);
  return Float32Array.from({ length: n * dim }, () => mean + std * s.normal());
}

/** erf by Abramowitz & Stegun 7.1.26 (|error| < 1.5e-7, far below every tolerance here). */
function erf(x: number): number {
  const t = 1 / (1 + 0.3275911 * Math.abs(x));
  const y =
    1 -
    ((((1.061405429 * t - 1.453152027) * t + 1.421413741) * t - 0.284496736) * t + 0.254829592) *
      t *
      Math.exp(-x * x);
  return x >= 0 ? y : -y;
}

/** E|Z| for Z ~ N(μ, σ²) (folded normal mean): σ√(2/π)·e^(−μ²/2σ²) + μ·erf(μ/(σ√2)). */
function foldedMean(mu: number, sigma: number): number {
  return (
    sigma * Math.sqrt(2 / Math.PI) * Math.exp((-mu * mu) / (2 * sigma * sigma)) +
    mu * erf(mu / (sigma * Math.SQRT2))
  );
}

/** Shuffle rows of a pooled sample into two halves (Fisher–Yates, seeded). */
function split(
  pool: Float32Array,
  dim: number,
  n: number,
  seed: number,
): [Float32Array, Float32Array] {
  const rows = pool.length / dim;
  const idx = Array.from({ length: rows }, (_, i) => i);
  const s = new RandomStream(seed);
  for (let i = rows - 1; i > 0; i--) {
    const j = Math.floor(s.uniform() * (i + 1));
    [idx[i], idx[j]] = [idx[j], idx[i]];
  }
  const take = (ids: number[]) => {
    const out = new Float32Array(ids.length * dim);
    ids.forEach((r, k) => out.set(pool.subarray(r * dim, (r + 1) * dim), k * dim));
    return out;
  };
  return [take(idx.slice(0, n)), take(idx.slice(n))];
}

/**
 * Null spread of D² for two samples of sizes n, m from the same law, estimated by
 * re-splitting the pooled sample at random (a permutation distribution): its standard
 * deviation. Under the null the estimator is unbiased (mean 0), so |D²| ≤ 4·sd is the bound.
 */
function permutationSd(x: Float32Array, y: Float32Array, dim: number, rounds = 20): number {
  const n = x.length / dim;
  const pool = new Float32Array(x.length + y.length);
  pool.set(x);
  pool.set(y, x.length);
  const values = Array.from({ length: rounds }, (_, r) => {
    const [a, b] = split(pool, dim, n, 1000 + r);
    return energyDistance(a, b, dim);
  });
  return Math.sqrt(values.reduce((s, v) => s + v * v, 0) / rounds);
}

/** The estimator written out naively, straight from its definition. */
function naiveEnergy(x: Float32Array, y: Float32Array, dim: number): number {
  const n = x.length / dim;
  const m = y.length / dim;
  const dist = (a: Float32Array, i: number, b: Float32Array, j: number) => {
    let s = 0;
    for (let d = 0; d < dim; d++) s += (a[i * dim + d] - b[j * dim + d]) ** 2;
    return Math.sqrt(s);
  };
  let cross = 0;
  for (let i = 0; i < n; i++) for (let j = 0; j < m; j++) cross += dist(x, i, y, j);
  let wx = 0;
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) if (i !== j) wx += dist(x, i, x, j);
  let wy = 0;
  for (let i = 0; i < m; i++) for (let j = 0; j < m; j++) if (i !== j) wy += dist(y, i, y, j);
  return (2 * cross) / (n * m) - wx / (n * (n - 1)) - wy / (m * (m - 1));
}

describe('energy distance', () => {
  it('equals the naive U-statistic estimator (odd and even dims, the 2-D fast path, unequal sizes)', () => {
    for (const dim of [1, 2, 3, 5, 8]) {
      const x = gaussian(37, dim, 1);
      const y = gaussian(23, dim, 2, 0.3);
      const fast = energyDistance(x, y, dim);
      assert.ok(Math.abs(fast - naiveEnergy(x, y, dim)) < 1e-12, `dim ${dim}`);
      const ref = new EnergyReference(y, dim);
      assert.equal(ref.distance(x), fast);
      const terms = energyTerms(x, y, dim);
      assert.equal(terms.distance, 2 * terms.cross - terms.withinX - terms.withinY);
    }
  });

  it('two samples of the same Gaussian: |D²| within 4 permutation standard deviations of 0', () => {
    for (const dim of [2, 8]) {
      const x = gaussian(1000, dim, 11);
      const y = gaussian(1000, dim, 12);
      const d2 = energyDistance(x, y, dim);
      const sd = permutationSd(x, y, dim);
      assert.ok(Math.abs(d2) < 4 * sd, `dim ${dim}: D² = ${d2}, sd = ${sd}`);
    }
  });

  it('N(0,1) vs N(δ,1) in 1-D matches the closed form within 4 delta-method standard errors', () => {
    // X − Y ~ N(−δ, 2), X − X' ~ N(0, 2): D² = 2·E|N(δ,2)| − 2·E|N(0,2)|
    //   = 2[(2/√π)e^(−δ²/4) + δ·erf(δ/2)] − 4/√π.
    // Standard error from the first-order (Hoeffding) projection of the U-statistics:
    //   Var D² ≈ (4/n)·Var_X[g(X)] + (4/m)·Var_Y[h(Y)], g(x) = E|x − Y| − E|x − X'|,
    //   h(y) = E|X − y| − E|y − Y'|, both in closed form (folded normal means).
    const delta = 1;
    const n = 2000;
    const x = gaussian(n, 1, 21);
    const y = gaussian(n, 1, 22, delta);
    const exact = 2 * foldedMean(delta, Math.SQRT2) - 2 * foldedMean(0, Math.SQRT2);
    const variance = (values: number[]) => {
      const mean = values.reduce((a, b) => a + b, 0) / values.length;
      return values.reduce((a, b) => a + (b - mean) ** 2, 0) / (values.length - 1);
    };
    const g = Array.from(x, (v) => foldedMean(v - delta, 1) - foldedMean(v, 1));
    const h = Array.from(y, (v) => foldedMean(v, 1) - foldedMean(v - delta, 1));
    const se = Math.sqrt((4 / n) * variance(g) + (4 / n) * variance(h));
    const d2 = energyDistance(x, y, 1);
    assert.ok(Math.abs(d2 - exact) < 4 * se, `D² = ${d2}, closed form ${exact}, se ${se}`);
  });

  it('refuses fewer than two points and ragged rows', () => {
    assert.throws(
      () => energyDistance(new Float32Array(2), new Float32Array(4), 2),
      InvalidOptionError,
    );
    assert.throws(
      () => energyDistance(new Float32Array(5), new Float32Array(4), 2),
      /not rows of 2/,
    );
  });
});

describe('k-NN precision and recall', () => {
  it('k-th neighbour radii equal a brute-force sort', () => {
    const dim = 3;
    const x = gaussian(60, dim, 5);
    const r2 = kthNeighbourSquared(x, dim, 5);
    for (let i = 0; i < 60; i++) {
      const d = [];
      for (let j = 0; j < 60; j++) {
        if (j === i) continue;
        let s = 0;
        for (let c = 0; c < dim; c++) s += (x[i * dim + c] - x[j * dim + c]) ** 2;
        d.push(s);
      }
      d.sort((a, b) => a - b);
      assert.ok(Math.abs(r2[i] - d[4]) < 1e-12);
    }
  });

  it('same distribution: both high; disjoint: both 0; half the modes: precision high, recall ≈ ½', () => {
    const dim = 2;
    const real = gaussian(2000, dim, 31);
    const same = precisionRecall(real, gaussian(2000, dim, 32), dim);
    assert.ok(same.precision > 0.9 && same.recall > 0.9, JSON.stringify(same));
    const far = precisionRecall(real, gaussian(2000, dim, 33, 50), dim);
    assert.deepEqual(far, { precision: 0, recall: 0, k: 5 });

    // Real: two far-apart modes; generated: only the first (mode collapse).
    const twoModes = new Float32Array(4000);
    twoModes.set(gaussian(1000, dim, 34));
    twoModes.set(gaussian(1000, dim, 35, 50), 2000);
    const ref = new KnnReference(twoModes, dim);
    const collapsed = ref.evaluate(gaussian(1000, dim, 36));
    assert.ok(collapsed.precision > 0.9, `precision ${collapsed.precision}`);
    assert.ok(Math.abs(collapsed.recall - 0.5) < 0.05, `recall ${collapsed.recall}`);
  });

  it('refuses k ≥ n', () => {
    assert.throws(() => kthNeighbourSquared(new Float32Array(10), 2, 5), InvalidOptionError);
  });
});

/** Two 2-D classes far apart; the target class has four components. */
const separated = parseProblem({
  name: 'separated',
  dim: 2,
  target: 1,
  classes: [
    { name: 'a', components: [{ mean: [-6, 0], std: 1 }] },
    {
      name: 'b',
      components: [
        { mean: [6, 0], std: 0.5 },
        { mean: [8, 0], std: 0.5 },
        { mean: [6, 2], std: 0.5 },
        { mean: [8, 2], std: 0.5 },
      ],
    },
  ],
});

describe('gmmMetrics', () => {
  it('samples of the true conditional: adherence ≈ 1, full coverage, nll = −mean log p', () => {
    const truth = trueMixtures(separated);
    const n = 4000;
    const x = truth.cond.sample(n, new BatchRandom(3, n));
    const m = gmmMetrics(x, truth);
    assert.ok(m.adherence > 0.999, `adherence ${m.adherence}`);
    assert.equal(m.coverage, 1);
    assert.equal(
      m.componentCounts.reduce((a, b) => a + b, 0),
      n,
    );
    const lp = truth.cond.logPdf(x.data);
    assert.ok(Math.abs(m.nll + lp.reduce((a, b) => a + b, 0) / n) < 1e-9);
  });

  it('nll of a Gaussian class on its own samples = entropy log(2πe) within 4 se', () => {
    // Target = class a, N((−6, 0), I): −log p(x) = log 2π + ½χ²₂, mean log(2πe), sd 1.
    const truth = trueMixtures(parseProblem({ ...separated, target: 0 }));
    const n = 4000;
    const x = truth.cond.sample(n, new BatchRandom(6, n));
    const m = gmmMetrics(x, truth);
    assert.ok(Math.abs(m.nll - Math.log(2 * Math.PI * Math.E)) < 4 / Math.sqrt(n), `nll ${m.nll}`);
  });

  it('one component only: coverage ¼; samples of the other class: adherence ≈ 0', () => {
    const truth = trueMixtures(separated);
    const one = new GaussianMixture(2, [1], [6, 0], [0.25, 0.25]).sample(
      500,
      new BatchRandom(4, 500),
    );
    assert.equal(gmmMetrics(one, truth).coverage, 0.25);
    const other = truth.classes[0].sample(500, new BatchRandom(5, 500));
    assert.ok(gmmMetrics(other, truth).adherence < 1e-6);
  });
});

/** 1-D: classes N(−1, 1) and N(1, 1) with equal weights; target +1. */
const twoClasses = parseProblem({
  name: 'two-classes',
  dim: 1,
  target: 1,
  classes: [
    { name: 'minus', components: [{ mean: [-1], std: 1 }] },
    { name: 'plus', components: [{ mean: [1], std: 1 }] },
  ],
});

/**
 * Mean and sd of π ∝ N(x;1,σc²)^w (½N(x;−1,σu²) + ½N(x;1,σu²))^(1−w) by a Riemann sum on a
 * fine grid (step 1e-3 over [−20, 20]; the integrands are smooth and negligible at the ends).
 */
function quadratureMoments(w: number, sc = 1, su = 1): { mean: number; sd: number } {
  const logN = (x: number, m: number, s: number) => -0.5 * ((x - m) / s) ** 2 - Math.log(s);
  let z = 0;
  let s1 = 0;
  let s2 = 0;
  const h = 1e-3;
  for (let x = -20; x <= 20; x += h) {
    const lu = Math.log(0.5 * Math.exp(logN(x, -1, su)) + 0.5 * Math.exp(logN(x, 1, su)));
    const p = Math.exp(w * logN(x, 1, sc) + (1 - w) * lu);
    z += p;
    s1 += p * x;
    s2 += p * x * x;
  }
  const mean = s1 / z;
  return { mean, sd: Math.sqrt(s2 / z - mean * mean) };
}

describe('guided target π₀ʷ', () => {
  it('w = 1 is the model conditional: D² to an independent conditional sample within 4 permutation sd', () => {
    const model = modelMixtures(separated);
    const n = 2000;
    const t = sampleGuidedTarget(model, { w: 1, n, seed: 7 });
    assert.equal(t.proposal, 'cond');
    assert.ok(t.acceptance > 0.3 && t.acceptance < 0.8, `acceptance ${t.acceptance}`);
    const direct = model.cond.sample(n, new BatchRandom(8, n)).data;
    const d2 = energyDistance(t.samples.data, direct, 2);
    const sd = permutationSd(t.samples.data, direct, 2);
    assert.ok(Math.abs(d2) < 4 * sd, `D² = ${d2}, sd = ${sd}`);
  });

  it('1-D two classes: the sample mean matches quadrature within 4 se, for w > 1 and w < 1', () => {
    // se = sd_π/√n treats the n chains as independent draws: each starts from a distinct
    // resampled pool point (pool 32·n, so few duplicates) and then takes 200 MALA steps.
    const model = modelMixtures(twoClasses);
    const n = 4000;
    for (const w of [3, 0.5]) {
      const exact = quadratureMoments(w);
      const t = sampleGuidedTarget(model, { w, n, seed: 42 });
      assert.equal(t.proposal, w >= 1 ? 'cond' : 'uncond');
      const x = t.samples.data;
      const mean = x.reduce((a, b) => a + b, 0) / n;
      assert.ok(
        Math.abs(mean - exact.mean) < (4 * exact.sd) / Math.sqrt(n),
        `w=${w}: ${mean} vs ${exact.mean}`,
      );
      if (w > 1) assert.ok(exact.mean > 1, 'guidance pushes the mean beyond the class mean');
    }
  });

  it('inflated model (uneven weights, the pool grows): mean and sd match quadrature within 4 se', () => {
    // Conditional std 1, unconditional std 1.5, w = 5: π is narrower than the proposal p_c,
    // so the importance weights are uneven; starting from a pool of n the pool must grow
    // to reach ESS ≥ n.
    // se of the sample sd ≈ sd/√(2n) (Gaussian approximation), as for the mean sd/√n.
    const inflated = parseProblem({
      ...twoClasses,
      model: { kind: 'inflated', cond: 1, uncond: 1.5 },
    });
    const n = 4000;
    const w = 5;
    const exact = quadratureMoments(w, 1, 1.5);
    const t = sampleGuidedTarget(modelMixtures(inflated), { w, n, seed: 5, poolFactor: 1 });
    assert.ok(t.ess >= n && t.pool > n, `ess ${t.ess}, pool ${t.pool}`);
    const x = t.samples.data;
    const mean = x.reduce((a, b) => a + b, 0) / n;
    const sd = Math.sqrt(x.reduce((a, b) => a + (b - mean) ** 2, 0) / (n - 1));
    assert.ok(
      Math.abs(mean - exact.mean) < (4 * exact.sd) / Math.sqrt(n),
      `mean ${mean} vs ${exact.mean}`,
    );
    assert.ok(
      Math.abs(sd - exact.sd) < (4 * exact.sd) / Math.sqrt(2 * n),
      `sd ${sd} vs ${exact.sd}`,
    );
  });

  it('is deterministic given the seed', () => {
    const model = modelMixtures(twoClasses);
    const a = sampleGuidedTarget(model, { w: 2, n: 50, seed: 1, burnIn: 10, steps: 5 });
    const b = sampleGuidedTarget(model, { w: 2, n: 50, seed: 1, burnIn: 10, steps: 5 });
    assert.deepEqual(a.samples.data, b.samples.data);
    assert.equal(a.stepSize, b.stepSize);
  });

  it('refuses a guided target that cannot be normalised, and bad options', () => {
    const wideCond = parseProblem({
      ...twoClasses,
      model: { kind: 'inflated', cond: 2, uncond: 1 },
    });
    // π ∝ exp(−x²/2·(w/4 − (w−1)/1)) in the tails: no mass for w = 5.
    assert.throws(
      () => sampleGuidedTarget(modelMixtures(wideCond), { w: 5, n: 10, seed: 0 }),
      /not normalisable/,
    );
    const model = modelMixtures(twoClasses);
    assert.throws(() => sampleGuidedTarget(model, { w: -1, n: 10, seed: 0 }), InvalidOptionError);
    assert.throws(() => sampleGuidedTarget(model, { w: 2, n: 0, seed: 0 }), InvalidOptionError);
  });
});
