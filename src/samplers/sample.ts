import { AbortedError, ShapeError } from '../errors.js';
import { predictionRequest } from '../core/gate.js';
import type { Denoiser, PredictionRequest, Predictions } from '../core/denoiser.js';
import type { GuidanceRule, GuidedPrediction } from '../core/guidance.js';
import type { BatchRandom } from '../tensor/random.js';
import { assertFinite, assertSameShape, type Tensor } from '../tensor/tensor.js';
import type { NoiseLevel } from '../core/noiseLevel.js';
import type { SamplerStep, StepOutput } from '../core/step.js';

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
  /** The rule's nominal weight w (what "full guidance" means for the gap measures). */
  readonly w: number;
  /** Network evaluations per sample so far (a batched cond+uncond call counts 2). */
  readonly nfe: number;
}

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
}

export type Transition = (ctx: TransitionContext) => Promise<TransitionResult>;
/** Wraps a transition; how DiffIER's cycle and the peers plug into every sampler. */
export type TransitionWrapper = (inner: Transition) => Transition;

/** The plain transition: one guided evaluation, one sampler step. */
export const plainTransition: Transition = async (ctx) => {
  const pred = await ctx.guide(ctx.x, ctx.from, ctx.to);
  const out: StepOutput = ctx.sampler.step({
    x: ctx.x,
    from: ctx.from,
    to: ctx.to,
    pred,
    rng: ctx.rng,
    history: ctx.history,
  });
  return { x: out.x, history: out.history, xIn: ctx.x, pred };
};

export interface SampleOptions {
  readonly denoiser: Denoiser;
  readonly rule: GuidanceRule;
  readonly sampler: SamplerStep;
  /** levels[0] is where `x` lives; the loop takes levels.length − 1 steps. */
  readonly levels: readonly NoiseLevel[];
  /** Initial sample at levels[0] (already scaled: for VP, pure noise is N(0, I)). */
  readonly x: Tensor;
  readonly rng: BatchRandom;
  /** Applied innermost first: [a, b] gives b(a(plain)). */
  readonly wrappers?: readonly TransitionWrapper[];
  /** Called after every main step: progress bars, gap monitors, previews. */
  readonly onStep?: readonly ((payload: StepPayload) => void)[];
  readonly signal?: AbortSignal;
}

export interface SampleResult {
  readonly x: Tensor;
  /** Network evaluations per sample (a batched cond+uncond call counts 2). */
  readonly nfe: number;
  /** Total network evaluations over the batch. */
  readonly evals: number;
}

/**
 * The sampling loop: a step over a schedule, with guidance applied at every evaluation,
 * a callback payload after every step and cancellation through an AbortSignal.
 */
export async function sample(opts: SampleOptions): Promise<SampleResult> {
  const { denoiser, rule, sampler, levels, rng, signal } = opts;
  if (levels.length < 2) throw new ShapeError('a schedule needs at least two levels (one step)');
  const batch = opts.x.batch;
  if (rng.batch !== batch)
    throw new ShapeError(`${rng.batch} noise streams for a batch of ${batch}`);
  const state = rule.createState(batch);
  const numSteps = levels.length - 1;
  let evals = 0;

  const predict = async (x: Tensor, level: NoiseLevel, request: PredictionRequest) => {
    if (signal?.aborted) throw new AbortedError();
    const raw = await denoiser.predict(x, level, request);
    assertSameShape(raw.cond, x, 'conditional prediction vs sample');
    assertFinite(raw.cond, `conditional prediction at t=${level.timestep}`);
    if (request === 'both') {
      if (!raw.uncond) throw new ShapeError('denoiser returned no unconditional prediction');
      assertSameShape(raw.uncond, x, 'unconditional prediction vs sample');
      assertFinite(raw.uncond, `unconditional prediction at t=${level.timestep}`);
    }
    evals += x.batch * (request === 'both' ? 2 : 1);
    return raw;
  };
  const guide = async (x: Tensor, level: NoiseLevel, next: NoiseLevel, i: number) => {
    const ctx = { step: i, numSteps, level, next, x };
    const weights = rule.weights(ctx, state);
    const raw = await predict(x, level, predictionRequest(weights));
    return rule.combine(raw, weights, ctx, state);
  };

  const transition = (opts.wrappers ?? []).reduce<Transition>(
    (t, wrap) => wrap(t),
    plainTransition,
  );
  let x = opts.x;
  let history: unknown = undefined;
  for (let i = 0; i < numSteps; i++) {
    if (signal?.aborted) throw new AbortedError();
    const from = levels[i];
    const to = levels[i + 1];
    const result = await transition({
      i,
      numSteps,
      levels,
      from,
      to,
      x,
      rng,
      history,
      sampler,
      guide: (xx, level, next) => guide(xx, level, next, i),
      predict,
      evaluations: () => evals,
    });
    x = result.x;
    history = result.history;
    assertFinite(x, `sample at step ${i} (t=${from.timestep})`);
    const payload: StepPayload = {
      i,
      numSteps,
      from,
      to,
      xIn: result.xIn,
      x,
      pred: result.pred,
      w: rule.w,
      nfe: evals / batch,
    };
    for (const cb of opts.onStep ?? []) cb(payload);
  }
  return { x, nfe: evals / batch, evals };
}
