import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import {
  BatchRandom,
  GapMonitor,
  noiseLevel,
  GmmDenoiser,
  SD15_SCHEDULER_CONFIG,
  apg,
  cfg,
  createSampler,
  diffierStep,
  parseSchedulerConfig,
  sample,
  schedulePlan,
  trainingLoss,
  type Denoiser,
  type GuidanceRule,
  type InnerLoopStep,
  type Tensor,
  type TransitionWrapper,
} from '../src/index.js';
import { counting, TWO_CLASS_2D } from './helpers/mixtures.js';

const PROBLEM = TWO_CLASS_2D;
const LEVELS = schedulePlan(parseSchedulerConfig(SD15_SCHEDULER_CONFIG)).forSteps(20).levels;

async function run(
  rule: GuidanceRule,
  opts: { n?: number; sampler?: string; wrappers?: TransitionWrapper[]; monitor?: GapMonitor } = {},
) {
  const n = opts.n ?? 32;
  const rng = new BatchRandom(5, n);
  const denoiser = counting(GmmDenoiser.forModel(PROBLEM));
  const result = await sample({
    denoiser,
    rule,
    sampler: createSampler(opts.sampler ?? 'ddim'),
    levels: LEVELS,
    x: rng.normal([n, 2]),
    rng,
    wrappers: opts.wrappers,
    onStep: opts.monitor ? [opts.monitor.observe] : [],
  });
  return { ...result, calls: denoiser.calls };
}

describe('DiffIER step (iterative error minimisation)', () => {
  for (const sampler of ['ddim', 'ddpm', 'dpmpp-2m', 'euler-a']) {
    it(`zero iterations and no corrector is the base sampler, bit for bit (${sampler})`, async () => {
      for (const make of [() => cfg(4), () => apg({ w: 4 })]) {
        const plain = await run(make(), { sampler });
        const off = await run(make(), {
          sampler,
          wrappers: [diffierStep({ iterations: 0, corrector: 0 })],
        });
        assert.deepEqual(off.x.data, plain.x.data);
        assert.equal(off.nfe, plain.nfe);
      }
    });
  }

  it('each probe and each corrector step costs one conditional evaluation', async () => {
    const plain = await run(cfg(3));
    for (const [iterations, corrector] of [
      [1, 0],
      [2, 0],
      [1, 1],
      [0, 2],
    ]) {
      const r = await run(cfg(3), {
        wrappers: [diffierStep({ iterations, corrector, tol: 0 })],
      });
      // The last step lands at the final level, where nothing is probed or corrected.
      const steps = LEVELS.length - 1;
      assert.equal(r.nfe, plain.nfe + (steps - 1) * (iterations + corrector));
    }
  });

  it('sample i is the same for a batch of one and a batch of eight', async () => {
    for (const wrapper of [diffierStep(), diffierStep({ iterations: 3, corrector: 2 })]) {
      const one = await run(cfg(5), { n: 1, sampler: 'ddpm', wrappers: [wrapper] });
      const eight = await run(cfg(5), { n: 8, sampler: 'ddpm', wrappers: [wrapper] });
      assert.deepEqual(one.x.data, eight.x.data.slice(0, 2));
    }
  });

  it('records per step the error before and after the loop; after ≤ before', async () => {
    const records: InnerLoopStep[] = [];
    await run(cfg(5), {
      n: 64,
      wrappers: [diffierStep({ corrector: 1 }, (_i, r) => records.push(r))],
    });
    assert.equal(records.length, LEVELS.length - 2);
    let guidedSteps = 0;
    for (const r of records) {
      for (let i = 0; i < r.before.length; i++) {
        assert.ok(Number.isFinite(r.before[i]) && Number.isFinite(r.after[i]));
        assert.ok(r.iterations[i] === 1);
        assert.ok(r.fraction[i] >= 0 && r.fraction[i] <= 1);
        // The same landing point can differ in the last float32 bits (two code paths).
        assert.ok(
          r.after[i] <= r.before[i] * (1 + 1e-4) + 1e-9,
          `after ${r.after[i]} > before ${r.before[i]}`,
        );
      }
      if (r.fraction.some((f) => f < 1)) guidedSteps++;
    }
    assert.ok(guidedSteps > 0, 'the loop changed the guidance somewhere');
  });

  it('the headline gap is lower than CFG at w > 1, and 0 iterations gives CFG’s', async () => {
    for (const w of [2, 5]) {
      const cfgMon = new GapMonitor();
      await run(cfg(w), { monitor: cfgMon });
      const offMon = new GapMonitor();
      await run(cfg(w), {
        monitor: offMon,
        wrappers: [diffierStep({ iterations: 0, corrector: 0 })],
      });
      const dMon = new GapMonitor();
      await run(cfg(w), { monitor: dMon, wrappers: [diffierStep()] });
      assert.equal(offMon.summary().training, cfgMon.summary().training);
      assert.ok(dMon.summary().training < cfgMon.summary().training);
    }
  });
});

describe('the adopted share', () => {
  it('is v/(v + σ_s²) for Gaussian data: the fraction of the guidance the network takes up', async () => {
    // Data N(0, v) per coordinate with the exact ε-prediction ε_c = s·x/(a²v + s²); the
    // unconditional side is offset by a constant δ, so the guidance moves x̂0 by a constant D.
    const v = 1;
    const delta = 5;
    const gaussian: Denoiser = {
      itemShape: [1],
      predict: async (x, level, request) => {
        const cond = x.like(x.data.map((xi) => (level.s * xi) / (level.a ** 2 * v + level.s ** 2)));
        return request === 'both'
          ? { cond, uncond: cond.like(cond.data.map((e) => e - delta)) }
          : { cond };
      },
    };
    const level = (sigma: number, timestep: number) =>
      noiseLevel(timestep, 1 / (1 + sigma * sigma));
    const levels = [level(2, 900), level(1, 500), level(0.5, 200)];
    const n = 4000;
    const rng = new BatchRandom(3, n);
    const records: InnerLoopStep[] = [];
    await sample({
      denoiser: gaussian,
      rule: cfg(3),
      sampler: createSampler('ddim'),
      levels,
      x: rng
        .normal([n, 1])
        .like(rng.normal([n, 1]).data.map((z) => (z * Math.sqrt(v + 4)) / Math.sqrt(5))),
      rng,
      wrappers: [diffierStep({ iterations: 1, corrector: 0 }, (_i, r) => records.push(r))],
    });
    const first = records[0].fraction;
    const mean = first.reduce((a, b) => a + b, 0) / n;
    assert.ok(Math.abs(mean - v / (v + 1)) < 0.01, `mean adopted share ${mean}`);
  });
});

describe('training gap', () => {
  it('is the ε-prediction loss of the iterate against its own decomposition', () => {
    const level = LEVELS[5];
    const x0 = { data: new Float32Array([1, 2, 3, 4]) } as Tensor;
    const noise = new Float32Array([0.5, -1, 0.25, 2]);
    const xs = new Float32Array(4).map((_, j) => level.a * x0.data[j] + level.s * noise[j]);
    const mk = (data: Float32Array): Tensor =>
      ({ data, batch: 2, itemSize: 2, like: (d: Float32Array) => mk(d) }) as unknown as Tensor;
    const eps = new Float32Array([0.5, -1, 0.25 + 0.1, 2 - 0.3]);
    const g = trainingLoss(mk(xs), mk(x0.data), mk(eps), level);
    assert.ok(Math.abs(g[0]) < 1e-10);
    assert.ok(Math.abs(g[1] - (0.01 + 0.09) / 2) < 1e-6);
  });
});
