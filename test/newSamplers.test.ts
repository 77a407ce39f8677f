/**
 * Heun, DPM++ SDE, UniPC, LMS and LCM: their steps checked against formulas derived here
 * (the exact probability-flow ODE of Gaussian data, point-mass data, hand-integrated
 * polynomials), and the two-stage contract (core/step.ts completeStep).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { GuidedPrediction } from '../src/core/guidance.js';
import { InvalidOptionError } from '../src/core/errors.js';
import { levelFromSigma, noiseLevel, type NoiseLevel } from '../src/core/noiseLevel.js';
import { completeStep, type SamplerStep, type StepInput } from '../src/core/step.js';
import { BatchRandom } from '../src/core/random.js';
import { Tensor } from '../src/core/tensor.js';
import {
  dpmSolverSdeStep,
  eulerStep,
  heunStep,
  lcmBoundary,
  lcmStep,
  lmsCoefficient,
  lmsStep,
  uniPcStep,
  type UniPcHistory,
} from '../src/samplers/index.js';
import { lcmTimesteps } from '../src/schedules/lcmTimesteps.js';

const T = levelFromSigma(2, 700);
const S = levelFromSigma(0.8, 600);
const XT = Tensor.fromRows([
  [0.3, -1.2, 0.8],
  [1.5, 0.1, -0.4],
]);
const X0 = Tensor.fromRows([
  [0.5, -0.25, 0.1],
  [-0.7, 0.9, 0.2],
]);

function pred(x0: Tensor, eps: Tensor, renoiseEps?: Tensor): GuidedPrediction {
  return { x0, eps, renoiseEps, raw: { cond: eps }, weights: new Float64Array(x0.batch).fill(1) };
}

function consistentEps(x: Tensor, x0: Tensor, level: NoiseLevel): Tensor {
  return x.like(Float32Array.from(x.data, (v, j) => (v - level.a * x0.data[j]) / level.s));
}

function input<H>(
  x: Tensor,
  from: NoiseLevel,
  to: NoiseLevel,
  p: GuidedPrediction,
  extra: { seed?: number; history?: H } = {},
): StepInput<H> {
  return {
    x,
    from,
    to,
    pred: p,
    rng: new BatchRandom(extra.seed ?? 1, x.batch),
    history: extra.history,
  };
}

function assertClose(
  actual: ArrayLike<number>,
  expected: ArrayLike<number>,
  tol: number,
  what = '',
) {
  assert.equal(actual.length, expected.length);
  for (let j = 0; j < actual.length; j++) {
    const scale = Math.max(1, Math.abs(expected[j]));
    assert.ok(
      Math.abs(actual[j] - expected[j]) <= tol * scale,
      `${what}[${j}]: ${actual[j]} vs ${expected[j]}`,
    );
  }
}

/** x̂0 of Gaussian data N(0, c²) at a level: c²/(c² + σ²)·x/a. */
function gaussianX0(x: Tensor, level: NoiseLevel, c2: number): Tensor {
  return x.like(Float32Array.from(x.data, (v) => (c2 / (c2 + level.sigma ** 2)) * (v / level.a)));
}

const gaussianPred = (x: Tensor, level: NoiseLevel, c2 = 1) => {
  const x0 = gaussianX0(x, level, c2);
  return pred(x0, consistentEps(x, x0, level));
};

/** Runs a sampler over `levels` on Gaussian data, every stage evaluated exactly. */
async function runGaussian(sampler: SamplerStep, levels: readonly NoiseLevel[], x0bar: number) {
  let x = new Tensor(new Float32Array([levels[0].a * x0bar]), [1, 1]);
  let history: unknown;
  let evaluations = 0;
  for (let i = 0; i + 1 < levels.length; i++) {
    evaluations++;
    const out = await completeStep(
      sampler,
      input(x, levels[i], levels[i + 1], gaussianPred(x, levels[i]), { history }),
      async (xx, level) => {
        evaluations++;
        return gaussianPred(xx, level);
      },
    );
    x = out.x;
    history = out.history;
  }
  return { x: x.data[0], evaluations };
}

/** The observed order of convergence on the PF-ODE of N(0, 1), steps uniform in λ. */
async function orderOf(sampler: SamplerStep, n: number): Promise<number> {
  const sMax = 10;
  const sMin = 0.1;
  const error = async (steps: number) => {
    const levels = Array.from({ length: steps + 1 }, (_, i) =>
      levelFromSigma(sMax * (sMin / sMax) ** (i / steps), steps - i),
    );
    const { x } = await runGaussian(sampler, levels, 3);
    const exact = 3 * Math.sqrt((1 + sMin ** 2) / (1 + sMax ** 2));
    return Math.abs(x / levels[steps].a - exact);
  };
  return Math.log2((await error(n)) / (await error(2 * n)));
}

