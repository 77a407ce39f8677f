import type { Predictions } from './denoiser.js';
import type { NoiseLevel } from './noiseLevel.js';
import type { Tensor } from './tensor.js';

/** Where in the sampling loop a guidance rule is being applied. */
export interface GuidanceContext {
  /** Index of the main sampling step (0-based). */
  readonly step: number;
  readonly numSteps: number;
  /** Level of the input x. */
  readonly level: NoiseLevel;
  /** Level the step is heading to (for rules whose effect depends on the step size). */
  readonly next: NoiseLevel;
  /** The input of the network. */
  readonly x: Tensor;
}

/** What a guidance rule hands to a step. */
export interface GuidedPrediction {
  /** Guided ε. */
  readonly eps: Tensor;
  /** Guided clean estimate x̂0 (may be clipped by thresholding; then not consistent with eps). */
  readonly x0: Tensor;
  /** The ε a DDIM/Euler-type step re-noises with, when it is not `eps` (CFG++ uses ε_u). */
  readonly renoiseEps?: Tensor;
  /** Unguided predictions at the same input (uncond absent when the gate skipped it). */
  readonly raw: Predictions;
  /** The per-sample weight actually applied (1 = conditional only). */
  readonly weights: Float64Array;
}

/**
 * A guidance rule. `weights` decides, before the network is called, how strongly each
 * sample is guided at this step; the one shared gate (core/gate.ts) skips the
 * unconditional pass when every weight is 1. `combine` turns the predictions into a
 * guided prediction; wrappers (interval, thresholding, rescale …) delegate to an
 * inner rule. Per-run state (APG momentum, a schedule's history) lives in the
 * object returned by `createState`, never in the rule.
 */
export interface GuidanceRule<S = unknown> {
  readonly name: string;
  /** The user's guidance weight w (diffusers' guidance_scale; 1 = no guidance). */
  readonly w: number;
  /** Options as plain JSON, echoed in benchmark output. */
  describe(): Record<string, unknown>;
  createState(batch: number): S;
  weights(ctx: GuidanceContext, state: S): Float64Array;
  combine(
    pred: Predictions,
    weights: Float64Array,
    ctx: GuidanceContext,
    state: S,
  ): GuidedPrediction;
}
