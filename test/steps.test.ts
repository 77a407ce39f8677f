/**
 * Sampler steps. Expected values are derived here from the textbook formulas (DDPM
 * posterior, DDIM eq. 12/16, k-diffusion's x̄ = x/a form, the exact probability-flow ODE of
 * Gaussian data), not from the code under test.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { GuidedPrediction } from '../src/core/guidance.js';
import { InvalidOptionError } from '../src/core/errors.js';
import { levelFromSigma, noiseLevel, type NoiseLevel } from '../src/core/noiseLevel.js';
import {
  SAMPLER_NAMES,
  createSampler,
  ddimStep,
  ddpmStep,
  dpmSolverUpdate,
  eulerAncestralStep,
  eulerStep,
  NO_X0_PROCESSING,
  SAMPLERS,
  type DpmSolverHistory,
} from '../src/samplers/index.js';

type DpmSolverPP2MHistory = DpmSolverHistory;
/** DPM-Solver++(2M), ODE, midpoint; first order into the final level unless told otherwise. */
function dpmSolverPP2MStep(opts: { lowerOrderFinal?: boolean } = {}) {
  return dpmSolverUpdate({
    sde: false,
    order: 2,
    heun: false,
    firstOrderLast: opts.lowerOrderFinal ?? true,
    thresholding: NO_X0_PROCESSING,
  });
}
import type { SamplerStep, StepInput } from '../src/core/step.js';
import { BatchRandom } from '../src/core/random.js';
import { Tensor } from '../src/core/tensor.js';

// Two levels of a VP schedule (arbitrary ᾱ's): t is noisier than s.
const T = noiseLevel(700, 0.2);
const S = noiseLevel(600, 0.35);
const CLEAN = noiseLevel(-1, 1);

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

/** ε̂ consistent with x̂0 at `level`: (x_t − a_t·x̂0)/s_t, computed in float64. */
function consistentEps(x: Tensor, x0: Tensor, level: NoiseLevel): Tensor {
  return x.like(Float32Array.from(x.data, (v, j) => (v - level.a * x0.data[j]) / level.s));
}

function input<H>(
  x: Tensor,
  from: NoiseLevel,
  to: NoiseLevel,
  p: GuidedPrediction,
  seed = 1,
  history?: H,
): StepInput<H> {
  return { x, from, to, pred: p, rng: new BatchRandom(seed, x.batch), history };
}

function assertClose(
  actual: ArrayLike<number>,
  expected: ArrayLike<number>,
  tol: number,
  what = '',
): void {
  assert.equal(actual.length, expected.length);
  for (let j = 0; j < actual.length; j++) {
    assert.ok(
      Math.abs(actual[j] - expected[j]) <= tol,
      `${what}[${j}]: ${actual[j]} vs ${expected[j]}`,
    );
  }
}

function meanVar(d: ArrayLike<number>): { mean: number; variance: number } {
  let m = 0;
  for (let j = 0; j < d.length; j++) m += d[j];
  m /= d.length;
  let v = 0;
  for (let j = 0; j < d.length; j++) v += (d[j] - m) ** 2;
  return { mean: m, variance: v / (d.length - 1) };
}

