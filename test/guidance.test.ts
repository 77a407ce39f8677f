import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import type { Denoiser, PredictionRequest, Predictions } from '../src/core/denoiser.js';
import { InvalidOptionError, ShapeError } from '../src/core/errors.js';
import {
  apg,
  cfg,
  cfgCombine,
  cfgpp,
  cfgppEquivalentWeight,
  cfgppLambda,
  cfgppRatio,
  cfgZeroStar,
  createGuidanceRule,
  epsScaling,
  GUIDANCE_RULES,
  GUIDANCE_RULE_NAMES,
  interval,
  quantileSorted,
  rescale,
  threshold,
  type GuidanceContext,
  type GuidanceRule,
} from '../src/guidance/index.js';
import { x0FromEps } from '../src/core/convert.js';
import { noiseLevel, type NoiseLevel } from '../src/core/noiseLevel.js';
import { sample } from '../src/samplers/sample.js';
import type { SamplerStep } from '../src/core/step.js';
import { BatchRandom } from '../src/core/random.js';
import { Tensor } from '../src/core/tensor.js';

// ---------------------------------------------------------------------------------------
// Fixtures
// ---------------------------------------------------------------------------------------

const D = 6;
const BATCH = 3;

/** Cosine-schedule ᾱ (Nichol & Dhariwal) on the 1000-step grid. */
function cosineLevel(t: number): NoiseLevel {
  const f = (u: number) => Math.cos(((u / 1000 + 0.008) / 1.008) * (Math.PI / 2)) ** 2;
  return noiseLevel(t, f(t) / f(0));
}

/** A 10-step schedule, noisiest first; the last level is σ = 0 (ᾱ = 1). */
const LEVELS: NoiseLevel[] = [
  ...[950, 850, 750, 650, 550, 450, 350, 250, 150, 50].map(cosineLevel),
  noiseLevel(0, 1),
];

/** Deterministic ε predictions that depend on x and on the level (no network). */
function fakeEps(x: Tensor, level: NoiseLevel, which: 'cond' | 'uncond'): Tensor {
  const out = new Float32Array(x.data.length);
  const n = x.itemSize;
  for (let j = 0; j < out.length; j++) {
    const k = j % n;
    const item = Math.floor(j / n);
    out[j] =
      which === 'cond'
        ? 0.7 * level.s * x.data[j] + 0.5 * Math.cos(k + item) + 0.1 * level.a
        : 0.4 * level.s * x.data[j] - 0.3 * Math.sin(2 * k + 1) + 0.2 * item;
  }
  return x.like(out);
}

/** A Denoiser that counts its calls per request type. */
class CountingDenoiser implements Denoiser {
  readonly itemShape = [D];
  readonly calls: Record<PredictionRequest, number> = { cond: 0, both: 0 };

  async predict(x: Tensor, level: NoiseLevel, request: PredictionRequest): Promise<Predictions> {
    this.calls[request]++;
    const cond = fakeEps(x, level, 'cond');
    return request === 'both' ? { cond, uncond: fakeEps(x, level, 'uncond') } : { cond };
  }
}

/** A DDIM(η = 0)-like step for the tests: x_s = a_s·x̂0 + s_s·ε̂, honouring renoiseEps. */
const testDdim: SamplerStep = {
  name: 'test-ddim',
  usesRenoiseEps: true,
  stochastic: false,
  step({ to, pred }) {
    const e = pred.renoiseEps ?? pred.eps;
    const out = new Float32Array(pred.x0.data.length);
    for (let j = 0; j < out.length; j++) out[j] = to.a * pred.x0.data[j] + to.s * e.data[j];
    return { x: pred.x0.like(out) };
  },
};

function startNoise(seed = 7): Tensor {
  return new BatchRandom(seed, BATCH).normal([BATCH, D]);
}

async function run(rule: GuidanceRule, levels: readonly NoiseLevel[] = LEVELS) {
  const denoiser = new CountingDenoiser();
  const result = await sample({
    denoiser,
    rule,
    sampler: testDdim,
    levels,
    x: startNoise(),
    rng: new BatchRandom(1, BATCH),
  });
  return { ...result, calls: denoiser.calls };
}

