/**
 * The three published peers added for issue 15: increasing weight schedules (cfg-schedule),
 * frequency-decoupled guidance (fdg) and characteristic guidance (characteristic). Each
 * reduces to CFG in its documented limit, works per sample, and counts what it spends.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { scheduleFor } from '../src/bench/problemSchedule.js';
import { GmmDenoiser } from '../src/denoisers/gmmDenoiser.js';
import type { Denoiser, PredictionRequest } from '../src/core/denoiser.js';
import {
  characteristic,
  type CharacteristicOptions,
  type CharacteristicSolve,
} from '../src/transitions/characteristic.js';
import { InvalidOptionError } from '../src/core/errors.js';
import {
  cfg,
  fdg,
  fdgWeights,
  frequencySplit,
  scheduledWeight,
  weightSchedule,
  type GuidanceRule,
} from '../src/guidance/index.js';
import { countNfe, stepsForNfe } from '../src/methods/nfe.js';
import { resolveMethod } from '../src/methods/registry.js';
import type { NoiseLevel } from '../src/core/noiseLevel.js';
import { sample } from '../src/samplers/sample.js';
import type { TransitionWrapper } from '../src/core/transition.js';
import { createSampler } from '../src/samplers/index.js';
import { BatchRandom } from '../src/core/random.js';
import { Tensor } from '../src/core/tensor.js';
import { counting, TWO_CLASS_2D } from './helpers/mixtures.js';

const PROBLEM = TWO_CLASS_2D;
const PLAN = scheduleFor(PROBLEM);

async function run(
  rule: GuidanceRule,
  opts: {
    steps?: number;
    n?: number;
    sampler?: string;
    wrappers?: TransitionWrapper[];
    seed?: number;
    denoiser?: Denoiser;
  } = {},
) {
  const n = opts.n ?? 16;
  const rng = new BatchRandom(opts.seed ?? 5, n);
  return sample({
    denoiser: opts.denoiser ?? GmmDenoiser.forModel(PROBLEM),
    rule,
    sampler: createSampler(opts.sampler ?? 'ddim'),
    levels: PLAN.forSteps(opts.steps ?? 16).levels,
    x: rng.normal([n, 2]),
    rng,
    wrappers: opts.wrappers,
  });
}

/** The first `m` items of a [n, d] tensor's data. */
const head = (t: Tensor, m: number) => t.data.slice(0, m * t.itemSize);

// ---------------------------------------------------------------------------------------
// cfg-schedule
// ---------------------------------------------------------------------------------------

describe('cfg-schedule (Wang et al. 2024)', () => {
  for (const sampler of ['ddim', 'ddpm', 'dpmpp-2m']) {
    it(`the constant schedule is CFG bit for bit (${sampler})`, async () => {
      const plain = await run(cfg(4), { sampler });
      const constant = await run(weightSchedule(4, { shape: 'constant' }), { sampler });
      assert.deepEqual(constant.x.data, plain.x.data);
      assert.equal(constant.nfe, plain.nfe);
    });
  }

  for (const shape of ['linear', 'cosine'] as const) {
    it(`${shape}: increasing, mean weight over the steps = w, w = 1 unguided`, () => {
      for (const n of [1, 2, 7, 30]) {
        const ws = Array.from({ length: n }, (_, i) => scheduledWeight(5, shape, i, n));
        const mean = ws.reduce((a, b) => a + b, 0) / n;
        assert.ok(Math.abs(mean - 5) < 1e-12, `${shape} n=${n}: mean ${mean}`);
        for (let i = 1; i < n; i++) assert.ok(ws[i] > ws[i - 1], `${shape} increases`);
        if (n > 1) assert.ok(ws[0] < 5 && ws[n - 1] > 5);
        for (let i = 0; i < n; i++) assert.equal(scheduledWeight(1, shape, i, n), 1);
      }
    });

    it(`${shape}: changes the result; at w = 1 it skips the unconditional pass`, async () => {
      const plain = await run(cfg(4));
      const scheduled = await run(weightSchedule(4, { shape }));
      assert.notDeepEqual(scheduled.x.data, plain.x.data);
      assert.equal(scheduled.nfe, plain.nfe);
      const off = await run(weightSchedule(1, { shape }), { steps: 10 });
      assert.equal(off.nfe, 10);
    });

    it(`${shape}: per sample (item i the same for n = 1 and n = 8)`, async () => {
      const one = await run(weightSchedule(4, { shape }), { n: 1 });
      const eight = await run(weightSchedule(4, { shape }), { n: 8 });
      assert.deepEqual(one.x.data, head(eight.x, 1));
    });
  }

  it('rejects an unknown shape', () => {
    assert.throws(
      () => weightSchedule(3, { shape: 'square' as never }),
      (e: unknown) => e instanceof InvalidOptionError,
    );
  });
});