describe('Heun', () => {
  it('x̄_s = x̄_t + (σ_s − σ_t)·(d₁ + d₂)/2 with d₂ from the evaluation at the Euler point', async () => {
    const p = pred(X0, consistentEps(XT, X0, T));
    const first = heunStep().step(input(XT, T, S, p));
    assert.ok(first.pending, 'a second stage');
    assert.equal(first.pending.level, S);
    // The stage point is Euler's step.
    assert.deepEqual(first.x.data, eulerStep().step(input(XT, T, S, p)).x.data);
    const x0b = Tensor.fromRows([
      [0.4, -0.1, 0.3],
      [-0.5, 0.7, 0.0],
    ]);
    const done = first.pending.finish(pred(x0b, consistentEps(first.x, x0b, S)));
    const expected = XT.data.map((x, j) => {
      const xbT = x / T.a;
      const d1 = (xbT - X0.data[j]) / T.sigma;
      const xbE = first.x.data[j] / S.a;
      const d2 = (xbE - x0b.data[j]) / S.sigma;
      return S.a * (xbT + (S.sigma - T.sigma) * ((d1 + d2) / 2));
    });
    assertClose(done.x.data, expected, 1e-6);
    assert.equal(done.pending, undefined);
  });

  it('is Euler alone into σ = 0, into a final level off the grid and from σ = ∞', () => {
    const p = pred(X0, consistentEps(XT, X0, T));
    for (const [from, to] of [
      [T, levelFromSigma(0, -1)],
      [T, noiseLevel(-1, 0.9999)],
      [noiseLevel(999, 0), S],
    ] as const) {
      const out = heunStep().step(input(XT, from, to, p));
      assert.equal(out.pending, undefined);
      assert.deepEqual(out.x.data, eulerStep().step(input(XT, from, to, p)).x.data);
    }
  });

  it('converges with order 2 and costs 2 evaluations per step (1 into σ = 0)', async () => {
    const p = await orderOf(heunStep(), 10);
    assert.ok(p > 1.8 && p < 2.3, `Heun order ${p}`);
    const levels = [10, 3, 1, 0.3, 0].map((s, i) => levelFromSigma(s, i < 4 ? 900 - 100 * i : -1));
    assert.equal((await runGaussian(heunStep(), levels, 1)).evaluations, 2 * 4 - 1);
  });
});

