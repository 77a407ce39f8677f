import assert from 'node:assert/strict';
import { join } from 'node:path';
import { it } from 'node:test';

// The README's library example, verbatim but for the sample count: it must compile and run.
import {
  GmmDenoiser,
  loadProblem,
  schedulePlan,
  parseSchedulerConfig,
  SD15_SCHEDULER_CONFIG,
  createSampler,
  sample,
  cfg,
  diffierStep,
  GapMonitor,
  BatchRandom,
} from '../src/index.js';
import { packageRoot } from '../src/models/embedded.js';

it('the README library example runs', async () => {
  const problem = await loadProblem(join(packageRoot(), 'bench/problems/2d-separated.json'));
  const levels = schedulePlan(parseSchedulerConfig(SD15_SCHEDULER_CONFIG)).forSteps(50).levels;
  const rng = new BatchRandom(1, 100); // item i's noise depends on (seed, i) only
  const monitor = new GapMonitor();
  const { x, nfe } = await sample({
    denoiser: GmmDenoiser.forModel(problem),
    rule: cfg(5), // any guidance rule
    wrappers: [diffierStep()], // DiffIER: per-sample inner loop + corrector, any sampler
    sampler: createSampler('ddim'),
    levels,
    x: rng.normal([100, 2]),
    rng,
    onStep: [monitor.observe],
  });
  // 2 per step for CFG, + 1 probe and 1 corrector step except into the final level.
  assert.equal(nfe, 50 * 2 + 49 * 2);
  assert.equal(x.batch, 100);
  assert.ok(Number.isFinite(monitor.summary().training));
});
