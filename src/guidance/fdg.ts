/**
 * Frequency-decoupled guidance, FDG (Sadat, Vontobel, Salehi & Weber 2025, "Guidance in the
 * frequency domain enables high-fidelity sampling at low CFG scales", arXiv 2506.19713).
 * The guidance difference is split by a Laplacian pyramid into a low band (global
 * structure, condition alignment — where strong guidance costs diversity and saturates)
 * and a high band (detail and fidelity), and each band gets its own weight:
 *
 *     Δ = ε_c − ε_u,   Δ_low = L(Δ),   Δ_high = Δ − L(Δ)
 *     ε = ε_u + w_low·Δ_low + w_high·Δ_high
 *
 * L is the low band of a (depth + 1)-level Laplacian pyramid: `depth` times Gaussian blur
 * ([1 4 6 4 1]/16 per axis, mirror boundary) and decimation by 2, then `depth` times
 * Burt–Adelson expansion (zero insertion, blur, ×2 per axis) back to full size — the
 * paper's two-level pyramid (and diffusers' FrequencyDecoupledGuidance default) at depth 1.
 * The high band is defined as the remainder, so low + high is the input exactly.
 *
 * The paper applies the split to the denoised estimate x̂0; x̂0 = (x − s·ε)/a is affine in ε
 * with the same x for both predictions and L is linear, so x̂0_u + Σ_b w_b·L_b(x̂0_c − x̂0_u)
 * is the x̂0 of the ε above: working in ε is the same rule.
 *
 * The split runs over the spatial axes of each item: the last two axes ([C, H, W] images,
 * each channel on its own; the [mel, frames] plane of a spectrogram), or the one axis of a
 * 1-D item (mixtures); an axis of length 1 is left alone. Per sample: no batch statistics.
 *
 * Defaults relative to w (diffusers' convention, 1 = no guidance): the paper's recommended
 * pair for Stable Diffusion XL (its Table 8, quoted by diffusers) is w_low = 5, w_high = 10
 * at SDXL's usual CFG scale 5: keep the user's (low) weight for the coarse band and roughly
 * double the guidance for the fine band. Here w_low = w and w_high = 1 + 2·(w − 1) (twice the
 * guidance strength, so w = 1 stays unguided): (5, 9) at w = 5. w_low = w_high = w is CFG,
 * bit for bit.
 */
import type { Predictions } from '../core/denoiser.js';
import { InvalidOptionError } from '../core/errors.js';
import type { Tensor } from '../core/tensor.js';
import { cfgCombine } from './cfg.js';
import {
  checkFinite,
  conditionalPrediction,
  constantWeights,
  guidedPrediction,
} from './combine.js';
import type { GuidanceContext, GuidanceRule, GuidedPrediction } from '../core/guidance.js';

export interface FdgOptions {
  /** The user's weight w (defaults of the band weights derive from it). */
  readonly w: number;
  /** Weight of the low band; default w. */
  readonly wLow?: number;
  /** Weight of the high band; default 1 + 2(w − 1). */
  readonly wHigh?: number;
  /** Pyramid depth of the low band (levels − 1); default 1 (a two-level pyramid). */
  readonly depth?: number;
}

export const FDG_DEFAULTS = { depth: 1 } as const;

/** The band weights FDG uses for a user weight w and the options. */
export function fdgWeights(options: FdgOptions): { wLow: number; wHigh: number } {
  const { w } = options;
  return { wLow: options.wLow ?? w, wHigh: options.wHigh ?? 1 + 2 * (w - 1) };
}

export function fdg(options: FdgOptions): GuidanceRule<undefined> {
  checkFinite('fdg', 'w', options.w);
  const { wLow, wHigh } = fdgWeights(options);
  checkFinite('fdg', 'wLow', wLow);
  checkFinite('fdg', 'wHigh', wHigh);
  const depth = options.depth ?? FDG_DEFAULTS.depth;
  if (!Number.isInteger(depth) || depth < 1 || depth > 16) {
    throw new InvalidOptionError(`fdg: option 'depth' must be an integer in [1, 16], got ${depth}`);
  }
  // The weight the gate and the monitors see: 1 only when neither band is guided.
  const reported = wHigh !== 1 ? wHigh : wLow;
  return {
    name: 'fdg',
    w: options.w,
    describe: () => ({ name: 'fdg', w: options.w, wLow, wHigh, depth }),
    createState: () => undefined,
    weights: (ctx) => constantWeights(ctx.x.batch, reported),
    combine: (pred, weights, ctx) => fdgCombine(pred, weights, ctx, wLow, wHigh, depth),
  };
}

function fdgCombine(
  pred: Predictions,
  weights: Float64Array,
  ctx: GuidanceContext,
  wLow: number,
  wHigh: number,
  depth: number,
): GuidedPrediction {
  if (!pred.uncond) return conditionalPrediction(pred, ctx);
  if (wLow === wHigh) return cfgCombine(pred, constantWeights(ctx.x.batch, wHigh), ctx);
  const u = pred.uncond.data;
  const c = pred.cond.data;
  const shape = pred.cond.shape.slice(1);
  const n = pred.cond.itemSize;
  const out = new Float32Array(u.length);
  const delta = new Float64Array(n);
  for (let i = 0; i < pred.cond.batch; i++) {
    const off = i * n;
    for (let j = 0; j < n; j++) delta[j] = c[off + j] - u[off + j];
    const low = lowPassItem(delta, shape, depth);
    for (let j = 0; j < n; j++) {
      out[off + j] = u[off + j] + wHigh * delta[j] + (wLow - wHigh) * low[j];
    }
  }
  return guidedPrediction(ctx, pred.cond.like(out), pred, weights);
}