/** Predictions at one level, with the context a rule sees there. */
function fixture(
  step = 3,
  levelIndex = 3,
): { pred: Predictions & { uncond: Tensor }; ctx: GuidanceContext } {
  const x = startNoise(11);
  const level = LEVELS[levelIndex];
  const pred = { cond: fakeEps(x, level, 'cond'), uncond: fakeEps(x, level, 'uncond') };
  return { pred, ctx: { step, numSteps: 10, level, next: LEVELS[levelIndex + 1], x } };
}

/** Apply a rule at the fixture, through its own weights and with both predictions. */
function apply<S>(rule: GuidanceRule<S>, f = fixture(), state = rule.createState(BATCH)) {
  const weights = rule.weights(f.ctx, state);
  return rule.combine(f.pred, weights, f.ctx, state);
}

function assertAllClose(
  actual: ArrayLike<number>,
  expected: ArrayLike<number>,
  tol: number,
  what: string,
) {
  assert.equal(actual.length, expected.length, `${what}: lengths`);
  for (let j = 0; j < actual.length; j++) {
    const err = Math.abs(actual[j] - expected[j]);
    assert.ok(
      err <= tol * Math.max(1, Math.abs(expected[j])),
      `${what}[${j}]: ${actual[j]} vs ${expected[j]}`,
    );
  }
}

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let m = 0;
  for (let j = 0; j < a.length; j++) m = Math.max(m, Math.abs(a[j] - b[j]));
  return m;
}

function std(v: ArrayLike<number>): number {
  const xs = Array.from(v);
  const mean = xs.reduce((a, b) => a + b, 0) / xs.length;
  return Math.sqrt(xs.reduce((a, b) => a + (b - mean) ** 2, 0) / xs.length);
}

// ---------------------------------------------------------------------------------------
// CFG identities
// ---------------------------------------------------------------------------------------

describe('cfg', () => {
  it('w = 1 is the conditional prediction and w = 0 the unconditional, bit for bit', () => {
    const f = fixture();
    assert.deepEqual(apply(cfg(1), f).eps.data, f.pred.cond.data);
    assert.deepEqual(apply(cfg(0), f).eps.data, f.pred.uncond.data);
  });

  it('computes ε_u + w(ε_c − ε_u) and x̂0 from it', () => {
    const f = fixture();
    const out = apply(cfg(4), f);
    const expected = f.pred.uncond.data.map((u, j) => u + 4 * (f.pred.cond.data[j] - u));
    assertAllClose(out.eps.data, expected, 1e-6, 'eps');
    assertAllClose(out.x0.data, x0FromEps(f.ctx.x, out.eps, f.ctx.level).data, 1e-6, 'x0');
    assert.deepEqual(Array.from(out.weights), [4, 4, 4]);
    assert.equal(out.renoiseEps, undefined);
  });

  it('uses per-sample weights', () => {
    const f = fixture();
    const out = cfgCombine(f.pred, new Float64Array([1, 0, 2]), f.ctx);
    const n = D;
    assert.deepEqual(out.eps.data.subarray(0, n), f.pred.cond.data.subarray(0, n));
    assert.deepEqual(out.eps.data.subarray(n, 2 * n), f.pred.uncond.data.subarray(n, 2 * n));
    assert.notDeepEqual(out.eps.data.subarray(2 * n), f.pred.cond.data.subarray(2 * n));
  });

  it('without the unconditional prediction every rule returns the conditional one', () => {
    const f = fixture();
    const condOnly = { cond: f.pred.cond };
    const rules: GuidanceRule[] = [
      cfg(3),
      apg({ w: 3 }),
      cfgZeroStar({ w: 3, zeroInitSteps: 0 }),
      cfgpp({ lambda: 0.6 }),
      rescale(3),
      interval(3, { sigmaLo: 0, sigmaHi: Infinity }),
      epsScaling(3, { scalingFactor: 1 }),
    ];
    for (const rule of rules) {
      const out = rule.combine(
        condOnly,
        new Float64Array(BATCH).fill(3),
        f.ctx,
        rule.createState(BATCH),
      );
      assert.deepEqual(out.eps.data, f.pred.cond.data, rule.name);
      assert.deepEqual(Array.from(out.weights), [1, 1, 1], rule.name);
      assert.equal(out.renoiseEps, undefined, rule.name);
    }
  });

  it('at w = 1 every rule leaves the conditional prediction unchanged', () => {
    const f = fixture();
    const rules: GuidanceRule[] = [
      cfg(1),
      apg({ w: 1 }),
      cfgZeroStar({ w: 1, zeroInitSteps: 0 }),
      rescale(1),
      interval(1, { sigmaLo: 0, sigmaHi: Infinity }),
    ];
    for (const rule of rules) {
      const state = rule.createState(BATCH);
      const weights = rule.weights(f.ctx, state);
      assert.deepEqual(Array.from(weights), [1, 1, 1], rule.name);
      // Even when the unconditional prediction is there, weight 1 must give ε_c exactly.
      assert.deepEqual(
        rule.combine(f.pred, weights, f.ctx, state).eps.data,
        f.pred.cond.data,
        rule.name,
      );
    }
  });
});