// ---------------------------------------------------------------------------------------
// fdg
// ---------------------------------------------------------------------------------------

/** A fake image denoiser whose ε_c − ε_u has structure at every frequency. */
function imageDenoiser(shape: readonly number[]): Denoiser {
  return {
    itemShape: shape,
    async predict(x: Tensor, _level: NoiseLevel, request: PredictionRequest) {
      const cond = x.like(x.data.map((v, j) => 0.5 * v + Math.sin(0.7 * j)));
      if (request === 'cond') return { cond };
      return { cond, uncond: x.like(x.data.map((v, j) => 0.3 * v + Math.cos(1.3 * j) * 0.2)) };
    },
  };
}

async function runImage(rule: GuidanceRule, n: number, shape: readonly number[], seed = 9) {
  const rng = new BatchRandom(seed, n);
  return sample({
    denoiser: imageDenoiser(shape),
    rule,
    sampler: createSampler('ddim'),
    levels: PLAN.forSteps(6).levels,
    x: rng.normal([n, ...shape]),
    rng,
  });
}

describe('fdg (Sadat et al. 2025)', () => {
  it('the split is exact: low + high = input, on [C,H,W] and 1-D items', () => {
    for (const shape of [
      [2, 3, 8, 7],
      [1, 1, 80, 23],
      [3, 5],
      [1, 1],
    ]) {
      for (const depth of [1, 2, 3]) {
        const t = new BatchRandom(1, shape[0]).normal(shape);
        const { low, high } = frequencySplit(t, depth);
        for (let j = 0; j < t.data.length; j++) {
          assert.ok(Math.abs(low[j] + high[j] - t.data[j]) <= 1e-12 * (1 + Math.abs(t.data[j])));
        }
      }
    }
  });

  it('a constant is all low band; a checkerboard is all high band', () => {
    const [h, w] = [9, 12];
    const constant = new Tensor(new Float32Array(2 * h * w).fill(0.75), [1, 2, h, w]);
    const split = frequencySplit(constant, 2);
    for (let j = 0; j < split.low.length; j++) {
      assert.ok(Math.abs(split.low[j] - 0.75) < 1e-12);
      assert.ok(Math.abs(split.high[j]) < 1e-12);
    }
    const checker = new Float32Array(h * w);
    for (let r = 0; r < h; r++)
      for (let c = 0; c < w; c++) checker[r * w + c] = (r + c) % 2 ? 1 : -1;
    const cs = frequencySplit(new Tensor(checker, [1, 1, h, w]), 1);
    for (let j = 0; j < checker.length; j++) {
      assert.ok(Math.abs(cs.low[j]) < 1e-12, `low[${j}] = ${cs.low[j]}`);
      assert.ok(Math.abs(cs.high[j] - checker[j]) < 1e-12);
    }
  });

  it('w_low = w_high = w is CFG bit for bit (images and mixtures)', async () => {
    const shape = [3, 8, 8];
    const plain = await runImage(cfg(3.5), 2, shape);
    const same = await runImage(fdg({ w: 3.5, wLow: 3.5, wHigh: 3.5 }), 2, shape);
    assert.deepEqual(same.x.data, plain.x.data);
    const gPlain = await run(cfg(3));
    const gSame = await run(fdg({ w: 3, wLow: 3, wHigh: 3 }));
    assert.deepEqual(gSame.x.data, gPlain.x.data);
  });

  it('separate weights change the result, and only through the bands', async () => {
    const shape = [1, 16, 12];
    const plain = await runImage(cfg(3), 1, shape);
    const split = await runImage(fdg({ w: 3 }), 1, shape);
    assert.notDeepEqual(split.x.data, plain.x.data);
    // One combination by hand: ε = ε_u + w_low·L(Δ) + w_high·(Δ − L(Δ)).
    const x = new BatchRandom(2, 1).normal([1, ...shape]);
    const level = PLAN.forSteps(4).levels[1];
    const pred = await imageDenoiser(shape).predict(x, level, 'both');
    const rule = fdg({ w: 3, wLow: 2, wHigh: 6 });
    const ctx = { step: 0, numSteps: 4, level, next: level, x };
    const out = rule.combine(pred, rule.weights(ctx, undefined), ctx, undefined);
    const delta = pred.cond.like(pred.cond.data.map((c, j) => c - (pred.uncond as Tensor).data[j]));
    const { low, high } = frequencySplit(delta, 1);
    for (let j = 0; j < x.data.length; j++) {
      const want = (pred.uncond as Tensor).data[j] + 2 * low[j] + 6 * high[j];
      assert.ok(Math.abs(out.eps.data[j] - want) < 1e-5, `ε[${j}]`);
    }
  });

  it('defaults: w_low = w, w_high = 1 + 2(w − 1); w = 1 is unguided (no unconditional pass)', async () => {
    assert.deepEqual(fdgWeights({ w: 5 }), { wLow: 5, wHigh: 9 });
    assert.deepEqual(fdgWeights({ w: 1 }), { wLow: 1, wHigh: 1 });
    const off = await run(fdg({ w: 1 }), { steps: 8 });
    assert.equal(off.nfe, 8);
    const on = await run(fdg({ w: 1, wLow: 1, wHigh: 3 }), { steps: 8 });
    assert.equal(on.nfe, 16);
  });

  it('per sample: item i is the same for n = 1 and n = 4', async () => {
    const shape = [2, 8, 10];
    const one = await runImage(fdg({ w: 3 }), 1, shape);
    const four = await runImage(fdg({ w: 3 }), 4, shape);
    assert.deepEqual(one.x.data, head(four.x, 1));
  });
});

