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
  /**
   * Present when the step is not finished: it needs one more guided evaluation (Heun's
   * corrector at `to`, DPM++ SDE's midpoint). `x` is then the point to evaluate, not a
   * result; the caller evaluates the guided model there and calls `finish`.
   */
  readonly pending?: PendingStage<H>;
}

/** The second stage of a step that evaluates the guided model twice. */
export interface PendingStage<H = unknown> {
  /** Level of the evaluation point (the sample is the output's `x`). */
  readonly level: NoiseLevel;
  finish(pred: GuidedPrediction): StepOutput<H>;
}

/** Guided evaluation at (x, level) for a step's later stage; it counts its network calls. */
export type StageEvaluation = (x: Tensor, level: NoiseLevel) => Promise<GuidedPrediction>;

/**
 * Runs a step to completion: every pending stage is evaluated with `evaluate` (the caller's
 * guided model, so every guidance rule and wrapper sees each evaluation) and finished.
 */
export async function completeStep<H>(
  sampler: SamplerStep<H>,
  input: StepInput<H>,
  evaluate: StageEvaluation,
): Promise<StepOutput<H>> {
  let out = sampler.step(input);
  while (out.pending) {
    const { level, finish } = out.pending;
    out = finish(await evaluate(out.x, level));
  }
  return out;
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
