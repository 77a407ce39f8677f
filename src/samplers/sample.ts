import { AbortedError, ShapeError } from '../core/errors.js';
import { predictionRequest } from '../core/gate.js';
import type { Denoiser, PredictionRequest } from '../core/denoiser.js';
import type { GuidanceRule } from '../core/guidance.js';
import type { BatchRandom } from '../core/random.js';
import { assertFinite, assertSameShape, type Tensor } from '../core/tensor.js';
import type { NoiseLevel } from '../core/noiseLevel.js';
import { landingOf } from '../core/levels.js';
import type { StepObserver, StepPayload } from '../core/observer.js';
import type { SamplerStep } from '../core/step.js';
import { plainTransition, type Transition, type TransitionWrapper } from '../core/transition.js';

export interface SampleOptions {
  readonly denoiser: Denoiser;
  readonly rule: GuidanceRule;
  readonly sampler: SamplerStep;
  /** levels[0] is where `x` lives; the loop takes levels.length − 1 steps (none for one level). */
  readonly levels: readonly NoiseLevel[];
  /** Where step i lands when not levels[i + 1] (SamplingLevels.landings). */
  readonly landings?: readonly NoiseLevel[];
  /** Initial sample at levels[0] (already scaled: for VP, pure noise is N(0, I)). */
  readonly x: Tensor;
  readonly rng: BatchRandom;
  /** Applied innermost first: [a, b] gives b(a(plain)). */
  readonly wrappers?: readonly TransitionWrapper[];
  /** Called after every main step: progress bars, gap monitors, previews. */
  readonly onStep?: readonly StepObserver[];
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
  if (levels.length < 1) throw new ShapeError('a schedule needs at least one level');
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
  // A denoiser that never waits (the exact mixture score) would keep Ctrl-C's handler from
  // running: with a signal, yield one macrotask when 50 ms passed since the last one.
  let lastYield = performance.now();
  for (let i = 0; i < numSteps; i++) {
    if (signal && performance.now() - lastYield > 50) {
      await new Promise<void>((r) => setTimeout(r, 0));
      lastYield = performance.now();
    }
    if (signal?.aborted) throw new AbortedError();
    const from = levels[i];
    const to = landingOf(opts, i);
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
      x0Out: result.x0Out ?? result.pred.x0,
      deterministic: result.deterministic ?? false,
      landingGap: result.landingGap,
      inner: result.inner,
      w: rule.w,
      nfe: evals / batch,
    };
    for (const cb of opts.onStep ?? []) cb(payload);
  }
  return { x, nfe: evals / batch, evals };
}
