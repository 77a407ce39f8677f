import type { Tensor } from './tensor.js';
import type { GuidedPrediction } from './guidance.js';
import type { NoiseLevel } from './noiseLevel.js';

/** What an inner loop (DiffIER's) did at one step, per sample. */
export interface InnerLoopRecord {
  /** The error before the loop: the training loss of the base rule's landing point. */
  readonly before: Float64Array;
  /** The error after it, at the landing point chosen; NaN where it was not evaluated. */
  readonly after: Float64Array;
  /** Network evaluations the loop spent on each sample. */
  readonly iterations: Float64Array;
  /** Fraction of the base rule's guidance applied. */
  readonly fraction: Float64Array;
}

/** What one main step of the loop hands to callbacks and monitors. */
export interface StepPayload {
  /** Index of the step (0-based) and their number. */
  readonly i: number;
  readonly numSteps: number;
  readonly from: NoiseLevel;
  readonly to: NoiseLevel;
  /** The input of the last evaluation of this step (the iterate x_t, or a re-noised one). */
  readonly xIn: Tensor;
  /** The sample after the step, at level `to`. */
  readonly x: Tensor;
  /** Guided prediction at xIn (x0, eps, raw cond/uncond). */
  readonly pred: GuidedPrediction;
  /** The clean estimate x was built from: pred.x0 unless a wrapper moved the sample's content. */
  readonly x0Out: Tensor;
  /** True when x is the deterministic landing of x0Out (no fresh noise was added). */
  readonly deterministic: boolean;
  /** Training loss of the step's landing point, per sample, when the transition measured it. */
  readonly landingGap?: Float64Array;
  /** What the transition's inner loop did, when it has one. */
  readonly inner?: InnerLoopRecord;
  /** The rule's nominal weight w (what "full guidance" means for the gap measures). */
  readonly w: number;
  /** Network evaluations per sample so far (a batched cond+uncond call counts 2). */
  readonly nfe: number;
}

/**
 * A monitor of the sampling loop (gap measures, progress bars, previews): it reads what the
 * loop already computed and never calls the network.
 */
export type StepObserver = (payload: StepPayload) => void;
