/**
 * Increasing guidance-weight schedules (Wang et al., "Analysis of Classifier-Free Guidance
 * Weight Schedulers", TMLR 2024, arXiv 2404.13040, §3 "heuristic schedulers"): the weight
 * grows as the noise falls, low at the start (where strong guidance fights the generative
 * term and costs diversity) and high at the end (where it adds detail).
 *
 * The paper's shapes on the normalised time τ = t/T (1 = pure noise), each normalised so
 * that its mean over the run is the static weight ("the area under the scheduler equals
 * that of the static guidance"):
 *
 *     linear:  f(τ) = 2·(1 − τ)
 *     cosine:  f(τ) = 1 + cos(π·τ)
 *
 * Convention here (diffusers' w, 1 = no guidance): the schedule scales the guidance
 * *strength* w − 1, so that w = 1 is unguided at every step and no step is ever pushed
 * towards the unconditional model:
 *
 *     w_i = 1 + (w − 1)·f(τ_i),   τ_i = 1 − (i + ½)/N   (step i of N, the midpoint rule)
 *
 * On the N steps taken, mean_i f(τ_i) = 1 exactly for both shapes (the midpoint rule is exact
 * for a line and for cos on a full half-period), so the mean weight over the steps is w —
 * the paper's normalisation, on the steps actually taken. τ follows the step index, which
 * is the paper's t/T for the evenly spaced timesteps of DDIM-type schedules. `constant`
 * (f = 1) is plain CFG, bit for bit. Per sample: no batch statistics.
 */
import { InvalidOptionError } from '../core/errors.js';
import { cfgCombine } from './cfg.js';
import { checkFinite, constantWeights } from './combine.js';
import type { GuidanceContext, GuidanceRule } from '../core/guidance.js';

export const WEIGHT_SCHEDULE_SHAPES = ['linear', 'cosine', 'constant'] as const;
export type WeightScheduleShape = (typeof WEIGHT_SCHEDULE_SHAPES)[number];

export interface WeightScheduleOptions {
  /** Shape of the schedule; default 'linear'. */
  readonly shape?: WeightScheduleShape;
}

export const WEIGHT_SCHEDULE_DEFAULTS = { shape: 'linear' } as const;

/** The schedule's factor f at step i of n (mean 1 over i = 0 … n−1). */
export function scheduleFactor(shape: WeightScheduleShape, i: number, n: number): number {
  if (shape === 'constant') return 1;
  const progress = (i + 0.5) / n; // 1 − τ: 0 at pure noise, 1 at the end
  return shape === 'linear' ? 2 * progress : 1 - Math.cos(Math.PI * progress);
}

/** The weight w_i of step i of n for nominal weight w. */
export function scheduledWeight(
  w: number,
  shape: WeightScheduleShape,
  i: number,
  n: number,
): number {
  if (shape === 'constant') return w;
  return 1 + (w - 1) * scheduleFactor(shape, i, n);
}

/**
 * CFG with an increasing weight schedule.
 * @param w the mean weight over the run (diffusers' guidance_scale; 1 = no guidance).
 */
export function weightSchedule(
  w: number,
  options: WeightScheduleOptions = {},
): GuidanceRule<undefined> {
  checkFinite('cfg-schedule', 'w', w);
  const shape = options.shape ?? WEIGHT_SCHEDULE_DEFAULTS.shape;
  if (!(WEIGHT_SCHEDULE_SHAPES as readonly string[]).includes(shape)) {
    throw new InvalidOptionError(
      `cfg-schedule: option 'shape' must be one of ${WEIGHT_SCHEDULE_SHAPES.join(', ')}, got ${String(shape)}`,
    );
  }
  const weightAt = (ctx: GuidanceContext) =>
    scheduledWeight(w, shape, Math.min(ctx.step, ctx.numSteps - 1), ctx.numSteps);
  return {
    name: 'cfg-schedule',
    w,
    describe: () => ({ name: 'cfg-schedule', w, shape }),
    createState: () => undefined,
    weights: (ctx) => constantWeights(ctx.x.batch, weightAt(ctx)),
    combine: (pred, weights, ctx) => cfgCombine(pred, weights, ctx),
  };
}
