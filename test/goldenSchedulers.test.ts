/**
 * Golden cases: every sampler against diffusers' scheduler formulas, re-run by
 * training/golden_schedulers.py (tables in float32 as diffusers builds them, steps in
 * float64) for an analytic network, a fixed initial x and a fixed noise pool, all stored in
 * test/fixtures/golden-schedulers.json. Each case compares the network timesteps, the
 * levels (ᾱ for DDIM/DDPM, σ for the others), DDIM's landings and the sample after the
 * stored steps, run through the real loop (`sample`, CFG at w = 1, the UNet's prediction
 * conversion).
 *
 * Tolerance, per compared vector (∞-norm): |ours − ref| ≤ 1e-4·max(|ref|, 1) + (i + 1)·2⁻²²·max(|ref|, 1)
 * at step i. 1e-4 relative is the agreement asked for; the second term is float32 rounding:
 * our samples are float32 tensors, rounded once per step (2⁻²⁴ relative), and a step
 * combines two or three rounded terms, so at most 2⁻²² per step accumulates over i + 1 steps.
 * Levels and timesteps get 1e-4 relative plus float32 rounding of the value (diffusers keeps
 * them in float32).
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import type { Denoiser } from '../src/core/denoiser.js';
import { ConfigError, InvalidOptionError } from '../src/core/errors.js';
import { landingOf } from '../src/core/levels.js';
import type { BatchRandom } from '../src/core/random.js';
import { Tensor } from '../src/core/tensor.js';
import { predictionsFrom } from '../src/denoisers/unetDenoiser.js';
import { cfg as cfgRule } from '../src/guidance/cfg.js';
import { resolveSampler } from '../src/samplers/names.js';
import { sample } from '../src/samplers/sample.js';
import { parseSchedulerConfig } from '../src/schedules/config.js';

interface GoldenCase {
  readonly name: string;
  readonly className: string;
  readonly config: Record<string, unknown>;
  readonly options: { eta?: number };
  readonly steps: number;
  readonly refused?: string;
  readonly levelKind: 'alphaBar' | 'sigma';
  readonly levelIndex: number[];
  readonly timesteps: number[];
  readonly levels: number[];
  readonly landings?: number[];
  readonly checks: [number, number[]][];
}

const FIXTURE = JSON.parse(
  readFileSync(new URL('../../test/fixtures/golden-schedulers.json', import.meta.url), 'utf8'),
) as { xInit: number[]; noisePool: number[][]; cases: GoldenCase[] };

const REL = 1e-4;
const F32 = 2 ** -24;

/** The fixture's analytic network: the same formula as training/golden_schedulers.py. */
function network(x: Float32Array, t: number): Float32Array {
  const u = t / 1000;
  return x.map((v, j) => 0.6 * Math.tanh(v) + 0.4 * Math.sin(3 * u + 0.7 * j) - 0.2 * v * u);
}

function denoiserFor(kind: 'epsilon' | 'v_prediction' | 'sample'): Denoiser {
  return {
    itemShape: [FIXTURE.xInit.length],
    async predict(x, level) {
      return predictionsFrom(kind, x, level, x.like(network(x.data, level.timestep)));
    },
  };
}

/** Noise row i mod 32 at step i, whatever the step asks for. */
function poolRandom(step: () => number): BatchRandom {
  return {
    batch: 1,
    normal(shape: readonly number[]) {
      const row = FIXTURE.noisePool[step() % FIXTURE.noisePool.length];
      return new Tensor(Float32Array.from(row), shape);
    },
  } as unknown as BatchRandom;
}

function closeScalar(actual: number, expected: number, what: string): void {
  const tol = REL * Math.max(Math.abs(expected), 1e-12) + 2 * F32 * Math.abs(expected);
  assert.ok(Math.abs(actual - expected) <= tol, `${what}: ${actual} vs ${expected}`);
}

/** Worst |ours − ref| / tolerance over the stored steps (≤ 1 passes). */
async function runCase(c: GoldenCase): Promise<number> {
  const warnings: string[] = [];
  const config = parseSchedulerConfig(c.config, { warn: (m) => warnings.push(m) });
  assert.deepEqual(warnings, []);
  const chosen = resolveSampler(c.className, config, c.options);
  assert.equal(chosen.definition.className, c.className);
  const plan = chosen.schedule.forSteps(c.steps);
  const n = plan.levels.length - 1;
  c.levelIndex.forEach((li, k) => {
    if (li < n) closeScalar(plan.levels[li].timestep, c.timesteps[k], `timestep ${li}`);
    const level = plan.levels[li];
    closeScalar(c.levelKind === 'sigma' ? level.sigma : level.alphaBar, c.levels[k], `level ${li}`);
  });
  c.checks.forEach(([i], k) => {
    if (c.landings) closeScalar(landingOf(plan, i).alphaBar, c.landings[k], `landing ${i}`);
  });
  let stepIndex = 0;
  const expected = new Map(c.checks.map(([i, x]) => [i, x]));
  let worst = 0;
  await sample({
    denoiser: denoiserFor(config.predictionType),
    rule: cfgRule(1),
    sampler: chosen.step(c.steps),
    levels: plan.levels,
    landings: plan.landings,
    x: new Tensor(Float32Array.from(FIXTURE.xInit), [1, FIXTURE.xInit.length]),
    rng: poolRandom(() => stepIndex),
    onStep: [
      (p) => {
        const ref = expected.get(p.i);
        stepIndex = p.i + 1;
        if (!ref) return;
        const scale = Math.max(1, ...ref.map(Math.abs));
        const tol = REL * scale + (p.i + 1) * 4 * F32 * scale;
        const err = Math.max(...ref.map((v, j) => Math.abs(p.x.data[j] - v)));
        worst = Math.max(worst, err / tol);
      },
    ],
  });
  return worst;
}

describe('golden cases: diffusers scheduler formulas, step for step', () => {
  const failures: string[] = [];
  let agreed = 0;
  for (const c of FIXTURE.cases) {
    it(c.name, async () => {
      if (c.refused) {
        const config = parseSchedulerConfig(c.config, { warn: () => {} });
        assert.throws(
          () => resolveSampler(c.className, config, c.options).schedule.forSteps(c.steps),
          (e: unknown) => e instanceof InvalidOptionError || e instanceof ConfigError,
        );
        agreed++;
        return;
      }
      const worst = await runCase(c);
      if (worst > 1) failures.push(`${c.name}: ${worst.toFixed(2)}× the tolerance`);
      else agreed++;
      assert.ok(worst <= 1, `${c.name}: worst error ${worst.toFixed(3)}× the tolerance`);
    });
  }
  it('reports the count', () => {
    process.stdout.write(
      `# golden: ${agreed} of ${FIXTURE.cases.length} cases agree\n${failures.join('\n')}\n`,
    );
  });
});
