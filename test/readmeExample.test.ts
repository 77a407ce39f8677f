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
  commitmentGuidance,
  GapMonitor,
  BatchRandom,
} from '../src/index.js';
import { packageRoot } from '../src/models/embedded.js';

it('the README library example runs', async () => {
  const problem = await loadProblem(join(packageRoot(), 'bench/problems/2d-separated.json'));
  const levels = schedulePlan(parseSchedulerConfig(SD15_SCHEDULER_CONFIG)).forSteps(50).levels;
  const rng = new BatchRandom(1, 100);
  const monitor = new GapMonitor();
  const { x, nfe } = await sample({
    denoiser: GmmDenoiser.forModel(problem),
    rule: commitmentGuidance(cfg(5)),
    sampler: createSampler('ddim'),
    levels,
    x: rng.normal([100, 2]),
    rng,
    onStep: [monitor.observe],
  });
  assert.equal(nfe, 100);
  assert.equal(x.batch, 100);
  assert.ok(Number.isFinite(monitor.summary().condGap));
});