// ---------------------------------------------------------------------------------------
// The gate, through the real sampling loop
// ---------------------------------------------------------------------------------------

describe('gate: declared predictions match the network calls', () => {
  it('cfg at w = 1 requests only conditional predictions', async () => {
    const r = await run(cfg(1));
    assert.deepEqual(r.calls, { cond: 10, both: 0 });
    assert.equal(r.evals, 10 * BATCH);
    assert.equal(r.nfe, 10);
  });

  it('cfg at w = 3 requests both on every step', async () => {
    const r = await run(cfg(3));
    assert.deepEqual(r.calls, { cond: 0, both: 10 });
    assert.equal(r.nfe, 20);
  });

  it('interval outside its window requests only conditional predictions', async () => {
    const r = await run(interval(5, { sigmaLo: 100, sigmaHi: 200 }));
    assert.deepEqual(r.calls, { cond: 10, both: 0 });
    // …and is then the unguided sampler.
    assert.deepEqual((await run(cfg(1))).x.data, r.x.data);
  });

  it('interval (0.28, 5.42] guides exactly the steps whose σ lies inside', async () => {
    const inside = LEVELS.slice(0, -1).filter((l) => l.sigma > 0.28 && l.sigma <= 5.42).length;
    assert.ok(inside > 0 && inside < 10, `the fixture should straddle the window (${inside})`);
    const r = await run(interval(5));
    assert.deepEqual(r.calls, { cond: 10 - inside, both: inside });
    assert.equal(r.evals, BATCH * (10 - inside + 2 * inside));
  });

  it('cfg-zero* skips the unconditional pass during zero-init', async () => {
    const r = await run(cfgZeroStar({ w: 3, zeroInitSteps: 2 }));
    assert.deepEqual(r.calls, { cond: 2, both: 8 });
  });

  it('cfgpp always needs both predictions', async () => {
    const r = await run(cfgpp({ lambda: 0.5 }));
    assert.deepEqual(r.calls, { cond: 0, both: 10 });
  });
});

// ---------------------------------------------------------------------------------------
// APG
// ---------------------------------------------------------------------------------------

