import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { parseProblem } from '../src/denoisers/problem.js';
import { scheduleFor } from '../src/bench/problemSchedule.js';
import { trueMixtures } from '../src/denoisers/gaussianMixture.js';
import { GmmDenoiser } from '../src/denoisers/gmmDenoiser.js';
import type { Denoiser } from '../src/core/denoiser.js';
import { cycle } from '../src/transitions/cycle.js';
import { cleanEstimates, driftRatios } from '../src/monitors/drift.js';
import { diffierStep } from '../src/transitions/diffier.js';
import { GapMonitor } from '../src/monitors/gapMonitor.js';
import { ksdSquared } from '../src/monitors/ksd.js';
import { correlations, recommendation, recommendW, spearman } from '../src/bench/sweep.js';
import { InvalidOptionError } from '../src/core/errors.js';
import { EnergyReference } from '../src/eval/energy.js';
import { cfg, createGuidanceRule } from '../src/guidance/index.js';
import type { GuidanceRule } from '../src/core/guidance.js';
import { resolveMethod } from '../src/methods/registry.js';
import { countNfe, stepsForNfe } from '../src/methods/nfe.js';
import { sample } from '../src/samplers/sample.js';
import { type TransitionWrapper } from '../src/core/transition.js';
import { type StepPayload } from '../src/core/observer.js';
import { createSampler } from '../src/samplers/index.js';
import { BatchRandom } from '../src/core/random.js';
import type { Tensor } from '../src/core/tensor.js';
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
    monitor?: GapMonitor;
    onStep?: ((p: StepPayload) => void)[];
  } = {},
) {
  const n = opts.n ?? 64;
  const rng = new BatchRandom(opts.seed ?? 3, n);
  return sample({
    denoiser: opts.denoiser ?? GmmDenoiser.forModel(PROBLEM),
    rule,
    sampler: createSampler(opts.sampler ?? 'ddim'),
    levels: PLAN.forSteps(opts.steps ?? 20).levels,
    x: rng.normal([n, 2]),
    rng,
    wrappers: opts.wrappers,
    onStep: opts.monitor ? [opts.monitor.observe, ...(opts.onStep ?? [])] : (opts.onStep ?? []),
  });
}

describe('identities: switched-off DiffIER is the plain sampler, bit for bit', () => {
  for (const sampler of ['ddim', 'ddpm', 'dpmpp-2m', 'euler-a']) {
    it(`cycle K = 0 (${sampler})`, async () => {
      const plain = await run(cfg(3), { sampler });
      const wrapped = await run(cfg(3), { sampler, wrappers: [cycle({ k: 0 })] });
      assert.deepEqual(wrapped.x.data, plain.x.data);
      assert.equal(wrapped.nfe, plain.nfe);
    });
  }
  it('a cycle that is on changes the result and spends evaluations', async () => {
    const plain = await run(cfg(3));
    const cycled = await run(cfg(3), { wrappers: [cycle({ k: 1 })] });
    assert.notDeepEqual(cycled.x.data, plain.x.data);
    assert.equal(cycled.nfe, 2 * plain.nfe);
  });
});

describe('exact model, w = 1: the samplers keep the true conditional', () => {
  // Null distribution of the energy statistic at this sample size: energy between two
  // independent exact samples, over several seeds. A sampler that is right must land
  // inside mean + 4·sd of it; 4 standard deviations is the tolerance, derived, not tuned.
  const n = 1500;
  const truth = trueMixtures(PROBLEM);
  const ref = new EnergyReference(truth.cond.sample(n, new BatchRandom(1001, n)).data, 2);
  const nulls = Array.from({ length: 12 }, (_, s) =>
    ref.distance(truth.cond.sample(n, new BatchRandom(2000 + s, n)).data),
  );
  const mean = nulls.reduce((a, b) => a + b, 0) / nulls.length;
  const sd = Math.sqrt(nulls.reduce((a, b) => a + (b - mean) ** 2, 0) / (nulls.length - 1));
  const tolerance = mean + 4 * sd;
  const cases: [string, () => GuidanceRule, TransitionWrapper[]][] = [
    ['plain CFG', () => cfg(1), []],
    ['DiffIER (default: one probe, one conditional corrector step)', () => cfg(1), [diffierStep()]],
    ['DiffIER cycle K = 1', () => cfg(1), [cycle({ k: 1 })]],
  ];
  for (const [name, rule, wrappers] of cases) {
    it(name, async () => {
      const out = await run(rule(), { n, steps: 100, wrappers, seed: 7 });
      const e = ref.distance(out.x.data);
      assert.ok(e < tolerance, `energy ${e} ≥ null mean + 4 sd = ${tolerance}`);
    });
  }
  it('and a wrong model is detected by the same test (it can fail)', async () => {
    const wrong = GmmDenoiser.forModel(
      parseProblem({
        ...JSON.parse(JSON.stringify(PROBLEM)),
        model: { kind: 'inflated', cond: 1.6, uncond: 1.6 },
      }),
    );
    const out = await run(cfg(1), { n, steps: 100, denoiser: wrong, seed: 7 });
    assert.ok(ref.distance(out.x.data) > tolerance);
  });
});

