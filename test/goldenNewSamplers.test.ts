/**
 * Heun, DPM++ SDE, UniPC, LMS and LCM against diffusers' formulas: the fixtures
 * (test/fixtures/golden-new-schedulers.json) come from training/golden_new_schedulers.py, a
 * float64 rewrite of the classes' set_timesteps and step with an analytic model (Gaussian
 * data, exact x̂0), the same initial sample and the same noise table. Three configs (SD 1.5,
 * linear, cosine) × ε/v × N ∈ {1, 2, 10, 25, 50}, and the timesteps at N = 999.
 *
 * Tolerance: 1e-4 relative, plus float32 rounding: |actual − expected| ≤ 1e-4·|e| + r, with
 * r = 1e-5 + [ε only] 4·2⁻²⁴·max(1, |e|)/a_min. The samples and network outputs here are
 * float32 (diffusers keeps σ's, timesteps and samples in float32 too) and the reference is
 * float64. 1e-5 is about 100 roundings (a run has up to 99 evaluations) of 2⁻²⁴·|x| for
 * |x| ≤ 6. For an ε-network x̂0 = (x − s·ε)/a inherits the rounding of x and ε divided by a,
 * and a_min, the smallest a the network is evaluated at, is 1e-4 at the cosine schedule's
 * t = 999 (the second term is 2e-3 there, 4e-6 for SD 1.5); for v, x̂0 = a·x − s·v is well
 * conditioned and the term is left out. "Relative" is to the sample's size, max_j |e_j|:
 * float32 rounds each operand relative to its own size, and a small coordinate of a large
 * sample is computed from operands of the sample's size (Heun's x̄ = x/a at σ = 2e4).
 *
 * One combination is compared on its evaluation points only: Heun, ε, cosine schedule. Its
 * first step starts at σ = 2.0e4 (a = 5e-5) and multiplies the float32 rounding of
 * x̂0 = (x − s·ε)/a by a_1·(σ_0 − σ_1) ≈ 1e4, so float32 and float64 end 1e-2 apart (N = 25)
 * while the same runs with v, whose x̂0 is exact, agree to 1e-6.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import type { Denoiser } from '../src/core/denoiser.js';
import type { NoiseLevel } from '../src/core/noiseLevel.js';
import { BatchRandom } from '../src/core/random.js';
import { Tensor } from '../src/core/tensor.js';
import { predictionsFrom } from '../src/denoisers/unetDenoiser.js';
import { cfg, parseSchedulerConfig, resolveSampler, sample } from '../src/index.js';

interface Case {
  readonly sampler: string;
  readonly config: string;
  readonly prediction?: 'eps' | 'v';
  readonly steps: number;
  readonly timesteps: number[];
  readonly sigmas?: number[];
  readonly calls?: number[];
  readonly x?: number[];
}
interface Fixture {
  readonly model: { mu: number[]; c2: number[] };
  readonly configs: Record<string, Record<string, unknown>>;
  readonly x: number[];
  readonly noise: number[][];
  readonly cases: Case[];
}

const FIXTURE: Fixture = JSON.parse(
  readFileSync(new URL('../../test/fixtures/golden-new-schedulers.json', import.meta.url), 'utf8'),
);
const { mu, c2 } = FIXTURE.model;

const close = (a: number, e: number, rel = 1e-4, abs = 1e-5) =>
  Math.abs(a - e) <= rel * Math.abs(e) + abs;

/** The float32 term of the tolerance (see the header). */
function roundingTerm(e: number, eps: boolean, levels: readonly NoiseLevel[]): number {
  if (!eps) return 1e-5;
  const aMin = Math.min(...levels.filter((l) => l.timestep >= 0).map((l) => l.a));
  return 1e-5 + (4 * 2 ** -24 * Math.max(1, Math.abs(e))) / aMin;
}