describe('apg', () => {
  it('with η = 1, no norm threshold and β = 0 is CFG', () => {
    const f = fixture();
    const ref = apply(cfg(6), f);
    for (const normThreshold of [0, Infinity]) {
      const out = apply(apg({ w: 6, eta: 1, momentum: 0, normThreshold }), f);
      assertAllClose(out.eps.data, ref.eps.data, 1e-5, `eps (r=${normThreshold})`);
      assertAllClose(out.x0.data, ref.x0.data, 1e-5, `x0 (r=${normThreshold})`);
    }
  });

  it('reduces to CFG over a whole run', async () => {
    const a = await run(apg({ w: 4, eta: 1, momentum: 0, normThreshold: 0 }));
    const c = await run(cfg(4));
    assertAllClose(a.x.data, c.x.data, 1e-4, 'final x');
  });

  it('with the defaults differs from CFG (the projection acts)', () => {
    const f = fixture();
    assert.ok(maxAbsDiff(apply(apg({ w: 6 }), f).eps.data, apply(cfg(6), f).eps.data) > 1e-3);
  });

  it('η = 0 removes the component parallel to x̂0_c', () => {
    const f = fixture();
    const out = apply(apg({ w: 5, eta: 0, momentum: 0, normThreshold: 0 }), f);
    const x0c = x0FromEps(f.ctx.x, f.pred.cond, f.ctx.level);
    for (let i = 0; i < BATCH; i++) {
      let dot = 0;
      let scale = 0;
      for (let j = i * D; j < (i + 1) * D; j++) {
        dot += (out.x0.data[j] - x0c.data[j]) * x0c.data[j];
        scale += x0c.data[j] ** 2;
      }
      assert.ok(Math.abs(dot) < 1e-4 * scale, `item ${i}: ⟨update, x̂0_c⟩ = ${dot}`);
    }
  });

  it('the norm threshold bounds ‖x̂0 − x̂0_c‖ by (w − 1)·r', () => {
    const f = fixture();
    const r = 0.05;
    const out = apply(apg({ w: 5, eta: 1, momentum: 0, normThreshold: r }), f);
    const x0c = x0FromEps(f.ctx.x, f.pred.cond, f.ctx.level);
    for (let i = 0; i < BATCH; i++) {
      let ss = 0;
      for (let j = i * D; j < (i + 1) * D; j++) ss += (out.x0.data[j] - x0c.data[j]) ** 2;
      assert.ok(Math.abs(Math.sqrt(ss) - 4 * r) < 1e-5, `item ${i}: ${Math.sqrt(ss)}`);
    }
  });

  it('momentum averages over steps, once per step, and restarts with a new state', () => {
    const beta = 0.5;
    const rule = apg({ w: 3, eta: 1, momentum: beta, normThreshold: 0 });
    const f0 = fixture(0, 2);
    const f1 = fixture(1, 3);
    const diff = (f: ReturnType<typeof fixture>) =>
      f.pred.cond.data.map((c, j) => -f.ctx.level.sigma * (c - f.pred.uncond.data[j]));
    const state = rule.createState(BATCH);
    const out0 = apply(rule, f0, state);
    assertAllClose(out0.x0.data, apply(cfg(3), f0).x0.data, 1e-5, 'first step is CFG');
    apply(rule, f1, state); // a repeated evaluation of step 1 must not count twice
    const out1 = apply(rule, f1, state);
    const d0 = diff(f0);
    const d1 = diff(f1);
    const x0c = x0FromEps(f1.ctx.x, f1.pred.cond, f1.ctx.level).data;
    const expected = x0c.map((v, j) => v + 2 * (d1[j] + beta * d0[j]));
    assertAllClose(out1.x0.data, expected, 1e-5, 'second step');
    // A fresh state has no memory.
    assertAllClose(apply(rule, f1).x0.data, apply(cfg(3), f1).x0.data, 1e-5, 'fresh state');
  });

  it('refuses a sub-batch against a momentum state of another size', () => {
    const rule = apg({ w: 3 });
    assert.throws(() => apply(rule, fixture(), rule.createState(BATCH + 1)), ShapeError);
  });
});

// ---------------------------------------------------------------------------------------
// Rescale
// ---------------------------------------------------------------------------------------

describe('rescale', () => {
  it('φ = 0 is CFG', () => {
    const f = fixture();
    assert.deepEqual(apply(rescale(5, { phi: 0 }), f).eps.data, apply(cfg(5), f).eps.data);
  });

  it('φ = 1 gives each sample the std of the conditional ε', () => {
    const f = fixture();
    const out = apply(rescale(5, { phi: 1 }), f);
    for (let i = 0; i < BATCH; i++) {
      const s = std(out.eps.data.subarray(i * D, (i + 1) * D));
      const sc = std(f.pred.cond.data.subarray(i * D, (i + 1) * D));
      assert.ok(Math.abs(s - sc) < 1e-5 * sc, `item ${i}: ${s} vs ${sc}`);
    }
    assertAllClose(
      out.x0.data,
      x0FromEps(f.ctx.x, out.eps, f.ctx.level).data,
      1e-6,
      'x0 follows ε',
    );
  });

  it('the default φ = 0.7 blends: ε = ε_w·(φ·k + 1 − φ)', () => {
    const f = fixture();
    const w = apply(cfg(5), f).eps;
    const out = apply(rescale(5), f);
    for (let i = 0; i < BATCH; i++) {
      const k =
        std(f.pred.cond.data.subarray(i * D, (i + 1) * D)) /
        std(w.data.subarray(i * D, (i + 1) * D));
      const c = 0.7 * k + 0.3;
      for (let j = i * D; j < (i + 1) * D; j++) {
        assert.ok(
          Math.abs(out.eps.data[j] - c * w.data[j]) < 1e-5 * Math.max(1, Math.abs(w.data[j])),
        );
      }
    }
  });
});

// ---------------------------------------------------------------------------------------
// CFG++
// ---------------------------------------------------------------------------------------