/**
 * The low and high bands of every item of a tensor (float64, item-major like `t.data`);
 * high = input − low, so their sum is the input up to one float64 rounding.
 */
export function frequencySplit(
  t: Tensor,
  depth: number = FDG_DEFAULTS.depth,
): { low: Float64Array; high: Float64Array } {
  const n = t.itemSize;
  const shape = t.shape.slice(1);
  const low = new Float64Array(t.data.length);
  const high = new Float64Array(t.data.length);
  const item = new Float64Array(n);
  for (let i = 0; i < t.batch; i++) {
    for (let j = 0; j < n; j++) item[j] = t.data[i * n + j];
    const l = lowPassItem(item, shape, depth);
    for (let j = 0; j < n; j++) {
      low[i * n + j] = l[j];
      high[i * n + j] = item[j] - l[j];
    }
  }
  return { low, high };
}

/**
 * The pyramid low band of one item of shape `shape`: planes over the last two axes (or the
 * one axis of a 1-D item), each filtered on its own.
 */
export function lowPassItem(
  item: Float64Array,
  shape: readonly number[],
  depth: number,
): Float64Array {
  const h = shape.length >= 2 ? shape[shape.length - 2] : 1;
  const w = shape.length >= 1 ? shape[shape.length - 1] : 1;
  const plane = h * w;
  const planes = plane === 0 ? 0 : item.length / plane;
  const out = new Float64Array(item.length);
  for (let p = 0; p < planes; p++) {
    const src = item.subarray(p * plane, (p + 1) * plane);
    out.set(lowPassPlane(src, h, w, depth), p * plane);
  }
  return out;
}

const KERNEL = [1 / 16, 4 / 16, 6 / 16, 4 / 16, 1 / 16];

/** Mirror index (no edge repeat: … 2 1 | 0 1 2 … n−1 | n−2 …). */
function mirror(i: number, n: number): number {
  if (n === 1) return 0;
  const period = 2 * (n - 1);
  const k = ((i % period) + period) % period;
  return k < n ? k : period - k;
}

/** Separable blur of an h×w plane with KERNEL·gain along the axes flagged. */
function blur(
  src: Float64Array,
  h: number,
  w: number,
  alongH: boolean,
  alongW: boolean,
  gain: number,
): Float64Array {
  let cur = src;
  if (alongW && w > 1) {
    const next = new Float64Array(h * w);
    for (let r = 0; r < h; r++) {
      for (let col = 0; col < w; col++) {
        let sum = 0;
        for (let k = -2; k <= 2; k++) sum += KERNEL[k + 2] * cur[r * w + mirror(col + k, w)];
        next[r * w + col] = gain * sum;
      }
    }
    cur = next;
  }
  if (alongH && h > 1) {
    const next = new Float64Array(h * w);
    for (let r = 0; r < h; r++) {
      for (let col = 0; col < w; col++) {
        let sum = 0;
        for (let k = -2; k <= 2; k++) sum += KERNEL[k + 2] * cur[mirror(r + k, h) * w + col];
        next[r * w + col] = gain * sum;
      }
    }
    cur = next;
  }
  return cur;
}

function lowPassPlane(src: Float64Array, h: number, w: number, depth: number): Float64Array {
  // Down: blur, keep the even samples of every axis longer than 1.
  const sizes: [number, number][] = [];
  let cur = src;
  let ch = h;
  let cw = w;
  for (let d = 0; d < depth; d++) {
    const dh = ch > 1;
    const dw = cw > 1;
    if (!dh && !dw) break;
    const blurred = blur(cur, ch, cw, dh, dw, 1);
    const nh = dh ? Math.ceil(ch / 2) : ch;
    const nw = dw ? Math.ceil(cw / 2) : cw;
    const next = new Float64Array(nh * nw);
    for (let r = 0; r < nh; r++) {
      for (let col = 0; col < nw; col++) {
        next[r * nw + col] = blurred[(dh ? 2 * r : r) * cw + (dw ? 2 * col : col)];
      }
    }
    sizes.push([ch, cw]);
    cur = next;
    ch = nh;
    cw = nw;
  }
  // Up: zero insertion back to the size of each level, blur with gain 2 per expanded axis.
  for (let d = sizes.length - 1; d >= 0; d--) {
    const [th, tw] = sizes[d];
    const uh = th !== ch;
    const uw = tw !== cw;
    const up = new Float64Array(th * tw);
    for (let r = 0; r < ch; r++) {
      for (let col = 0; col < cw; col++) {
        up[(uh ? 2 * r : r) * tw + (uw ? 2 * col : col)] = cur[r * cw + col];
      }
    }
    // Gain 2 per expanded axis keeps a constant's level; applied axis by axis.
    const expandedW = blur(up, th, tw, false, uw, 2);
    cur = blur(expandedW, th, tw, uh, false, 2);
    ch = th;
    cw = tw;
  }
  return cur === src ? new Float64Array(src) : cur;
}
