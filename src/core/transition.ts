import type { Predictions, PredictionRequest } from './denoiser.js';
import type { GuidedPrediction } from './guidance.js';
import type { NoiseLevel } from './noiseLevel.js';
import type { InnerLoopRecord } from './observer.js';
import { completeStep, type SamplerStep } from './step.js';
import type { BatchRandom } from './random.js';
import type { Tensor } from './tensor.js';

/** Everything a transition (a step, possibly wrapped by DiffIER or a peer) may use. */
export interface TransitionContext {
  readonly i: number;
  readonly numSteps: number;
  /** The whole schedule, levels[0] (noisiest) … levels[numSteps] (final). */
  readonly levels: readonly NoiseLevel[];
  readonly from: NoiseLevel;
  readonly to: NoiseLevel;
  readonly x: Tensor;
  readonly rng: BatchRandom;
  readonly history: unknown;
  readonly sampler: SamplerStep;
  /** One guided evaluation at (x, level), heading to `next`; counts network evaluations. */
  guide(x: Tensor, level: NoiseLevel, next: NoiseLevel): Promise<GuidedPrediction>;
  /** Raw network predictions (no guidance rule), for wrappers with their own combination. */
  predict(x: Tensor, level: NoiseLevel, request: PredictionRequest): Promise<Predictions>;
  /** Network evaluations so far over the whole batch (for adaptive budgets). */
  evaluations(): number;
}

export interface TransitionResult {
  readonly x: Tensor;
  readonly history: unknown;
  /** The evaluation that produced x (its input and guided prediction). */
  readonly xIn: Tensor;
  readonly pred: GuidedPrediction;
  /** The clean estimate x was built from, when a wrapper changed it (default pred.x0). */
  readonly x0Out?: Tensor;
  /** True when x is the deterministic landing of x0Out (no fresh noise); default false. */
  readonly deterministic?: boolean;
  /** Training loss of the landing point, per sample, when the transition measured it. */
  readonly landingGap?: Float64Array;
  /** What the transition's inner loop did at this step, when it has one. */
  readonly inner?: InnerLoopRecord;
}

export type Transition = (ctx: TransitionContext) => Promise<TransitionResult>;
/** Wraps a transition; how DiffIER's cycle and the peers plug into every sampler. */
export type TransitionWrapper = (inner: Transition) => Transition;

/** The plain transition: one guided evaluation, one sampler step (and its later stages). */
export const plainTransition: Transition = async (ctx) => {
  const pred = await ctx.guide(ctx.x, ctx.from, ctx.to);
  const out = await completeStep(
    ctx.sampler,
    {
      x: ctx.x,
      from: ctx.from,
      to: ctx.to,
      pred,
      rng: ctx.rng,
      history: ctx.history,
    },
    (x, level) => ctx.guide(x, level, ctx.to),
  );
  return {
    x: out.x,
    history: out.history,
    xIn: ctx.x,
    pred,
    deterministic: !ctx.sampler.stochastic,
  };
};