describe('DDIM', () => {
  it('η = 0: x_s = √ᾱ_s·x̂0 + √(1 − ᾱ_s)·ε̂ (golden values)', () => {
    const eps = Tensor.fromRows([
      [1, 0, -1],
      [0.5, 2, -0.5],
    ]);
    const out = ddimStep().step(input(XT, T, S, pred(X0, eps))).x;
    // √0.35 = 0.591607978…, √0.65 = 0.806225775…; first item 0.5·0.591608 + 0.806226 = 1.1020298
    const a = Math.sqrt(0.35);
    const s = Math.sqrt(0.65);
    assertClose(
      out.data,
      [0.5 * a + s, -0.25 * a, 0.1 * a - s, -0.7 * a + 0.5 * s, 0.9 * a + 2 * s, 0.2 * a - 0.5 * s],
      1e-6,
    );
    assert.ok(Math.abs(out.data[0] - 1.1020298) < 1e-6);
  });

  it('η > 0 adds c·z with c from DDIM eq. 16, and z from input.rng', () => {
    const eta = 0.5;
    const eps = consistentEps(XT, X0, T);
    const out = ddimStep(eta).step(input(XT, T, S, pred(X0, eps), 7)).x;
    const c = eta * Math.sqrt((1 - 0.35) / (1 - 0.2)) * Math.sqrt(1 - 0.2 / 0.35);
    const z = new BatchRandom(7, 2).normal(XT.shape).data;
    const expected = X0.data.map(
      (x0, j) => Math.sqrt(0.35) * x0 + Math.sqrt(1 - 0.35 - c * c) * eps.data[j] + c * z[j],
    );
    assertClose(out.data, expected, 1e-6);
  });

  it('honours renoiseEps (CFG++: x_s = a_s·x̂0 + s_s·ε_u)', () => {
    const eps = consistentEps(XT, X0, T);
    const epsU = XT.like(new Float32Array([0.1, 0.2, 0.3, -0.1, -0.2, -0.3]));
    const out = ddimStep().step(input(XT, T, S, pred(X0, eps, epsU))).x;
    assertClose(
      out.data,
      X0.data.map((x0, j) => S.a * x0 + S.s * epsU.data[j]),
      1e-6,
    );
  });

  it('rejects η outside [0, 1]', () => {
    for (const eta of [-0.1, 1.5, Number.NaN])
      assert.throws(() => ddimStep(eta), InvalidOptionError);
  });
});

describe('DDPM', () => {
  // Posterior q(x_s | x_t, x0) between two arbitrary levels: α_ts = ᾱ_t/ᾱ_s, β_ts = 1 − α_ts.
  const alphaTs = 0.2 / 0.35;
  const betaTs = 1 - alphaTs;
  const coefX0 = (betaTs * Math.sqrt(0.35)) / (1 - 0.2);
  const coefXt = (Math.sqrt(alphaTs) * (1 - 0.35)) / (1 - 0.2);
  const posteriorVar = (betaTs * (1 - 0.35)) / (1 - 0.2);

  it('is DDIM with η = 1 (same noise, same result)', () => {
    const p = pred(X0, consistentEps(XT, X0, T));
    const a = ddpmStep().step(input(XT, T, S, p, 3)).x;
    const b = ddimStep(1).step(input(XT, T, S, p, 3)).x;
    assert.deepEqual(a.data, b.data);
  });

  it('mean and variance are the textbook posterior', () => {
    const p = pred(X0, consistentEps(XT, X0, T));
    const out = ddpmStep().step(input(XT, T, S, p, 11)).x;
    const z = new BatchRandom(11, 2).normal(XT.shape).data;
    // Remove the noise (same stream) with the posterior std; what is left is the mean.
    const mean = out.data.map((v, j) => v - Math.sqrt(posteriorVar) * z[j]);
    const textbook = X0.data.map((x0, j) => coefX0 * x0 + coefXt * XT.data[j]);
    assertClose(mean, textbook, 2e-6);
  });

  it('empirical mean and variance over many draws', () => {
    // One item of n equal coordinates: each coordinate is an independent draw.
    const n = 200_000;
    const xt = new Tensor(new Float32Array(n).fill(0.8), [1, n]);
    const x0 = new Tensor(new Float32Array(n).fill(-0.3), [1, n]);
    const out = ddpmStep().step(input(xt, T, S, pred(x0, consistentEps(xt, x0, T)), 5)).x;
    const { mean, variance } = meanVar(out.data);
    const mu = coefX0 * -0.3 + coefXt * 0.8;
    // 5 standard errors of the sample mean and of the sample variance (√(2/n)·σ²).
    assert.ok(Math.abs(mean - mu) < 5 * Math.sqrt(posteriorVar / n), `mean ${mean} vs ${mu}`);
    assert.ok(
      Math.abs(variance - posteriorVar) < 5 * posteriorVar * Math.sqrt(2 / n),
      `var ${variance}`,
    );
  });
});