describe('DPM++ SDE', () => {
  const timestepOf = (sigma: number) => 500 + sigma;
  const step = dpmSolverSdeStep(timestepOf);

  it('stage 1: ancestral step to σ_m = √(σ_t·σ_s), evaluated at its timestep; stage 2 from x_t with x̂0_m', () => {
    const p = pred(X0, consistentEps(XT, X0, T));
    const rng = new BatchRandom(3, 2);
    const first = step.step({ ...input(XT, T, S, p), rng });
    assert.ok(first.pending);
    const sm = Math.sqrt(T.sigma * S.sigma);
    assert.ok(Math.abs(first.pending.level.sigma - sm) < 1e-12);
    assert.equal(first.pending.level.timestep, timestepOf(sm));
    // The same noise, drawn again from an identical stream.
    const replay = new BatchRandom(3, 2);
    const z1 = replay.normal([2, 3]).data;
    const u = replay.normal([2, 3]).data;
    const ancestral = (sFrom: number, sTo: number) => {
      const up = Math.min(sTo, Math.sqrt((sTo ** 2 * (sFrom ** 2 - sTo ** 2)) / sFrom ** 2));
      return { up, down: Math.sqrt(sTo ** 2 - up ** 2) };
    };
    const m = ancestral(T.sigma, sm);
    const mid = first.pending.level;
    const expect1 = XT.data.map((x, j) => {
      const xb = x / T.a;
      return mid.a * (X0.data[j] + (m.down * (xb - X0.data[j])) / T.sigma + m.up * z1[j]);
    });
    assertClose(first.x.data, expect1, 1e-6, 'midpoint');
    const x0m = Tensor.fromRows([
      [0.45, -0.2, 0.15],
      [-0.6, 0.8, 0.1],
    ]);
    const done = first.pending.finish(pred(x0m, consistentEps(first.x, x0m, mid)));
    const e = ancestral(T.sigma, S.sigma);
    const wz = Math.sqrt((T.sigma - sm) / (T.sigma - S.sigma));
    const wu = Math.sqrt((sm - S.sigma) / (T.sigma - S.sigma));
    const expect2 = XT.data.map((x, j) => {
      const xb = x / T.a;
      const z2 = wz * z1[j] + wu * u[j];
      return S.a * (x0m.data[j] + (e.down * (xb - x0m.data[j])) / T.sigma + e.up * z2);
    });
    assertClose(done.x.data, expect2, 1e-6, 'final');
  });

  it("the two noises have a Brownian motion's correlation √((σ_t − σ_m)/(σ_t − σ_s)), each N(0, 1)", () => {
    // Point-mass data at 0 (x̂0 = 0): x̄_m = σ_up·z₁ + σ_down·x̄_t/σ_t, x̄_s likewise with z₂.
    const n = 20000;
    const x = new Tensor(new Float32Array(n), [n, 1]);
    const zero = x.like(new Float32Array(n));
    const first = step.step({ ...input(x, T, S, pred(zero, zero)), rng: new BatchRandom(9, n) });
    const mid = first.pending!.level;
    const done = first.pending!.finish(pred(zero, zero));
    const sm = mid.sigma;
    const upM = Math.sqrt(sm ** 2 * (1 - (sm / T.sigma) ** 2));
    const upS = Math.sqrt(S.sigma ** 2 * (1 - (S.sigma / T.sigma) ** 2));
    const z1 = first.x.data.map((v) => v / mid.a / upM);
    const z2 = done.x.data.map((v) => v / S.a / upS);
    let s11 = 0;
    let s22 = 0;
    let s12 = 0;
    for (let j = 0; j < n; j++) {
      s11 += z1[j] ** 2;
      s22 += z2[j] ** 2;
      s12 += z1[j] * z2[j];
    }
    const rho = Math.sqrt((T.sigma - sm) / (T.sigma - S.sigma));
    assert.ok(
      Math.abs(s11 / n - 1) < 0.04 && Math.abs(s22 / n - 1) < 0.04,
      `${s11 / n} ${s22 / n}`,
    );
    assert.ok(Math.abs(s12 / n - rho) < 0.03, `correlation ${s12 / n} vs ${rho}`);
  });

  it('keeps the marginal of point-mass data over a schedule: Var(x_s) = 1 − ᾱ_s', async () => {
    const n = 20000;
    const levels = [8, 3, 1.2, 0.5].map((s, i) => levelFromSigma(s, 900 - 100 * i));
    const rng = new BatchRandom(4, n);
    let x = rng.normal([n, 1]);
    const zero = x.like(new Float32Array(n));
    for (let i = 0; i + 1 < levels.length; i++) {
      const out = await completeStep(
        step,
        { ...input(x, levels[i], levels[i + 1], pred(zero, zero)), rng },
        async () => pred(zero, zero),
      );
      x = out.x;
    }
    let v = 0;
    for (const d of x.data) v += d * d;
    const want = 1 - levels[3].alphaBar;
    assert.ok(Math.abs(v / n / want - 1) < 0.04, `variance ${v / n} vs ${want}`);
  });

  it('is the Euler step to x̂0 into σ = 0 (one evaluation), and needs the schedule to step', () => {
    const p = pred(X0, consistentEps(XT, X0, T));
    const out = step.step(input(XT, T, levelFromSigma(0, -1), p));
    assert.equal(out.pending, undefined);
    assert.deepEqual(out.x.data, X0.data);
    assert.throws(() => dpmSolverSdeStep().step(input(XT, T, S, p)), InvalidOptionError);
  });
});

