/**
 * Shared maths of the guidance rules: per-sample weights, per-sample reductions and the
 * construction of a GuidedPrediction. The rules are written in terms of these helpers so
 * that none of them repeats the batch loops. Arithmetic is float64; results are stored as
 * float32 (the library's tensor type).
 */
import type { Predictions } from '../core/denoiser.js';
import { InvalidOptionError } from '../core/errors.js';
import { x0FromEps } from '../core/convert.js';
import type { Tensor } from '../core/tensor.js';
import type { GuidanceContext, GuidedPrediction } from '../core/guidance.js';

// ---------------------------------------------------------------------------------------
// Weights
// ---------------------------------------------------------------------------------------

/** A weight array with the same value for every sample. */
export function constantWeights(batch: number, w: number): Float64Array {
  return new Float64Array(batch).fill(w);
}

// ---------------------------------------------------------------------------------------
// Per-sample arithmetic
// ---------------------------------------------------------------------------------------

/**
 * Per-sample linear combination `from + w_i·(to − from)` — CFG when `from` = ε_u and
 * `to` = ε_c. Weight 1 copies `to` and weight 0 copies `from` bit for bit, so the
 * identities "w = 1 is conditional, w = 0 is unconditional" hold exactly.
 */
export function lerpItems(from: Tensor, to: Tensor, weights: Float64Array): Tensor {
  const n = from.itemSize;
  const out = new Float32Array(from.data.length);
  const f = from.data;
  const t = to.data;
  for (let i = 0; i < from.batch; i++) {
    const w = weights[i];
    const end = (i + 1) * n;
    if (w === 1) out.set(t.subarray(i * n, end), i * n);
    else if (w === 0) out.set(f.subarray(i * n, end), i * n);
    else for (let j = i * n; j < end; j++) out[j] = f[j] + w * (t[j] - f[j]);
  }
  return from.like(out);
}

/** Per-sample inner product ⟨a_i, b_i⟩ over all non-batch dims. */
export function itemDot(a: Tensor, b: Tensor): Float64Array {
  const n = a.itemSize;
  const out = new Float64Array(a.batch);
  for (let i = 0; i < a.batch; i++) {
    let sum = 0;
    for (let j = i * n; j < (i + 1) * n; j++) sum += a.data[j] * b.data[j];
    out[i] = sum;
  }
  return out;
}

/**
 * Per-sample standard deviation over all non-batch dims (population form; the rules only
 * use ratios of stds, where torch's Bessel correction cancels).
 */
export function itemStd(t: Tensor): Float64Array {
  const n = t.itemSize;
  const out = new Float64Array(t.batch);
  for (let i = 0; i < t.batch; i++) {
    let mean = 0;
    for (let j = i * n; j < (i + 1) * n; j++) mean += t.data[j];
    mean /= n;
    let ss = 0;
    for (let j = i * n; j < (i + 1) * n; j++) ss += (t.data[j] - mean) ** 2;
    out[i] = Math.sqrt(ss / n);
  }
  return out;
}

/** Multiply sample i by factors[i] (a factor of exactly 1 copies the sample unchanged). */
export function scaleItems(t: Tensor, factors: Float64Array): Tensor {
  const n = t.itemSize;
  const out = new Float32Array(t.data.length);
  for (let i = 0; i < t.batch; i++) {
    const f = factors[i];
    const end = (i + 1) * n;
    if (f === 1) out.set(t.data.subarray(i * n, end), i * n);
    else for (let j = i * n; j < end; j++) out[j] = t.data[j] * f;
  }
  return t.like(out);
}

/** Sample i taken from `a` where pick[i] is true, else from `b` (same shapes). */
export function pickItems(pick: readonly boolean[], a: Tensor, b: Tensor): Tensor {
  const n = a.itemSize;
  const out = new Float32Array(a.data.length);
  for (let i = 0; i < a.batch; i++) {
    out.set((pick[i] ? a : b).data.subarray(i * n, (i + 1) * n), i * n);
  }
  return a.like(out);
}

// ---------------------------------------------------------------------------------------
// GuidedPrediction builders
// ---------------------------------------------------------------------------------------

/** The unguided result: ε = ε_c and x̂0 (the network's own where it gives one), every weight 1. */
export function conditionalPrediction(pred: Predictions, ctx: GuidanceContext): GuidedPrediction {
  return {
    eps: pred.cond,
    x0: pred.condX0 ?? x0FromEps(ctx.x, pred.cond, ctx.level),
    raw: pred,
    weights: constantWeights(ctx.x.batch, 1),
  };
}

/**
 * A guided result from ε. x̂0 is derived from ε unless the rule supplies its own (APG and
 * thresholding do); `renoiseEps` is only set when a rule re-noises with something else.
 */
export function guidedPrediction(
  ctx: GuidanceContext,
  eps: Tensor,
  raw: Predictions,
  weights: Float64Array,
  extra: { x0?: Tensor; renoiseEps?: Tensor } = {},
): GuidedPrediction {
  const x0 = extra.x0 ?? x0FromEps(ctx.x, eps, ctx.level);
  return extra.renoiseEps
    ? { eps, x0, renoiseEps: extra.renoiseEps, raw, weights }
    : { eps, x0, raw, weights };
}

// ---------------------------------------------------------------------------------------
// Option validation (shared by every rule so the messages read alike)
// ---------------------------------------------------------------------------------------

/** A finite number, else InvalidOptionError naming the option. */
export function checkFinite(rule: string, name: string, value: number): number {
  if (typeof value !== 'number' || !Number.isFinite(value)) {
    throw new InvalidOptionError(`${rule}: option '${name}' must be a finite number, got ${value}`);
  }
  return value;
}

/**
 * A number in a range; `lo`/`hi` are inclusive unless `open` says otherwise. Infinity is
 * accepted only when the range allows it (hi = Infinity, not open).
 */
export function checkRange(
  rule: string,
  name: string,
  value: number,
  lo: number,
  hi: number,
  open: { lo?: boolean; hi?: boolean } = {},
): number {
  const ok =
    typeof value === 'number' &&
    !Number.isNaN(value) &&
    (open.lo ? value > lo : value >= lo) &&
    (open.hi ? value < hi : value <= hi);
  if (!ok) {
    const range = `${open.lo ? '(' : '['}${lo}, ${hi}${open.hi ? ')' : ']'}`;
    throw new InvalidOptionError(`${rule}: option '${name}' must be in ${range}, got ${value}`);
  }
  return value;
}

/** A non-negative integer. */
export function checkCount(rule: string, name: string, value: number): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0) {
    throw new InvalidOptionError(
      `${rule}: option '${name}' must be a non-negative integer, got ${value}`,
    );
  }
  return value;
}