describe('Euler', () => {
  it('equals DDIM(η = 0) on a consistent pair', () => {
    const p = pred(X0, consistentEps(XT, X0, T));
    assertClose(
      eulerStep().step(input(XT, T, S, p)).x.data,
      ddimStep().step(input(XT, T, S, p)).x.data,
      1e-6,
    );
  });

  it('follows x̂0 (k-diffusion to_d) when the pair is not consistent', () => {
    const eps = XT.like(new Float32Array(6).fill(0.25)); // ignored by Euler
    const out = eulerStep().step(input(XT, T, S, pred(X0, eps))).x;
    // k-diffusion: x̄ = x/a, d = (x̄_t − x̂0)/σ_t, x̄_s = x̄_t + (σ_s − σ_t)·d, x_s = a_s·x̄_s.
    const expected = XT.data.map((x, j) => {
      const xbar = x / T.a;
      const d = (xbar - X0.data[j]) / T.sigma;
      return S.a * (xbar + (S.sigma - T.sigma) * d);
    });
    assertClose(out.data, expected, 1e-6);
    const ddim = ddimStep().step(input(XT, T, S, pred(X0, eps))).x;
    assert.ok(Math.abs(ddim.data[0] - out.data[0]) > 1e-3);
  });

  it('lands on x̂0 at σ = 0 and uses renoiseEps when given', () => {
    const p = pred(X0, consistentEps(XT, X0, T));
    assertClose(eulerStep().step(input(XT, T, CLEAN, p)).x.data, X0.data, 1e-7);
    const epsU = XT.like(new Float32Array([1, 1, 1, -1, -1, -1]));
    const out = eulerStep().step(input(XT, T, S, pred(X0, p.eps, epsU))).x;
    // ComfyUI euler_cfg_pp: x̄_s = x̂0 + σ_s·ε_u.
    assertClose(
      out.data,
      X0.data.map((x0, j) => S.a * (x0 + S.sigma * epsU.data[j])),
      1e-6,
    );
  });
});

