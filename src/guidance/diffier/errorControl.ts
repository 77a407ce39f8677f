import { InvalidOptionError } from '../../errors.js';
import type { Predictions } from '../../core/denoiser.js';
import type { GuidanceContext, GuidanceRule } from '../../core/guidance.js';
import { cleanEstimates, driftRatios, type CleanEstimates } from '../../monitors/drift.js';

/**
 * How the measured drift ratio r_t turns into a guidance weight.
 * - `smooth` (docs/diffier.md §2, smooth rule): w_t = 1 + (w − 1)·min(1, (τ/r_t)^p), r_t measured at
 *   the full weight w. Automatic and free, but r_t grows with w, so the rule cancels the
 *   extra guidance a larger w asks for: adherence can fall as w rises.
 * - `window`: r_t is measured at a fixed reference weight `refW`, never at the user's w,
 *   and guidance switches on (at the full w) the first time r_t falls below τ, coming
 *   down from high noise, and stays on. Before it opens the trajectory is the unguided
 *   conditional one, identical for every w, so where the window opens does not depend on
 *   w and the weight keeps working as a knob inside it.
 */
export type ErrorControlMode = 'smooth' | 'window';

export interface ErrorControlOptions {
  /** Default `window`. */
  readonly mode?: ErrorControlMode;
  /** Threshold τ on the drift ratio. Default 1.5 (smooth), 1.3 (window). Range (0, ∞]; ∞ = plain inner rule. */
  readonly tau?: number;
  /** Exponent p of the smooth rule. Default 2. */
  readonly p?: number;
  /** Reference weight of the window mode's ratio. Default 2. */
  readonly refW?: number;
  /**
   * `sample`: each sample opens its own window (works for a batch of one).
   * `batch`: the window opens for all at once, when the batch median of r_t falls below τ
   * (only meaningful when the batch shares its condition). Default `sample`.
   */
  readonly scope?: 'sample' | 'batch';
}

interface ControlState<S> {
  readonly inner: S;
  prev: CleanEstimates | undefined;
  /** Window mode: whether each sample's window is open. */
  readonly open: Uint8Array;
  /** Step at which each sample's window opened (−1 = never); reported for diagnostics. */
  readonly openedAt: Int32Array;
}

/** Error-controlled guidance: wraps any rule and lowers its weight where r_t says it fights the diffusion. */
export function errorControl<S>(
  inner: GuidanceRule<S>,
  options: ErrorControlOptions = {},
): GuidanceRule<ControlState<S>> {
  const mode = options.mode ?? 'window';
  if (mode !== 'smooth' && mode !== 'window') {
    throw new InvalidOptionError(
      `error-control mode must be smooth or window, got ${String(mode)}`,
    );
  }
  const tau = options.tau ?? (mode === 'smooth' ? 1.5 : 1.3);
  const p = options.p ?? 2;
  const refW = options.refW ?? 2;
  const scope = options.scope ?? 'sample';
  if (!(tau > 0)) throw new InvalidOptionError(`error-control tau must be > 0, got ${tau}`);
  if (!(p > 0) || !Number.isFinite(p))
    throw new InvalidOptionError(`error-control p must be finite and > 0, got ${p}`);
  if (!(refW > 1) || !Number.isFinite(refW))
    throw new InvalidOptionError(`error-control refW must be finite and > 1, got ${refW}`);
  if (scope !== 'sample' && scope !== 'batch')
    throw new InvalidOptionError(`error-control scope must be sample or batch`);

  const controlled = (
    pred: Predictions,
    weights: Float64Array,
    ctx: GuidanceContext,
    state: ControlState<S>,
  ): Float64Array => {
    const batch = ctx.x.batch;
    const measureAt = mode === 'smooth' ? weights : refW;
    const now = cleanEstimates(ctx.x, pred, ctx.level, measureAt);
    const prev = state.prev;
    state.prev = now;
    const out = new Float64Array(batch);
    if (!prev || !pred.uncond) {
      // First step (no drift yet) or no unconditional prediction: no guidance.
      out.fill(1);
      return out;
    }
    const r = driftRatios(now, prev, batch);
    if (mode === 'smooth') {
      for (let i = 0; i < batch; i++)
        out[i] = 1 + (weights[i] - 1) * Math.min(1, Math.pow(tau / r[i], p));
      return out;
    }
    if (scope === 'batch') {
      if (median(r) < tau) state.open.fill(1);
    } else {
      for (let i = 0; i < batch; i++) if (r[i] < tau) state.open[i] = 1;
    }
    for (let i = 0; i < batch; i++) {
      if (state.open[i] && state.openedAt[i] < 0) state.openedAt[i] = ctx.step;
      out[i] = state.open[i] ? weights[i] : 1;
    }
    return out;
  };

  return {
    name: `${inner.name}+error-control`,
    w: inner.w,
    describe: () => ({ ...inner.describe(), errorControl: { mode, tau, p, refW, scope } }),
    createState: (batch) => ({
      inner: inner.createState(batch),
      prev: undefined,
      open: new Uint8Array(batch),
      openedAt: new Int32Array(batch).fill(-1),
    }),
    // The nominal weights decide the gate: the ratio needs ε_u even where guidance is off.
    weights: (ctx, state) => inner.weights(ctx, state.inner),
    combine: (pred, weights, ctx, state) => {
      if (tau === Infinity) return inner.combine(pred, weights, ctx, state.inner);
      return inner.combine(pred, controlled(pred, weights, ctx, state), ctx, state.inner);
    },
  };
}

function median(values: Float64Array): number {
  const sorted = Float64Array.from(values).sort();
  const m = sorted.length >> 1;
  return sorted.length % 2 ? sorted[m] : (sorted[m - 1] + sorted[m]) / 2;
}
