import type { Denoiser, PredictionRequest, Predictions } from '../core/denoiser.js';
import { InvalidOptionError } from '../core/errors.js';
import type { SamplerStep } from '../core/step.js';
import { sample } from '../samplers/sample.js';
import type { NoiseLevel } from '../core/noiseLevel.js';
import { BatchRandom } from '../core/random.js';
import { Tensor } from '../core/tensor.js';
import type { MethodInstance } from './types.js';

/** A stand-in network for counting: ε = x/2 (finite, cheap, deterministic). */
const countingDenoiser: Denoiser = {
  itemShape: [1],
  async predict(x: Tensor, _level: NoiseLevel, request: PredictionRequest): Promise<Predictions> {
    const eps = x.like(x.data.map((v) => v / 2));
    return request === 'both'
      ? { cond: eps, uncond: x.like(x.data.map((v) => v / 3)) }
      : { cond: eps };
  },
};

/**
 * Network evaluations per sample of a method on a schedule, counted by running it once
 * on a one-item batch with a stand-in network — so no method has to state its cost as a
 * separate formula that could drift from what it does. A method whose cost depends on the
 * data counts its `planning` instance (its worst case).
 */
export async function countNfe(
  method: MethodInstance,
  sampler: SamplerStep,
  levels: readonly NoiseLevel[],
): Promise<number> {
  const counted = method.planning ?? method;
  const result = await sample({
    denoiser: countingDenoiser,
    rule: counted.rule,
    sampler,
    levels,
    x: new Tensor(new Float32Array([1]), [1, 1]),
    rng: new BatchRandom(0, 1),
    wrappers: counted.wrappers,
  });
  return result.nfe;
}

/**
 * The step count whose evaluations per sample come closest to `nfe` without exceeding it
 * (the benchmark's matched-budget rule). `build(steps)` makes the method and its schedule.
 */
export async function stepsForNfe(
  nfe: number,
  build: (steps: number) => { method: MethodInstance; levels: readonly NoiseLevel[] },
  sampler: SamplerStep,
  maxSteps: number,
): Promise<{ steps: number; nfe: number }> {
  let best: { steps: number; nfe: number } | undefined;
  for (let steps = 1; steps <= maxSteps; steps++) {
    const { method, levels } = build(steps);
    const n = await countNfe(method, sampler, levels);
    if (n <= nfe && (!best || n >= best.nfe)) best = { steps, nfe: n };
    if (n > nfe * 2 + 4) break; // costs only grow from here
  }
  if (!best) throw new InvalidOptionError(`no step count fits an NFE budget of ${nfe}`);
  return best;
}