describe('Euler ancestral', () => {
  it('η = 0 is Euler', () => {
    const p = pred(X0, XT.like(new Float32Array(6).fill(0.4)));
    assert.deepEqual(
      eulerAncestralStep(0).step(input(XT, T, S, p)).x.data,
      eulerStep().step(input(XT, T, S, p)).x.data,
    );
  });

  it('x̄_s = x̂0 + σ_down·d + σ_up·z with k-diffusion get_ancestral_step', () => {
    const p = pred(X0, consistentEps(XT, X0, T));
    const out = eulerAncestralStep().step(input(XT, T, S, p, 9)).x;
    const st = T.sigma;
    const ss = S.sigma;
    const up = Math.min(ss, Math.sqrt((ss ** 2 * (st ** 2 - ss ** 2)) / st ** 2));
    const down = Math.sqrt(ss ** 2 - up ** 2);
    const z = new BatchRandom(9, 2).normal(XT.shape).data;
    const expected = XT.data.map((x, j) => {
      const d = (x / T.a - X0.data[j]) / st;
      return S.a * (X0.data[j] + down * d + up * z[j]);
    });
    assertClose(out.data, expected, 1e-6);
  });

  it('into σ = 0 returns x̂0 and draws nothing', () => {
    const p = pred(X0, consistentEps(XT, X0, T));
    const rng = new BatchRandom(2, 2);
    const out = eulerAncestralStep().step({
      x: XT,
      from: T,
      to: CLEAN,
      pred: p,
      rng,
      history: undefined,
    }).x;
    assertClose(out.data, X0.data, 1e-7);
    assert.deepEqual(rng.normal(XT.shape).data, new BatchRandom(2, 2).normal(XT.shape).data);
  });

  it('keeps the marginal of point-mass data: Var(x_s) = 1 − ᾱ_s', () => {
    // Data x0 = μ: the exact denoiser returns μ and x_t ~ N(a_t·μ, s_t²). Any correct
    // ancestral step must give x_s ~ N(a_s·μ, s_s²).
    const n = 200_000;
    const mu = 0.6;
    const noise = new BatchRandom(99, 1).normal([1, n]).data;
    const xt = new Tensor(
      Float32Array.from(noise, (e) => T.a * mu + T.s * e),
      [1, n],
    );
    const x0 = new Tensor(new Float32Array(n).fill(mu), [1, n]);
    for (const sampler of [eulerAncestralStep(), ddpmStep()]) {
      const out = sampler.step(input(xt, T, S, pred(x0, consistentEps(xt, x0, T)), 4)).x;
      const { mean, variance } = meanVar(out.data);
      const v = 1 - S.alphaBar;
      assert.ok(Math.abs(mean - S.a * mu) < 5 * Math.sqrt(v / n), `${sampler.name} mean ${mean}`);
      assert.ok(
        Math.abs(variance - v) < 5 * v * Math.sqrt(2 / n),
        `${sampler.name} var ${variance} vs ${v}`,
      );
    }
  });

  it('one step from Gaussian data N(0, c²) has the variance derived in closed form', () => {
    // Exact denoiser: x̂0 = k·x̄ with k = c²/(c² + σ_t²); d = (1 − k)·x̄/σ_t. So
    // x̄_s = (k + σ_down(1 − k)/σ_t)·x̄_t + σ_up·z and Var x̄_t = c² + σ_t².
    const c2 = 0.5;
    const n = 200_000;
    const st = T.sigma;
    const k = c2 / (c2 + st * st);
    const noise = new BatchRandom(123, 1).normal([1, n]).data;
    const xt = new Tensor(
      Float32Array.from(noise, (e) => T.a * Math.sqrt(c2 + st * st) * e),
      [1, n],
    );
    const x0 = xt.like(Float32Array.from(xt.data, (x) => (k * x) / T.a));
    const out = eulerAncestralStep().step(input(xt, T, S, pred(x0, consistentEps(xt, x0, T)), 8)).x;
    const ss = S.sigma;
    const up = Math.sqrt((ss ** 2 * (st ** 2 - ss ** 2)) / st ** 2);
    const down = Math.sqrt(ss ** 2 - up ** 2);
    const gain = k + (down * (1 - k)) / st;
    const v = S.alphaBar * (gain * gain * (c2 + st * st) + up * up);
    const { variance } = meanVar(out.data);
    assert.ok(Math.abs(variance - v) < 5 * v * Math.sqrt(2 / n), `var ${variance} vs ${v}`);
  });
});