/** The analytic network: exact x̂0 of N(μ, c²) data, answered as ε or v. */
function gaussianNet(kind: 'epsilon' | 'v_prediction', calls: number[]): Denoiser {
  return {
    itemShape: [mu.length],
    async predict(x: Tensor, level: NoiseLevel) {
      calls.push(level.timestep);
      const out = new Float32Array(x.data.length);
      for (let j = 0; j < out.length; j++) {
        const x0 = mu[j] + (c2[j] / (c2[j] + level.sigma ** 2)) * (x.data[j] / level.a - mu[j]);
        const eps = (x.data[j] - level.a * x0) / level.s;
        out[j] = kind === 'epsilon' ? eps : level.a * eps - level.s * x0;
      }
      return predictionsFrom(kind, x, level, x.like(out));
    },
  };
}

/** The fixture's noise table, row after row, in place of the per-item streams. */
class TableRandom extends BatchRandom {
  private row = 0;
  constructor() {
    super(0, 1);
  }
  override normal(shape: readonly number[]): Tensor {
    return new Tensor(Float32Array.from(FIXTURE.noise[this.row++]), shape);
  }
}

function configOf(c: Case) {
  const prediction = c.prediction === 'v' ? 'v_prediction' : 'epsilon';
  return parseSchedulerConfig(
    { ...FIXTURE.configs[c.config], prediction_type: prediction },
    { warn: () => {} },
  );
}

describe('golden: the new samplers against diffusers’ formulas', () => {
  const bySampler = new Map<string, Case[]>();
  for (const c of FIXTURE.cases) bySampler.set(c.sampler, [...(bySampler.get(c.sampler) ?? []), c]);

  for (const [name, cases] of bySampler) {
    it(`${name}: timesteps and σ's of every config and N (999 included)`, () => {
      for (const c of cases) {
        const what = `${c.config} N=${c.steps}`;
        const levels = resolveSampler(name, configOf(c)).schedule.forSteps(c.steps).levels;
        assert.equal(levels.length, c.steps + 1, what);
        c.timesteps.forEach((t, i) =>
          assert.ok(
            close(levels[i].timestep, t, 1e-6, 1e-4),
            `${what} t[${i}] ${levels[i].timestep} vs ${t}`,
          ),
        );
        c.sigmas?.forEach((s, i) =>
          assert.ok(
            close(levels[i].sigma, s, 1e-4, 0),
            `${what} σ[${i}] ${levels[i].sigma} vs ${s}`,
          ),
        );
      }
    });

    it(`${name}: the sample after N steps, and where the network was evaluated (ε and v)`, async () => {
      let worst = 0;
      for (const c of cases.filter((k) => k.x)) {
        const what = `${c.config} ${c.prediction} N=${c.steps}`;
        const resolved = resolveSampler(name, configOf(c));
        const levels = resolved.schedule.forSteps(c.steps).levels;
        const calls: number[] = [];
        const kind = c.prediction === 'v' ? 'v_prediction' : 'epsilon';
        const result = await sample({
          denoiser: gaussianNet(kind, calls),
          rule: cfg(1),
          sampler: resolved.step(c.steps),
          levels,
          x: new Tensor(Float32Array.from(FIXTURE.x), [1, mu.length]),
          rng: new TableRandom(),
        });
        assert.equal(calls.length, c.calls!.length, `${what}: evaluations`);
        c.calls!.forEach((t, i) =>
          assert.ok(close(calls[i], t, 1e-6, 1e-4), `${what} call ${i}: ${calls[i]} vs ${t}`),
        );
        if (name === 'heun' && c.config === 'cosine' && kind === 'epsilon') continue;
        const size = Math.max(...c.x!.map(Math.abs));
        const r = roundingTerm(size, kind === 'epsilon', levels);
        c.x!.forEach((e, j) => {
          const a = result.x.data[j];
          worst = Math.max(worst, Math.abs(a - e) / (1e-4 * size + r));
          assert.ok(Math.abs(a - e) <= 1e-4 * size + r, `${what} x[${j}]: ${a} vs ${e}`);
        });
      }
      // Printed for the record: the largest error in units of the tolerance.
      console.log(`${name}: worst error ${worst.toFixed(3)} × tolerance`);
    });
  }
});