// ---------------------------------------------------------------------------------------
// characteristic
// ---------------------------------------------------------------------------------------

async function runChar(
  w: number,
  options: CharacteristicOptions,
  opts: { n?: number; sampler?: string; steps?: number; seed?: number } = {},
) {
  const solves: CharacteristicSolve[] = [];
  const denoiser = counting(GmmDenoiser.forModel(PROBLEM));
  const result = await run(cfg(w), {
    ...opts,
    denoiser,
    wrappers: [characteristic({ ...options, onSolve: (s) => solves.push(s) })],
  });
  return { result, solves, evals: denoiser.evals };
}

describe('characteristic guidance (Zheng & Lan 2024)', () => {
  for (const sampler of ['ddim', 'ddpm', 'dpmpp-2m']) {
    it(`0 iterations is CFG bit for bit (${sampler})`, async () => {
      const plain = await run(cfg(4), { sampler });
      const { result } = await runChar(4, { maxIter: 0 }, { sampler });
      assert.deepEqual(result.x.data, plain.x.data);
      assert.equal(result.nfe, plain.nfe);
    });
  }

  for (const projection of ['none', 'direction'] as const) {
    it(`the fixed point is solved below the tolerance on a Gaussian mixture (${projection})`, async () => {
      const tol = 1e-4;
      const { result, solves } = await runChar(3, { maxIter: 40, tol, projection });
      let converged = 0;
      let total = 0;
      let corrected = 0;
      for (const s of solves) {
        for (let i = 0; i < s.converged.length; i++) {
          total++;
          if (!s.converged[i]) continue;
          converged++;
          assert.ok(s.residualAfter[i] < tol, `step ${s.step} item ${i}: ${s.residualAfter[i]}`);
          if (s.iterations[i] > 0) corrected++;
        }
      }
      // With P = identity the map is not a contraction at high noise for every sample (the
      // authors regularise there); those fall back to CFG. The projected solve converges.
      const needed = projection === 'direction' ? total : Math.ceil(0.85 * total);
      assert.ok(converged >= needed, `${converged}/${total} solves converged`);
      assert.ok(corrected > total / 2, `${corrected}/${total} needed a correction`);
      const plain = await run(cfg(3));
      assert.notDeepEqual(result.x.data, plain.x.data);
    });
  }

  it('the accepted Δx solves the paper’s equation and the step uses ε at the shifted points', async () => {
    const w = 3;
    const levels = PLAN.forSteps(16).levels.slice(5, 7); // one step at σ ≈ 2.5
    const [from, to] = levels;
    const n = 8;
    const rng = new BatchRandom(11, n);
    const noise = rng.normal([n, 2]);
    const x = noise.like(noise.data.map((v) => 1.5 * v));
    const denoiser = GmmDenoiser.forModel(PROBLEM);
    const seen: CharacteristicSolve[] = [];
    const result = await sample({
      denoiser,
      rule: cfg(w),
      sampler: createSampler('ddim'),
      levels,
      x,
      rng: new BatchRandom(11, n),
      wrappers: [
        characteristic({
          maxIter: 40,
          tol: 1e-5,
          projection: 'none',
          onSolve: (s) => seen.push(s),
        }),
      ],
    });
    const solve = seen[0];
    const eps = new Float32Array(x.data.length);
    let corrected = 0;
    for (let i = 0; i < n; i++) {
      const d = solve.corrections[i] ?? new Float64Array(2);
      if (solve.corrections[i]) corrected++;
      const item = (k: number) =>
        new Tensor(
          Float32Array.from([0, 1], (j) => x.data[2 * i + j] + k * d[j]),
          [1, 2],
        );
      const c = (await denoiser.predict(item(w - 1), from, 'cond')).cond.data;
      const u = (await denoiser.predict(item(w), from, 'both')).uncond!.data;
      if (solve.corrections[i]) {
        const r = [0, 1].map((j) => d[j] - from.s * (u[j] - c[j]));
        assert.ok(Math.hypot(...r) / Math.SQRT2 < 1e-5, `item ${i}: residual ${r}`);
        assert.ok(Math.hypot(...d) > 1e-3, `item ${i}: a real correction`);
      }
      for (let j = 0; j < 2; j++) eps[2 * i + j] = u[j] + w * (c[j] - u[j]);
    }
    assert.ok(corrected >= n / 2, `${corrected}/${n} corrected`);
    // DDIM with that ε: x_s = a_s·x̂0 + s_s·ε, x̂0 = (x − s_t·ε)/a_t.
    for (let j = 0; j < eps.length; j++) {
      const x0 = (x.data[j] - from.s * eps[j]) / from.a;
      assert.ok(Math.abs(result.x.data[j] - (to.a * x0 + to.s * eps[j])) < 1e-4, `x[${j}]`);
    }
  });

  it('two Gaussians of one covariance: Δx ≠ 0, yet ε is CFG’s (the correction is the non-linear part)', async () => {
    // ε_k(x) = s·(x − a·μ_k)/(a²v + s²): ε_u − ε_c does not depend on x.
    const v = 0.3;
    const mean = { c: [1.5, -0.5], u: [0.2, 0.4] };
    const gaussian: Denoiser = {
      itemShape: [2],
      async predict(x: Tensor, level: NoiseLevel, request: PredictionRequest) {
        const eps = (mu: number[]) =>
          x.like(
            x.data.map(
              (xv, j) => (level.s * (xv - level.a * mu[j % 2])) / (level.a ** 2 * v + level.s ** 2),
            ),
          );
        return request === 'cond'
          ? { cond: eps(mean.c) }
          : { cond: eps(mean.c), uncond: eps(mean.u) };
      },
    };
    const plain = await run(cfg(5), { denoiser: gaussian, steps: 10 });
    const seen: CharacteristicSolve[] = [];
    const corrected = await run(cfg(5), {
      denoiser: gaussian,
      steps: 10,
      wrappers: [
        characteristic({ maxIter: 8, tol: 1e-5, projection: 'none', onSolve: (s) => seen.push(s) }),
      ],
    });
    assert.ok(seen.every((s) => s.converged.every(Boolean)));
    assert.ok(seen.some((s) => s.corrections.some((d) => d !== null && Math.hypot(...d) > 0.01)));
    for (let j = 0; j < plain.x.data.length; j++) {
      assert.ok(Math.abs(corrected.x.data[j] - plain.x.data[j]) < 1e-4, `x[${j}]`);
    }
  });

  it('every evaluation is counted: 2 per step, then 3 per iteration the batch runs', async () => {
    const { result, solves, evals } = await runChar(3, { maxIter: 5, tol: 1e-6 }, { n: 6 });
    const perStep = solves.map((s) => 2 + 3 * Math.max(...s.iterations));
    assert.equal(result.evals, evals);
    assert.equal(
      result.nfe,
      perStep.reduce((a, b) => a + b, 0),
    );
    assert.ok(result.nfe > 2 * 16, 'iterations were spent');
  });

  it('residual after ≤ residual before, and a sample that does not converge falls back to CFG', async () => {
    const { solves } = await runChar(6, { maxIter: 1, tol: 1e-9, projection: 'none' });
    for (const s of solves) {
      for (let i = 0; i < s.converged.length; i++) {
        if (s.converged[i]) assert.ok(s.residualAfter[i] <= s.residualBefore[i]);
        else assert.equal(s.residualAfter[i], s.residualBefore[i]);
      }
    }
    // One step at high noise, where no residual can be 0: nothing converges at this
    // tolerance in one iteration, so the step is CFG's.
    const levels = PLAN.forSteps(16).levels.slice(0, 2);
    const step = async (wrappers: TransitionWrapper[]) => {
      const rng = new BatchRandom(5, 16);
      return sample({
        denoiser: GmmDenoiser.forModel(PROBLEM),
        rule: cfg(6),
        sampler: createSampler('ddim'),
        levels,
        x: rng.normal([16, 2]),
        rng,
        wrappers,
      });
    };
    const plain = await step([]);
    const seen: CharacteristicSolve[] = [];
    const none = {
      result: await step([
        characteristic({ maxIter: 1, tol: 1e-30, onSolve: (s) => seen.push(s) }),
      ]),
    };
    assert.ok(
      seen[0].converged.every((c) => !c),
      'precondition: nothing converged',
    );
    assert.deepEqual(none.result.x.data, plain.x.data);
    assert.ok(none.result.nfe > plain.nfe, 'the failed iterations are still counted');
  });

  it('per sample: item i is the same for n = 1 and n = 8 (ddpm, fresh noise)', async () => {
    const opts = { maxIter: 10, tol: 1e-4 };
    const one = await runChar(4, opts, { n: 1, sampler: 'ddpm' });
    const eight = await runChar(4, opts, { n: 8, sampler: 'ddpm' });
    assert.deepEqual(one.result.x.data, head(eight.result.x, 1));
  });

  it('w = 1 is the conditional sampler (no iterations, no unconditional pass)', async () => {
    const plain = await run(cfg(1), { steps: 10 });
    const { result } = await runChar(1, {}, { steps: 10 });
    assert.deepEqual(result.x.data, plain.x.data);
    assert.equal(result.nfe, 10);
  });

  it('rejects invalid options', () => {
    for (const bad of [
      { maxIter: -1 },
      { tol: 0 },
      { memory: 1.5 },
      { stepSize: 0 },
      { reg: -1 },
    ]) {
      assert.throws(
        () => characteristic(bad),
        (e: unknown) => e instanceof InvalidOptionError,
      );
    }
  });
});