describe('DPM-Solver++(2M)', () => {
  const lambda = (l: NoiseLevel) => Math.log(l.a / l.s);

  it('first step is DDIM(η = 0) and records x̂0 and λ_t', () => {
    const p = pred(X0, consistentEps(XT, X0, T));
    const out = dpmSolverPP2MStep().step(input(XT, T, S, p));
    assertClose(out.x.data, ddimStep().step(input(XT, T, S, p)).x.data, 2e-6);
    assert.equal(out.history?.x0, X0);
    assert.ok(Math.abs((out.history?.lambda ?? NaN) - lambda(T)) < 1e-12);
  });

  it('second step extrapolates x̂0 linearly in λ to the midpoint (golden)', () => {
    const R = noiseLevel(800, 0.1); // the level before T
    const x0Prev = Tensor.fromRows([
      [0.4, -0.5, 0.0],
      [-0.2, 1.0, 0.6],
    ]);
    const history: DpmSolverPP2MHistory = { x0: x0Prev, lambda: lambda(R) };
    const out = dpmSolverPP2MStep().step(input(XT, T, S, pred(X0, XT), 1, history)).x;
    // x̂0(λ) through (λ_r, x0Prev), (λ_t, X0), evaluated at λ_t + h/2; then the exact
    // exponential integrator in x̄: x̄_s = (σ_s/σ_t)·x̄_t + (1 − σ_s/σ_t)·D.
    const h = lambda(S) - lambda(T);
    const slope = (j: number) => (X0.data[j] - x0Prev.data[j]) / (lambda(T) - lambda(R));
    const expected = XT.data.map((x, j) => {
      const D = X0.data[j] + slope(j) * (h / 2);
      const ratio = S.sigma / T.sigma;
      return S.a * (ratio * (x / T.a) + (1 - ratio) * D);
    });
    assertClose(out.data, expected, 2e-6);
  });

  it('is first order into σ = 0 and, with lowerOrderFinal, into the final level', () => {
    const R = noiseLevel(800, 0.1);
    const history: DpmSolverPP2MHistory = { x0: XT, lambda: lambda(R) };
    const p = pred(X0, XT);
    assertClose(dpmSolverPP2MStep().step(input(XT, T, CLEAN, p, 1, history)).x.data, X0.data, 1e-7);
    const clean5 = levelFromSigma(0, 5); // σ = 0 without the final-level timestep
    const noLof = dpmSolverPP2MStep({ lowerOrderFinal: false });
    assertClose(noLof.step(input(XT, T, clean5, p, 1, history)).x.data, X0.data, 1e-7);
    const final = noiseLevel(-1, 0.35);
    const first = dpmSolverPP2MStep().step(input(XT, T, S, p)).x.data;
    assert.deepEqual(dpmSolverPP2MStep().step(input(XT, T, final, p, 1, history)).x.data, first);
    const second = dpmSolverPP2MStep({ lowerOrderFinal: false }).step(
      input(XT, T, final, p, 1, history),
    ).x;
    assert.notDeepEqual(second.data, first);
  });

  it('is exact when x̂0 is constant (point-mass data) over a whole schedule', () => {
    // PF-ODE of data x0 = μ: x̄(σ) = μ + (σ/σ_0)·(x̄_0 − μ). The exponential integrator
    // integrates a constant x̂0 exactly and the 2M correction vanishes.
    const sigmas = [14, 6, 2.5, 1, 0.4, 0.1];
    const levels = sigmas.map((s, i) => levelFromSigma(s, 900 - 100 * i));
    const mu = Tensor.fromRows([[0.5, -1, 2]]);
    const x0bar = [1, 2, -3];
    let x = new Tensor(
      Float32Array.from(x0bar, (v) => levels[0].a * v),
      [1, 3],
    );
    let history: DpmSolverPP2MHistory | undefined;
    const step = dpmSolverPP2MStep();
    for (let i = 0; i + 1 < levels.length; i++) {
      const out = step.step(input(x, levels[i], levels[i + 1], pred(mu, mu), 1, history));
      x = out.x;
      history = out.history;
    }
    const last = levels.at(-1)!;
    const exact = mu.data.map((m, j) => last.a * (m + (0.1 / 14) * (x0bar[j] - m)));
    assertClose(x.data, exact, 1e-5);
  });

  it('converges with order 2 (Euler: order 1) on the exact PF-ODE of Gaussian data', () => {
    // Data N(0, c²): x̂0 = c²/(c² + σ²)·x̄ and the PF-ODE solution is
    // x̄(σ) = x̄(σ_0)·√((c² + σ²)/(c² + σ_0²)). Steps uniform in λ from σ = 10 to 0.1; the
    // observed order is log2(error(20 steps)/error(40 steps)) (≈ 1.95 and 0.98 here).
    const c2 = 1;
    const sMax = 10;
    const sMin = 0.1;
    const run = (sampler: SamplerStep, n: number): number => {
      const levels = Array.from({ length: n + 1 }, (_, i) =>
        levelFromSigma(sMax * (sMin / sMax) ** (i / n), n - i),
      );
      let x = new Tensor(new Float32Array([levels[0].a * 3]), [1, 1]);
      let history: unknown;
      for (let i = 0; i < n; i++) {
        const l = levels[i];
        const x0 = x.like(new Float32Array([(c2 / (c2 + l.sigma ** 2)) * (x.data[0] / l.a)]));
        const out = sampler.step(
          input(x, l, levels[i + 1], pred(x0, consistentEps(x, x0, l)), 1, history),
        );
        x = out.x;
        history = out.history;
      }
      const exact = 3 * Math.sqrt((c2 + sMin ** 2) / (c2 + sMax ** 2));
      return Math.abs(x.data[0] / levels[n].a - exact);
    };
    const orderOf = (sampler: SamplerStep) => Math.log2(run(sampler, 20) / run(sampler, 40));
    const p2m = orderOf(dpmSolverPP2MStep());
    const p1 = orderOf(eulerStep());
    assert.ok(p2m > 1.8 && p2m < 2.3, `DPM-Solver++(2M) order ${p2m}`);
    assert.ok(p1 > 0.85 && p1 < 1.15, `Euler order ${p1}`);
  });
});

