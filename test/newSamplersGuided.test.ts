/**
 * The new samplers with every kind of guidance on the 2-D mixture: CFG, APG and DiffIER.
 * Same seed → same samples; sample i does not depend on the batch; the network
 * evaluations are what the step contract says (a two-stage step evaluates the guided model
 * twice, once into σ = 0) and what --nfe planning counts.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  BatchRandom,
  GmmDenoiser,
  SD15_SCHEDULER_CONFIG,
  apg,
  cfg,
  countNfe,
  diffierStep,
  parseSchedulerConfig,
  resolveSampler,
  sample,
  type GuidanceRule,
  type TransitionWrapper,
} from '../src/index.js';
import { counting, TWO_CLASS_2D } from './helpers/mixtures.js';

const STEPS = 8;
const SD15 = parseSchedulerConfig(SD15_SCHEDULER_CONFIG);
const NEW = ['heun', 'dpmpp-sde', 'unipc', 'lms', 'lcm'] as const;
/** Guided evaluations per sample over the schedule: two per step for Heun and DPM++ SDE, except into σ = 0. */
const STAGES: Record<(typeof NEW)[number], number> = {
  heun: 2 * STEPS - 1,
  'dpmpp-sde': 2 * STEPS - 1,
  unipc: STEPS,
  lms: STEPS,
  lcm: STEPS,
};

/** The sampler's step and its own plan's levels on SD 1.5's schedule (Heun's etc. end at σ = 0). */
function planned(name: string) {
  const resolved = resolveSampler(name, SD15);
  return { sampler: resolved.step(STEPS), levels: resolved.schedule.forSteps(STEPS).levels };
}

async function run(
  name: string,
  rule: GuidanceRule,
  opts: { n?: number; seed?: number; wrappers?: TransitionWrapper[] } = {},
) {
  const n = opts.n ?? 16;
  const rng = new BatchRandom(opts.seed ?? 5, n);
  const denoiser = counting(GmmDenoiser.forModel(TWO_CLASS_2D));
  const result = await sample({
    denoiser,
    rule,
    ...planned(name),
    x: rng.normal([n, 2]),
    rng,
    wrappers: opts.wrappers,
  });
  return { ...result, counted: denoiser.evals / n };
}

const rules: [string, () => GuidanceRule][] = [
  ['cfg', () => cfg(3)],
  ['apg', () => apg({ w: 3 })],
];

describe('new samplers with guidance', () => {
  for (const name of NEW) {
    it(`${name}: CFG and APG evaluate the guided model ${STAGES[name]} times; deterministic; batch-independent`, async () => {
      for (const [, make] of rules) {
        const a = await run(name, make());
        const b = await run(name, make());
        assert.deepEqual(a.x.data, b.x.data);
        assert.ok(a.x.data.every(Number.isFinite));
        assert.equal(a.nfe, 2 * STAGES[name]);
        assert.equal(a.counted, a.nfe);
        const one = await run(name, make(), { n: 1 });
        assert.deepEqual(one.x.data, a.x.data.slice(0, 2));
        const other = await run(name, make(), { seed: 6 });
        assert.notDeepEqual(other.x.data, a.x.data);
      }
      // w = 1: the gate skips the unconditional pass at every stage.
      assert.equal((await run(name, cfg(1))).nfe, STAGES[name]);
    });

    it(`${name}: DiffIER — off is the base sampler bit for bit; on, its cost is counted and planned`, async () => {
      const off = await run(name, cfg(3), {
        wrappers: [diffierStep({ iterations: 0, corrector: 0 })],
      });
      assert.deepEqual(off.x.data, (await run(name, cfg(3))).x.data);
      const wrappers = [diffierStep({ tol: 0 })];
      const on = await run(name, cfg(3), { wrappers });
      assert.equal(on.counted, on.nfe);
      // Probe and corrector: 2 conditional evaluations on every step but the last.
      assert.equal(on.nfe, 2 * STAGES[name] + 2 * (STEPS - 1));
      const { sampler, levels } = planned(name);
      assert.equal(await countNfe({ rule: cfg(3), wrappers }, sampler, levels), on.nfe);
      const one = await run(name, cfg(3), { n: 1, wrappers });
      assert.deepEqual(one.x.data, on.x.data.slice(0, 2));
      assert.notDeepEqual(on.x.data, off.x.data);
    });
  }
});
