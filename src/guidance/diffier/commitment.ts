import { InvalidOptionError } from '../../errors.js';
import type { GuidanceRule } from '../../core/guidance.js';
import type { NoiseLevel } from '../../core/noiseLevel.js';
import type { Tensor } from '../../tensor/tensor.js';

/**
 * How far the model has committed the batch to its final structure at a level:
 *
 *     c_t = √( tr Var_batch[x̂0_c(x_t)] / tr Var_batch[x_t / a_t] )   ∈ [0, 1]
 *
 * For Gaussian data of variance v, x̂0 = v/(v+σ²)·x_t/a and Var[x_t/a] = v + σ², so the
 * ratio is exactly c = v/(v+σ²): the fraction of the data's variance that the clean
 * estimate already explains. It needs no pilot and no extra network call, only a batch
 * that shares the condition (the estimate's noise falls like 1/√batch).
 */
export function commitment(x: Tensor, epsCond: Tensor, level: NoiseLevel): number {
  const n = x.batch;
  const d = x.itemSize;
  if (n < 2) return NaN;
  // Two row-major passes with x̂0 = (x − s·ε)/a formed on the fly: column means, then the
  // squared deviations (no temporary tensor; this runs at every step, outside the network).
  const xs = x.data;
  const es = epsCond.data;
  const { a } = level;
  const ia = 1 / a;
  const sa = level.s / a;
  const mean0 = new Float64Array(d);
  const meanX = new Float64Array(d);
  for (let i = 0; i < n; i++) {
    for (let j = 0, k = i * d; j < d; j++, k++) {
      mean0[j] += xs[k] * ia - sa * es[k];
      meanX[j] += xs[k];
    }
  }
  for (let j = 0; j < d; j++) {
    mean0[j] /= n;
    meanX[j] /= n;
  }
  let v0 = 0;
  let vx = 0;
  for (let i = 0; i < n; i++) {
    for (let j = 0, k = i * d; j < d; j++, k++) {
      const e0 = xs[k] * ia - sa * es[k] - mean0[j];
      const ex = xs[k] - meanX[j];
      v0 += e0 * e0;
      vx += ex * ex;
    }
  }
  // Var[x_t/a] = Var[x_t]/a².
  const ratio = v0 / (vx / (a * a));
  return Math.min(1, Math.sqrt(Math.max(0, ratio)));
}

/** Smallest batch on which c_t is measured by default (its noise falls like 1/√batch). */
export const COMMITMENT_MIN_BATCH = 8;

export interface CommitmentOptions {
  /** Exponent q of the schedule w_t = 1 + (w − 1)·c_t^q. Default 2 (docs/diffier.md). */
  readonly q?: number;
  /** Smallest batch for which c_t is measured; smaller batches use `fallback`. Default 8. */
  readonly minBatch?: number;
}

interface CommitState<S> {
  readonly inner: S;
  /** c_t of the current main step (the first evaluation of a step measures it). */
  step: number;
  c: number;
}

/**
 * Commitment-scheduled guidance: guide in proportion to how much of the sample's
 * structure the conditional model has already decided, w_t = 1 + (w − 1)·c_t^q. At high
 * noise (c ≈ 0) the sampler follows the conditional field the network was trained on, so
 * mode weights come from the model, not from the guided field; as the structure settles
 * (c → 1) the full w applies. c_t is measured on the batch, not at the user's w, so w stays
 * a knob inside the schedule.
 */
export function commitmentGuidance<S>(
  inner: GuidanceRule<S>,
  options: CommitmentOptions = {},
): GuidanceRule<CommitState<S>> {
  const q = options.q ?? 2;
  const minBatch = options.minBatch ?? COMMITMENT_MIN_BATCH;
  if (!(q >= 0) || !Number.isFinite(q))
    throw new InvalidOptionError(`commitment q must be finite and ≥ 0, got ${q}`);
  if (!Number.isInteger(minBatch) || minBatch < 2)
    throw new InvalidOptionError(`commitment minBatch must be an integer ≥ 2`);
  return {
    name: `${inner.name}+commitment`,
    w: inner.w,
    describe: () => ({ ...inner.describe(), commitment: { q, minBatch } }),
    createState: (batch) => ({ inner: inner.createState(batch), step: -1, c: NaN }),
    weights: (ctx, state) => inner.weights(ctx, state.inner),
    combine: (pred, weights, ctx, state) => {
      if (state.step !== ctx.step) {
        state.step = ctx.step;
        state.c = ctx.x.batch >= minBatch ? commitment(ctx.x, pred.cond, ctx.level) : 1;
      }
      const m = Math.pow(state.c, q);
      const scaled = weights.map((w) => 1 + (w - 1) * m);
      return inner.combine(pred, scaled, ctx, state.inner);
    },
  };
}