describe('cfgpp', () => {
  it('re-noises with ε_u and builds x̂0 from ε_u + λΔε', () => {
    const f = fixture();
    const out = apply(cfgpp({ lambda: 0.6 }), f);
    assert.deepEqual(out.renoiseEps?.data, f.pred.uncond.data);
    const eps = f.pred.uncond.data.map((u, j) => u + 0.6 * (f.pred.cond.data[j] - u));
    assertAllClose(out.eps.data, eps, 1e-6, 'eps');
    const wt = (0.6 * f.ctx.level.sigma) / (f.ctx.level.sigma - f.ctx.next.sigma);
    assert.ok(Math.abs(out.weights[0] - wt) < 1e-12);
  });

  it('on DDIM equals CFG-DDIM with w_t = λσ_t/(σ_t − σ_s)', async () => {
    const lambda = 0.35;
    // CFG with an independently computed per-step weight.
    const stepWeighted: GuidanceRule = {
      ...cfg(1),
      name: 'cfg-wt',
      weights: (ctx) =>
        new Float64Array(ctx.x.batch).fill(
          (lambda * ctx.level.sigma) / (ctx.level.sigma - ctx.next.sigma),
        ),
    };
    const pp = await run(cfgpp({ lambda }));
    const ref = await run(stepWeighted);
    assertAllClose(pp.x.data, ref.x.data, 1e-4, 'final x');
    // …and differs from CFG at the constant weight λ (the test can fail).
    assert.ok(maxAbsDiff(pp.x.data, (await run(cfg(lambda))).x.data) > 1e-3);
  });

  it('maps a CFG weight to λ with the median step ratio', () => {
    const ratios = LEVELS.slice(0, -1)
      .map((l, i) => (l.sigma - LEVELS[i + 1].sigma) / l.sigma)
      .sort((a, b) => a - b);
    const rho = (ratios[4] + ratios[5]) / 2; // 10 steps: mean of the middle two
    assert.ok(Math.abs(cfgppRatio(LEVELS) - rho) < 1e-15);
    assert.ok(Math.abs(cfgppLambda(3, LEVELS) - 3 * rho) < 1e-15);
    // The last step (σ_s = 0) has ratio 1, so w_t = λ there.
    assert.equal(cfgppEquivalentWeight(0.6, LEVELS[9], LEVELS[10]), 0.6);
    const rule = createGuidanceRule('cfgpp', { w: 3 }, { levels: LEVELS });
    assert.equal(rule.w, 3);
    assert.deepEqual(rule.describe(), { name: 'cfgpp', lambda: 3 * cfgppRatio(LEVELS), w: 3 });
  });
});

// ---------------------------------------------------------------------------------------
// CFG-Zero*
// ---------------------------------------------------------------------------------------

describe('cfg-zero*', () => {
  /** ε_c = ε_u + d with d ⟂ ε_u per sample, so s* = ‖ε_u‖²/(‖ε_u‖² + 1e−8) ≈ 1. */
  function orthogonalFixture() {
    const f = fixture();
    const u = f.pred.uncond.data;
    const c = new Float32Array(u.length);
    for (let i = 0; i < BATCH; i++) {
      const lo = i * D;
      const d = Array.from({ length: D }, (_, k) => Math.sin(3 * k + i) + 0.5);
      let du = 0;
      let uu = 0;
      for (let k = 0; k < D; k++) {
        du += d[k] * u[lo + k];
        uu += u[lo + k] ** 2;
      }
      for (let k = 0; k < D; k++) c[lo + k] = u[lo + k] + d[k] - (du / uu) * u[lo + k];
    }
    return { ...f, pred: { cond: f.pred.uncond.like(c), uncond: f.pred.uncond } };
  }

  it('with s* = 1 equals CFG', () => {
    const f = orthogonalFixture();
    const out = apply(cfgZeroStar({ w: 4, zeroInitSteps: 0 }), f);
    assertAllClose(out.eps.data, apply(cfg(4), f).eps.data, 1e-5, 'eps');
  });

  it('rescales ε_u by s* otherwise', () => {
    const f = fixture();
    const out = apply(cfgZeroStar({ w: 4, zeroInitSteps: 0 }), f);
    const c = f.pred.cond.data;
    const u = f.pred.uncond.data;
    let farFromOne = 0;
    for (let i = 0; i < BATCH; i++) {
      let cu = 0;
      let uu = 0;
      for (let j = i * D; j < (i + 1) * D; j++) {
        cu += c[j] * u[j];
        uu += u[j] * u[j];
      }
      const s = cu / (uu + 1e-8);
      farFromOne = Math.max(farFromOne, Math.abs(s - 1));
      for (let j = i * D; j < (i + 1) * D; j++) {
        const e = s * u[j] + 4 * (c[j] - s * u[j]);
        assert.ok(Math.abs(out.eps.data[j] - e) < 1e-5 * Math.max(1, Math.abs(e)));
      }
    }
    assert.ok(farFromOne > 0.1, `the fixture should have s* ≠ 1 (max |s* − 1| = ${farFromOne})`);
  });

  it('zero-init sets ε = 0 on the first steps (default: step 0 only)', () => {
    const rule = cfgZeroStar({ w: 4 });
    const out0 = apply(rule, fixture(0));
    assert.ok(out0.eps.data.every((v) => v === 0));
    assert.deepEqual(Array.from(rule.weights(fixture(0).ctx, undefined)), [1, 1, 1]);
    const f1 = fixture(1);
    assert.ok(apply(rule, f1).eps.data.some((v) => v !== 0));
    assert.deepEqual(Array.from(rule.weights(f1.ctx, undefined)), [4, 4, 4]);
  });
});