describe('LMS', () => {
  it('coefficients integrate the Lagrange basis exactly (hand-integrated cubic)', () => {
    // Nodes 3, 2, 1, 0.5; ∫ from 3 to 0.25 of L_k, expanded by hand into monomials.
    const nodes = [3, 2, 1, 0.5];
    const basis = (k: number, tau: number) =>
      nodes.reduce((p, nj, j) => (j === k ? p : (p * (tau - nj)) / (nodes[k] - nj)), 1);
    for (let k = 0; k < 4; k++) {
      // Simpson on a fine grid is exact for cubics up to rounding.
      const m = 600;
      const h = (0.25 - 3) / m;
      let sum = basis(k, 3) + basis(k, 0.25);
      for (let i = 1; i < m; i++) sum += (i % 2 ? 4 : 2) * basis(k, 3 + i * h);
      assert.ok(Math.abs(lmsCoefficient(nodes, k, 3, 0.25) - (sum * h) / 3) < 1e-12, `k=${k}`);
    }
    const total = nodes.reduce((s, _, k) => s + lmsCoefficient(nodes, k, 3, 0.25), 0);
    assert.ok(Math.abs(total - (0.25 - 3)) < 1e-12, 'Σ c_k = σ_s − σ_t');
  });

  it('its first step is Euler; later steps use the kept derivatives; finite from σ = ∞', () => {
    const p = pred(X0, consistentEps(XT, X0, T));
    const first = lmsStep().step(input(XT, T, S, p));
    assertClose(first.x.data, eulerStep().step(input(XT, T, S, p)).x.data, 1e-6);
    assert.equal(first.history!.derivatives.length, 1);
    const U = levelFromSigma(0.3, 500);
    const x0b = Tensor.fromRows([
      [0.4, -0.1, 0.3],
      [-0.5, 0.7, 0.0],
    ]);
    const second = lmsStep().step(
      input(first.x, S, U, pred(x0b, consistentEps(first.x, x0b, S)), { history: first.history }),
    );
    const d0 = first.x.data.map((x, j) => (x / S.a - x0b.data[j]) / S.sigma);
    const d1 = XT.data.map((x, j) => (x / T.a - X0.data[j]) / T.sigma);
    // Order 2: linear interpolation of d through (σ_t, σ_prev), integrated from σ_t to σ_s.
    const c0 = lmsCoefficient([S.sigma, T.sigma], 0, S.sigma, U.sigma);
    const c1 = lmsCoefficient([S.sigma, T.sigma], 1, S.sigma, U.sigma);
    const expected = first.x.data.map((x, j) => U.a * (x / S.a + c0 * d0[j] + c1 * d1[j]));
    assertClose(second.x.data, expected, 1e-6);
    const z = lmsStep().step(input(XT, noiseLevel(999, 0), S, pred(X0, XT)));
    assertClose(
      z.x.data,
      X0.data.map((x0, j) => S.a * x0 + S.s * XT.data[j]),
      1e-6,
    );
    assert.equal(z.history!.derivatives.length, 0);
  });

  it('restarts at first order when the sample was moved between steps (DiffIER, inpainting)', () => {
    const p = pred(X0, consistentEps(XT, X0, T));
    const first = lmsStep().step(input(XT, T, S, p));
    const U = levelFromSigma(0.3, 500);
    // A corrector between the steps moves the sample: the old derivative no longer applies.
    const moved = first.x.like(Float32Array.from(first.x.data, (v) => v + 0.01));
    const next = pred(X0, consistentEps(moved, X0, S));
    const withHistory = lmsStep().step(input(moved, S, U, next, { history: first.history }));
    const fresh = lmsStep().step(input(moved, S, U, next));
    assert.deepEqual(withHistory.x.data, fresh.x.data);
    // Unmoved, the kept derivative is used (the result differs from a first-order step).
    const kept = pred(X0, consistentEps(first.x, X0, S));
    const second = lmsStep().step(input(first.x, S, U, kept, { history: first.history }));
    assert.notDeepEqual(second.x.data, lmsStep().step(input(first.x, S, U, kept)).x.data);
  });

  it('converges faster than Euler on the PF-ODE of Gaussian data', async () => {
    const p = await orderOf(lmsStep(), 10);
    assert.ok(p > 2.5, `LMS order ${p}`);
    assert.throws(() => lmsStep(5), InvalidOptionError);
  });
});