describe('gap measures', () => {
  it('drift ratio is exactly 1 when w = 1', async () => {
    const den = GmmDenoiser.forModel(PROBLEM);
    const levels = PLAN.forSteps(10).levels;
    const rng = new BatchRandom(5, 16);
    const x1 = rng.normal([16, 2]);
    const x2 = rng.normal([16, 2]);
    const est = async (x: Tensor, i: number) => {
      const raw = await den.predict(x, levels[i], 'both');
      return cleanEstimates(x, raw, levels[i], 1);
    };
    const r = driftRatios(await est(x2, 4), await est(x1, 3), 16);
    for (const v of r) assert.equal(v, 1);
  });
  it('the monitor never calls the network and sees the gap grow with w', async () => {
    const gaps: number[] = [];
    for (const w of [1, 3, 6]) {
      const plain = counting(GmmDenoiser.forModel(PROBLEM));
      const observed = counting(GmmDenoiser.forModel(PROBLEM));
      const monitor = new GapMonitor({
        trueScore: (x, level) => trueMixtures(PROBLEM).cond.marginal(level).score(x.data),
      });
      await run(cfg(w), { denoiser: plain });
      await run(cfg(w), { denoiser: observed, monitor });
      assert.equal(observed.calls, plain.calls);
      assert.equal(monitor.steps.length, 20);
      gaps.push(monitor.summary().driftGap);
      if (w === 1) assert.equal(monitor.summary().driftGap, 0);
    }
    assert.ok(gaps[2] > gaps[1] && gaps[1] > gaps[0], `drift gap by w: ${gaps}`);
  });
  it('the monitor figures are the definitions evaluated on every step payload', async () => {
    const monitor = new GapMonitor();
    const payloads: StepPayload[] = [];
    const w = 4;
    await run(cfg(w), { n: 48, monitor, onStep: [(p) => payloads.push(p)] });
    const scores = (eps: ArrayLike<number>, s: number) => Float64Array.from(eps, (e) => -e / s);
    for (const [i, p] of payloads.entries()) {
      const { cond, uncond } = p.pred.raw;
      assert.ok(uncond, 'cfg at w = 4 evaluates both predictions');
      const guided = Float64Array.from(
        cond.data,
        (c, j) => uncond.data[j] + w * (c - uncond.data[j]),
      );
      const s2 = p.from.s ** 2;
      const step = monitor.steps[i];
      const close = (a: number, b: number, what: string) =>
        assert.ok(
          Math.abs(a - b) <= 1e-9 * Math.max(1, Math.abs(b)),
          `${what} step ${i}: ${a} vs ${b}`,
        );
      close(step.gap, s2 * ksdSquared(p.xIn.data, scores(guided, p.from.s), 48, 2), 'gap');
      close(
        step.condGap,
        s2 * ksdSquared(p.xIn.data, scores(cond.data, p.from.s), 48, 2),
        'condGap',
      );
      if (i === 0) {
        assert.ok(Number.isNaN(step.drift));
        continue;
      }
      const prev = payloads[i - 1];
      const r = driftRatios(
        cleanEstimates(p.xIn, p.pred.raw, p.from, w),
        cleanEstimates(prev.xIn, prev.pred.raw, prev.from, w),
        48,
      );
      const expected = r.reduce((acc, v) => acc + Math.max(0, v - 1), 0) / 48;
      // float32 clean estimates computed in a different order: agreement to float32 precision.
      assert.ok(Math.abs(step.drift - expected) <= 1e-4 * Math.max(1, expected), `drift step ${i}`);
    }
  });
});

