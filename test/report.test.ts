import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import type { GmmBenchResult, RunRow } from '../src/bench/gmmBench.js';
import { goalChecks, markdownTables, stat, summarise } from '../src/bench/report.js';

const WS = [1, 2, 3, 5, 7.5, 10];

/** A synthetic run whose metrics are simple functions of w. */
function run(
  method: string,
  w: number,
  f: {
    energy: (w: number) => number;
    adherence: (w: number) => number;
    guided: (w: number) => number;
  },
): RunRow {
  return {
    method,
    options: {},
    w,
    steps: 50,
    nfe: 100,
    seed: 1,
    metrics: {
      energy: f.energy(w),
      precision: 1,
      recall: 1,
      adherence: f.adherence(w),
      nll: 0,
      coverage: 1,
      training: 0,
      guidedEnergy: f.guided(w),
      gap: w,
      condGap: w,
      driftGap: w - 1,
      trueGap: w,
      evals: 100,
    },
    gapSteps: [],
  };
}

function result(seed: number, noise: number): GmmBenchResult {
  const cfg = {
    energy: (w: number) => 0.1 * w + noise,
    adherence: (w: number) => Math.min(1, 0.9 + 0.02 * w),
    guided: (w: number) => 0.05 * w,
  };
  const good = {
    energy: (w: number) => 0.01 + 0.001 * w + noise,
    adherence: (w: number) => Math.min(1, 0.9 + 0.015 * w),
    guided: (w: number) => 0.001 * w,
  };
  return {
    problem: 'p',
    nfeBudget: 100,
    dim: 2,
    sampler: 'ddim',
    samples: 100,
    seed,
    estimators: {},
    runs: [...WS.map((w) => run('cfg', w, cfg)), ...WS.map((w) => run('diffier', w, good))],
    targets: WS.map((w) => ({
      w,
      energy: 0.01,
      precision: 1,
      recall: 1,
      adherence: Math.min(1, 0.9 + 0.015 * w),
      acceptance: 0.5,
    })),
    floor: 0.01,
    resolution: 0.001,
  };
}

describe('bench report', () => {
  it('stat: mean and sample sd, non-finite values ignored', () => {
    assert.deepEqual(stat([1, 3, NaN]), { mean: 2, sd: Math.SQRT2, n: 2 });
    assert.equal(stat([]).n, 0);
  });
  it('summarises seeds: fidelity, constrained quality, sensitivity, monotone adherence', () => {
    const [g] = summarise([result(1, 0), result(2, 0.002)]);
    assert.equal(g.seeds.length, 2);
    const cfg = g.methods.find((m) => m.method === 'cfg')!;
    const me = g.methods.find((m) => m.method === 'diffier')!;
    // fidelity: mean guidedEnergy over w ∈ {2, 3, 5}
    assert.ok(Math.abs(cfg.fidelity.mean - (0.05 * 10) / 3) < 1e-12);
    // constrained: adherence ≥ 0.99 from w = 5 (cfg: 0.9 + 0.1) — energy 0.5 (+ noise)
    assert.ok(Math.abs(cfg.constrained.mean - 0.501) < 1e-12);
    // diffier reaches 0.99 only at w = 10 (0.9 + 0.15 → 1), w = 7.5 gives 1.0125 → 1 too
    assert.ok(Number.isFinite(me.constrained.mean));
    assert.equal(cfg.bestW, 1);
    assert.ok(cfg.monotone && me.monotone);
    // sensitivity: E(7.5)/best, both seed means
    assert.ok(Math.abs(cfg.sensitivity.mean - (0.75 / 0.1 + 0.752 / 0.102) / 2) < 1e-9);
    assert.equal(cfg.recommendedW, 2); // A_r = w − 1 stays within 1 of A_r(1) = 0 up to w = 2
    assert.match(markdownTables([g]), /\| diffier \|/);
  });
  it('goal checks compare DiffIER with the best other method', () => {
    const checks = goalChecks(summarise([result(1, 0)]));
    const fid = checks.find((c) => c.goal.startsWith('fidelity'))!;
    assert.equal(fid.pass, true);
    const sens = checks.find((c) => c.goal.startsWith('sensitivity'))!;
    assert.equal(sens.pass, true);
    const rank = checks.find((c) => c.goal.startsWith('accumulated'))!;
    assert.equal(rank.pass, true); // gap = w and energy increasing in w: ρ = 1
  });
});