describe('UniPC', () => {
  it('first step is DDIM(η = 0) with ε from x̂0, and is exact for point-mass data', async () => {
    const p = pred(X0, consistentEps(XT, X0, T));
    const out = uniPcStep().step(input(XT, T, S, p));
    assertClose(
      out.x.data,
      XT.data.map((x, j) => S.a * X0.data[j] + S.s * ((x - T.a * X0.data[j]) / T.s)),
      1e-6,
    );
    for (const order of [2, 3]) {
      const levels = [14, 6, 2.5, 1, 0.4, 0.1].map((s, i) => levelFromSigma(s, 900 - 100 * i));
      let x = Tensor.fromRows([[levels[0].a * 1, levels[0].a * -2]]);
      const mu = Tensor.fromRows([[0.5, -1]]);
      let history: UniPcHistory | undefined;
      const step = uniPcStep({ order });
      for (let i = 0; i + 1 < levels.length; i++) {
        const o = step.step(input(x, levels[i], levels[i + 1], pred(mu, mu), { history }));
        x = o.x;
        history = o.history;
      }
      const last = levels.at(-1)!;
      const exact = [1, -2].map((v, j) => last.a * (mu.data[j] + (0.1 / 14) * (v - mu.data[j])));
      assertClose(x.data, exact, 1e-5, `order ${order}`);
    }
  });

  it('the corrector redoes the previous step with the new evaluation (order 1: trapezoid in x̂0)', () => {
    const p = pred(X0, consistentEps(XT, X0, T));
    const first = uniPcStep().step(input(XT, T, S, p));
    const x0b = Tensor.fromRows([
      [0.4, -0.1, 0.3],
      [-0.5, 0.7, 0.0],
    ]);
    const U = levelFromSigma(0.3, 500);
    const withC = uniPcStep().step(
      input(first.x, S, U, pred(x0b, x0b), { history: first.history }),
    );
    const noC = uniPcStep({ disableCorrector: [0] }).step(
      input(first.x, S, U, pred(x0b, x0b), { history: first.history }),
    );
    // UniC order 1 (bh2, ρ = 1/2): x_c = (s_s/s_t)·x_t − a_s(e^(−h) − 1)·(m0 + (m1 − m0)/2).
    const h = Math.log(S.a / S.s) - Math.log(T.a / T.s);
    const corrected = XT.data.map(
      (x, j) =>
        (S.s / T.s) * x - S.a * Math.expm1(-h) * (X0.data[j] + (x0b.data[j] - X0.data[j]) / 2),
    );
    assertClose(withC.history!.lastSample.data, corrected, 1e-6);
    assert.deepEqual(noC.history!.lastSample.data, first.x.data);
    assert.notDeepEqual(withC.x.data, noC.x.data);
  });

  it('lowers the order on the last steps (lower_order_final) and converges with order ≥ 2', async () => {
    for (const order of [2, 3]) {
      const p = await orderOf(uniPcStep({ order }), 8);
      assert.ok(p > 1.8, `UniPC-${order} order ${p}`);
    }
    const p = pred(X0, consistentEps(XT, X0, T));
    const first = uniPcStep({ order: 3 }).step(input(XT, T, S, p));
    const U = levelFromSigma(0.3, 500);
    // Step index 1 of a 2-step run is the last (first order); of a 5-step run it is not.
    const last = uniPcStep({ order: 3, steps: 2 }).step(
      input(first.x, S, U, pred(X0, X0), { history: first.history }),
    );
    assert.equal(last.history!.lastOrder, 1);
    const notLast = uniPcStep({ order: 3, steps: 5 }).step(
      input(first.x, S, U, pred(X0, X0), { history: first.history }),
    );
    assert.equal(notLast.history!.lastOrder, 2);
    assert.throws(() => uniPcStep({ order: 4 }), InvalidOptionError);
  });
});

describe('LCM', () => {
  it('timesteps: a subset of the original_inference_steps skip grid (4 steps: 999, 759, 499, 259)', () => {
    assert.deepEqual(lcmTimesteps(1000, 4), [999, 759, 499, 259]);
    assert.deepEqual(lcmTimesteps(1000, 1), [999]);
    assert.deepEqual(lcmTimesteps(1000, 2, 8), [999, 499]);
    assert.throws(() => lcmTimesteps(1000, 51), InvalidOptionError);
    assert.throws(() => lcmTimesteps(1000, 4, 1001), InvalidOptionError);
  });

  it('x̂ = c_out·x̂0 + c_skip·x_t, re-noised to the next level; x̂ itself into the final level', () => {
    const t = noiseLevel(3, 0.99);
    const { cSkip, cOut } = lcmBoundary(3, 10);
    assert.ok(Math.abs(cSkip - 0.25 / (900 + 0.25)) < 1e-15);
    assert.ok(Math.abs(cOut - 30 / Math.sqrt(900.25)) < 1e-15);
    const p = pred(X0, consistentEps(XT, X0, t));
    const denoised = X0.data.map((v, j) => cOut * v + cSkip * XT.data[j]);
    const final = lcmStep().step(input(XT, t, noiseLevel(-1, 1), p));
    assertClose(final.x.data, denoised, 1e-6);
    const z = new BatchRandom(1, 2).normal([2, 3]).data;
    const next = lcmStep().step(input(XT, t, S, p));
    assertClose(
      next.x.data,
      denoised.map((d, j) => S.a * d + S.s * z[j]),
      1e-6,
    );
    assert.throws(() => lcmStep({ timestepScaling: 0 }), InvalidOptionError);
  });
});