describe('sweep analysis', () => {
  it('spearman: perfect, reversed, ties, undefined', () => {
    assert.equal(spearman([1, 2, 3, 4], [10, 20, 30, 40]), 1);
    assert.equal(spearman([1, 2, 3, 4], [4, 3, 2, 1]), -1);
    assert.ok(Math.abs(spearman([1, 2, 2, 3], [1, 2, 3, 4]) - 0.9486832980505138) < 1e-12);
    assert.ok(Number.isNaN(spearman([1, 1, 1], [1, 2, 3])));
  });
  it('correlations are keyed error:metric', () => {
    const runs = [1, 2, 3, 4].map((w) => ({
      metrics: {
        gap: w,
        driftGap: w,
        trueGap: -w,
        energy: w * w,
        guidedEnergy: 1,
        precision: 1,
        recall: -w,
        adherence: w,
        nll: 0,
        coverage: 1,
      },
    }));
    const c = correlations(runs);
    assert.deepEqual(c['gap:energy'], { rho: 1, n: 4 });
    assert.equal(c['trueGap:energy'].rho, -1);
    assert.equal(c['driftGap:recall'].rho, -1);
    // nll is 0 everywhere: ρ is undefined, the four points are still counted.
    assert.ok(Number.isNaN(c['gap:nll'].rho));
  });
  it('recommended w: the largest within tolerance of the smallest w', () => {
    const runs = [1, 2, 3, 5].map((w, i) => ({ w, metrics: { driftGap: [0, 0.5, 0.9, 3][i] } }));
    assert.equal(recommendW(runs, 1), 3);
    assert.equal(recommendW(runs, 0.1), 1);
    const r = recommendation(runs, 1);
    assert.deepEqual([r.baseW, r.baseDrift, r.drift], [1, 0, 0.9]);
    assert.match(r.rule, /A_r \+ 1/);
  });
});

describe('methods and matched NFE', () => {
  const sampler = createSampler('ddim');
  const build =
    (name: string, w: number, options = {}) =>
    (steps: number) => {
      const info = PLAN.forSteps(steps);
      const m = resolveMethod({ name, options });
      return { method: m.spec.build(w, m.options, info), levels: info.levels };
    };
  it('counts: CFG 2 per step, w = 1 one, PCG 3 (no corrector into the final level), DiffIER 4 (guided + probe + corrector; none into the final level)', async () => {
    assert.equal(await countNfe(build('cfg', 3)(10).method, sampler, PLAN.forSteps(10).levels), 20);
    assert.equal(await countNfe(build('cfg', 1)(10).method, sampler, PLAN.forSteps(10).levels), 10);
    assert.equal(await countNfe(build('pcg', 3)(10).method, sampler, PLAN.forSteps(10).levels), 28);
    assert.equal(
      await countNfe(build('diffier', 3)(10).method, sampler, PLAN.forSteps(10).levels),
      38,
    );
  });
  it('--nfe picks the most steps within the budget', async () => {
    assert.deepEqual(await stepsForNfe(100, build('cfg', 3), sampler, 1000), {
      steps: 50,
      nfe: 100,
    });
    const z = await stepsForNfe(100, build('zsampling', 3), sampler, 1000);
    assert.ok(z.nfe <= 100 && z.nfe > 90, JSON.stringify(z));
    assert.equal(
      z.nfe,
      await countNfe(build('zsampling', 3)(z.steps).method, sampler, PLAN.forSteps(z.steps).levels),
    );
  });
  it('unknown methods and options are refused with their names', () => {
    assert.throws(
      () => resolveMethod({ name: 'nope' }),
      (e: unknown) => e instanceof InvalidOptionError && /nope/.test(e.message),
    );
    assert.throws(() => resolveMethod({ name: 'apg', options: { bogus: 1 } }), /bogus/);
    assert.throws(
      () => resolveMethod({ name: 'diffier', options: { control: 'sometimes' } }),
      /control/,
    );
    assert.throws(() => resolveMethod({ name: 'pcg', options: { k: 1.5 } }), /integer/);
    assert.throws(() => createGuidanceRule('cfg', { w: Number.NaN }), InvalidOptionError);
  });
});