// ---------------------------------------------------------------------------------------
// As named methods: options, matched-NFE planning
// ---------------------------------------------------------------------------------------

describe('the peers as methods', () => {
  const sampler = createSampler('ddim');
  const build = (name: string, options: Record<string, string> = {}, w = 3) => {
    const { spec, options: o } = resolveMethod({ name, options });
    return (steps: number) => {
      const info = PLAN.forSteps(steps);
      return { method: spec.build(w, o, info), levels: info.levels };
    };
  };

  it('resolve with their options and defaults', () => {
    assert.equal(resolveMethod({ name: 'cfg-schedule' }).options.shape, 'linear');
    assert.equal(
      resolveMethod({ name: 'cfg-schedule', options: { shape: 'cosine' } }).options.shape,
      'cosine',
    );
    assert.throws(() => resolveMethod({ name: 'cfg-schedule', options: { shape: 'sine' } }));
    assert.equal(resolveMethod({ name: 'fdg', options: { wLow: '2' } }).options.wLow, 2);
    assert.equal(resolveMethod({ name: 'characteristic' }).options.maxIter, 3);
    assert.throws(() => resolveMethod({ name: 'characteristic', options: { maxIter: '1.5' } }));
  });

  it('cost per step: 2 for cfg-schedule and fdg, worst case 2 + 3·maxIter for characteristic', async () => {
    for (const [name, options, perStep] of [
      ['cfg-schedule', { shape: 'cosine' }, 2],
      ['fdg', {}, 2],
      ['characteristic', {}, 2 + 3 * 3],
      ['characteristic', { maxIter: '0' }, 2],
      ['characteristic', { maxIter: '2' }, 8],
    ] as const) {
      const { method, levels } = build(name, options)(10);
      assert.equal(await countNfe(method, sampler, levels), 10 * perStep, name);
    }
  });

  it('matched NFE: the planned characteristic run never exceeds its budget', async () => {
    const plan = await stepsForNfe(60, build('characteristic'), sampler, 200);
    assert.equal(plan.steps, 5); // 5 × 11 = 55 ≤ 60 < 6 × 11
    const { method, levels } = build('characteristic')(plan.steps);
    const n = 8;
    const rng = new BatchRandom(1, n);
    const result = await sample({
      denoiser: GmmDenoiser.forModel(PROBLEM),
      rule: method.rule,
      sampler,
      levels,
      x: rng.normal([n, 2]),
      rng,
      wrappers: method.wrappers,
    });
    assert.ok(result.nfe <= plan.nfe && plan.nfe <= 60, `${result.nfe} ≤ ${plan.nfe} ≤ 60`);
  });
});
