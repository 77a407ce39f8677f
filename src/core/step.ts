import type { GuidedPrediction } from './guidance.js';
import type { BatchRandom } from './random.js';
import type { Tensor } from './tensor.js';
import type { NoiseLevel } from './noiseLevel.js';

export interface StepInput<H = unknown> {
  /** Current sample at level `from`. */
  readonly x: Tensor;
  readonly from: NoiseLevel;
  readonly to: NoiseLevel;
  /** Guided prediction at (x, from). */
  readonly pred: GuidedPrediction;
  /** The only source of randomness a step may use. */
  readonly rng: BatchRandom;
  /** What the previous step of this sampler returned (multistep solvers). */
  readonly history: H | undefined;
}

export interface StepOutput<H = unknown> {
  readonly x: Tensor;
  /** Passed back as `history` to the next step; undefined for one-step samplers. */
  readonly history?: H;
}

/**
 * One sampler transition from → to: a pure function of its input. Multistep solvers keep
 * their memory in the returned `history`, never in hidden fields.
 */
export interface SamplerStep<H = unknown> {
  readonly name: string;
  /** True when the step honours `pred.renoiseEps` (needed by CFG++). */
  readonly usesRenoiseEps: boolean;
  /** True when the step draws noise. */
  readonly stochastic: boolean;
  step(input: StepInput<H>): StepOutput<H>;
}