// ---------------------------------------------------------------------------------------
// Thresholding and epsilon scaling
// ---------------------------------------------------------------------------------------

describe('threshold', () => {
  it('quantile interpolates linearly like torch.quantile', () => {
    assert.equal(quantileSorted([1, 2, 3, 4], 0.5), 2.5);
    assert.equal(quantileSorted([1, 2, 3, 4], 1), 4);
    assert.ok(Math.abs(quantileSorted([0, 10], 0.995) - 9.95) < 1e-12);
  });

  it('clamps x̂0 to [−1, 1] with maxValue 1 and keeps the guided ε', () => {
    const f = fixture(3, 0); // the noisiest level: x̂0 is large
    const ref = apply(cfg(7), f);
    assert.ok(
      ref.x0.data.some((v) => Math.abs(v) > 1),
      'the fixture should need clipping',
    );
    const out = apply(threshold(7), f);
    assert.deepEqual(out.eps.data, ref.eps.data);
    assert.deepEqual(
      out.x0.data,
      ref.x0.data.map((v) => Math.min(1, Math.max(-1, v))),
    );
  });

  it('divides by the per-sample quantile when maxValue allows it', () => {
    const f = fixture(3, 0);
    const ref = apply(cfg(7), f);
    const out = apply(threshold(7, { quantile: 0.5, maxValue: 1000 }), f);
    for (let i = 0; i < BATCH; i++) {
      const item = ref.x0.data.subarray(i * D, (i + 1) * D);
      const s = Math.max(1, quantileSorted(Float64Array.from(item, Math.abs).sort(), 0.5));
      for (let j = 0; j < D; j++) {
        const e = Math.min(s, Math.max(-s, item[j])) / s;
        assert.ok(Math.abs(out.x0.data[i * D + j] - e) < 1e-6);
      }
    }
  });
});

describe('eps-scaling', () => {
  it('λ = 1 is the identity', () => {
    const f = fixture();
    const ref = apply(cfg(3), f);
    const out = apply(epsScaling(3, { scalingFactor: 1 }), f);
    assert.deepEqual(out.eps.data, ref.eps.data);
    assert.deepEqual(out.x0.data, ref.x0.data);
  });

  it('divides ε by λ and recomputes x̂0 from it', () => {
    const f = fixture();
    const ref = apply(cfg(3), f);
    const out = apply(epsScaling(3, { scalingFactor: 1.25 }), f);
    assertAllClose(
      out.eps.data,
      ref.eps.data.map((v) => v / 1.25),
      1e-6,
      'eps',
    );
    assertAllClose(out.x0.data, x0FromEps(f.ctx.x, out.eps, f.ctx.level).data, 1e-5, 'x0');
  });
});

// ---------------------------------------------------------------------------------------
// Registry and options
// ---------------------------------------------------------------------------------------

/** The defaults a rule declares (wrappers: also their inner rule, cfg). */
function ruleDefaults(name: string): Record<string, unknown> {
  const spec = GUIDANCE_RULES.find((r) => r.name === name)!;
  const own = Object.fromEntries(
    spec.options.filter((o) => o.default !== undefined).map((o) => [o.key, o.default]),
  );
  return spec.wrapper ? { ...own, inner: 'cfg' } : own;
}