describe('all steps', () => {
  const samplers = SAMPLER_NAMES.map((name) => createSampler(name));

  it('are pure: same input, same output; inputs untouched; noise only from input.rng', () => {
    const p = pred(X0, consistentEps(XT, X0, T));
    const before = [XT.data.slice(), X0.data.slice(), p.eps.data.slice()];
    for (const sampler of samplers) {
      const a = sampler.step(input(XT, T, S, p, 21)).x.data;
      const b = sampler.step(input(XT, T, S, p, 21)).x.data;
      assert.deepEqual(a, b, sampler.name);
      const c = sampler.step(input(XT, T, S, p, 22)).x.data;
      assert.equal(
        sampler.stochastic,
        !a.every((v, j) => v === c[j]),
        `${sampler.name} stochastic flag`,
      );
    }
    assert.deepEqual([XT.data, X0.data, p.eps.data], before);
  });

  it('stay finite from a zero-SNR level (ᾱ_t = 0, σ_t = ∞)', () => {
    // With a_t = 0 the consistent ε̂ is x_t itself, and every step is a_s·x̂0 + s_s·x_t
    // (up to its noise term).
    const Z = noiseLevel(999, 0);
    const p = pred(X0, XT);
    const deterministic: SamplerStep[] = [
      ddimStep(),
      eulerStep(),
      dpmSolverPP2MStep(),
      eulerAncestralStep(0),
    ];
    for (const sampler of deterministic) {
      const out = sampler.step(input(XT, Z, S, p)).x;
      assertClose(
        out.data,
        X0.data.map((x0, j) => S.a * x0 + S.s * XT.data[j]),
        1e-6,
        sampler.name,
      );
    }
    for (const sampler of [ddpmStep(), eulerAncestralStep()]) {
      assert.ok(sampler.step(input(XT, Z, S, p)).x.data.every(Number.isFinite), sampler.name);
    }
  });

  it('declare whether they honour renoiseEps', () => {
    const uses = Object.fromEntries(samplers.map((s) => [s.name, s.usesRenoiseEps]));
    assert.deepEqual(uses, {
      ddim: true,
      ddpm: true,
      euler: true,
      'euler-a': true,
      'dpmpp-2m': false,
      heun: true,
      'dpmpp-sde': false,
      unipc: false,
      lms: false,
      lcm: false,
    });
  });
});

describe('createSampler', () => {
  it('builds every named sampler with its flags', () => {
    assert.deepEqual(
      [...SAMPLER_NAMES],
      ['ddim', 'ddpm', 'euler', 'euler-a', 'dpmpp-2m', 'heun', 'dpmpp-sde', 'unipc', 'lms', 'lcm'],
    );
    for (const { name } of SAMPLERS) assert.equal(createSampler(name).name, name);
    assert.equal(createSampler('dpmpp_2m_sde').name, 'dpmpp-2m-sde');
    assert.equal(createSampler('ddim').stochastic, false);
    assert.equal(createSampler('ddim', { eta: 0.3 }).stochastic, true);
    assert.equal(createSampler('euler-a').stochastic, true);
    assert.equal(createSampler('euler-a', { eta: 0 }).stochastic, false);
    assert.equal(createSampler('ddpm').stochastic, true);
  });

  it('rejects unknown names, listing the valid ones', () => {
    assert.throws(
      () => createSampler('plms'),
      (e: unknown) =>
        e instanceof InvalidOptionError && /ddim, ddpm, euler, euler-a, dpmpp-2m/.test(e.message),
    );
    assert.throws(() => createSampler('euler-a', { eta: -1 }), InvalidOptionError);
  });
});