describe('registry', () => {
  it('builds every rule with its defaults and echoes them', () => {
    for (const name of GUIDANCE_RULE_NAMES) {
      const rule = createGuidanceRule(name);
      assert.equal(rule.name, name);
      const d = rule.describe();
      for (const [k, v] of Object.entries(ruleDefaults(name))) {
        if (k === 'inner') assert.deepEqual(d.inner, { name: 'cfg', w: 3 });
        else assert.equal(d[k], v, `${name}.${k}`);
      }
    }
    assert.deepEqual(ruleDefaults('apg'), {
      w: 3,
      eta: 0,
      momentum: -0.5,
      normThreshold: 15,
    });
    assert.deepEqual(ruleDefaults('interval'), { sigmaLo: 0.28, sigmaHi: 5.42, inner: 'cfg' });
  });

  it('passes options a wrapper does not own to its inner rule', () => {
    const rule = createGuidanceRule('interval', { inner: 'apg', w: '5', sigmaHi: 3, eta: 1 });
    assert.deepEqual(rule.describe(), {
      name: 'interval',
      sigmaLo: 0.28,
      sigmaHi: 3,
      inner: { name: 'apg', w: 5, eta: 1, momentum: -0.5, normThreshold: 15 },
    });
    assert.equal(rule.w, 5);
    const nested = createGuidanceRule('threshold', {
      inner: 'rescale',
      phi: 0.5,
      w: 2,
      normThreshold: undefined,
    });
    assert.deepEqual(nested.describe(), {
      name: 'threshold',
      quantile: 0.995,
      maxValue: 1,
      inner: { name: 'rescale', phi: 0.5, inner: { name: 'cfg', w: 2 } },
    });
  });

  it('rejects unknown names and options, naming them and listing the valid ones', () => {
    assert.throws(
      () => createGuidanceRule('pag'),
      (e: Error) => {
        return (
          e instanceof InvalidOptionError &&
          /'pag'/.test(e.message) &&
          /cfg, rescale, cfgpp/.test(e.message)
        );
      },
    );
    assert.throws(
      () => createGuidanceRule('cfg', { phi: 0.7 }),
      (e: Error) => {
        return (
          e instanceof InvalidOptionError &&
          /'phi'/.test(e.message) &&
          /valid options: w$/.test(e.message)
        );
      },
    );
    assert.throws(() => createGuidanceRule('cfg', { inner: 'apg' }), InvalidOptionError);
    assert.throws(
      () => createGuidanceRule('rescale', { inner: 'nope' }),
      /unknown guidance rule 'nope'/,
    );
    assert.throws(
      () => createGuidanceRule('rescale', { inner: 'apg', zeroInitSteps: 2 }),
      /zeroInitSteps/,
    );
    assert.throws(() => createGuidanceRule('cfg', { w: 'abc' }), /'w' must be a number/);
    assert.throws(() => createGuidanceRule('cfgpp', { w: 3 }), /needs the schedule/);
  });

  it('rejects invalid values, naming the option', () => {
    const cases: [() => unknown, RegExp][] = [
      [() => cfg(Number.NaN), /'w'/],
      [() => cfg(Infinity), /'w'/],
      [() => rescale(3, { phi: 1.5 }), /'phi'/],
      [() => cfgpp({ lambda: -0.1 }), /'lambda'/],
      [() => apg({ w: 3, normThreshold: -1 }), /'normThreshold'/],
      [() => apg({ w: 3, momentum: Number.NaN }), /'momentum'/],
      [() => cfgZeroStar({ w: 3, zeroInitSteps: 1.5 }), /'zeroInitSteps'/],
      [() => interval(3, { sigmaLo: 2, sigmaHi: 1 }), /'sigmaHi'/],
      [() => interval(3, { sigmaLo: -1 }), /'sigmaLo'/],
      [() => threshold(3, { maxValue: 0.5 }), /'maxValue'/],
      [() => threshold(3, { quantile: 2 }), /'quantile'/],
      [() => epsScaling(3, { scalingFactor: 0 }), /'scalingFactor'/],
      [() => createGuidanceRule('interval', { sigmaHi: 'inf', sigmaLo: 'x' }), /'sigmaLo'/],
    ];
    for (const [fn, re] of cases) {
      assert.throws(
        fn,
        (e: Error) => e instanceof InvalidOptionError && re.test(e.message),
        re.source,
      );
    }
    assert.equal(createGuidanceRule('interval', { sigmaHi: 'inf' }).describe().sigmaHi, Infinity);
  });
});
