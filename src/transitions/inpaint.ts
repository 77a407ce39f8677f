/**
 * Inpainting by replacement (RePaint's known-region step, as diffusers does for 4-channel
 * UNets): after every step, the region the mask keeps takes the input noised to the level
 * the step landed on — a·x0 + s·z with the seed's noise z — and at the last step the input
 * itself, so those values come out exactly as they went in. The wrapper goes outermost,
 * around every method's, so it works with every sampler, rule and wrapper.
 */
import { ShapeError } from '../core/errors.js';
import type { NoiseLevel } from '../core/noiseLevel.js';
import type { TransitionWrapper } from '../core/transition.js';
import type { Tensor } from '../core/tensor.js';

export interface KnownRegion {
  /** [1, 1, H, W], 1 = repaint, 0 = keep (binary), on the sample's grid. */
  readonly mask: Tensor;
  /** The input as a clean sample, [n, C, H, W]. */
  readonly x0: Tensor;
  /** The seed's noise, [n, C, H, W]: the same that made the initial sample. */
  readonly noise: Tensor;
}

/** The kept region at `level` (the input itself at the final level). */
function keptAt(region: KnownRegion, level: NoiseLevel, final: boolean): Float32Array {
  const { x0, noise } = region;
  if (final) return x0.data;
  const out = new Float32Array(x0.data.length);
  for (let j = 0; j < out.length; j++) out[j] = level.a * x0.data[j] + level.s * noise.data[j];
  return out;
}

/** Blend `x` with the kept region: mask·x + (1 − mask)·kept, per channel and item. */
function blend(x: Tensor, mask: Tensor, kept: Float32Array): Tensor {
  const plane = mask.data.length;
  const out = new Float32Array(x.data.length);
  for (let j = 0; j < out.length; j++) out[j] = mask.data[j % plane] === 1 ? x.data[j] : kept[j];
  return x.like(out);
}

export function keepUnmasked(region: KnownRegion): TransitionWrapper {
  const [, c, h, w] = region.x0.shape;
  const [mb, mc, mh, mw] = region.mask.shape;
  if (mb !== 1 || mc !== 1 || mh !== h || mw !== w) {
    throw new ShapeError(
      `inpainting: mask [${region.mask.shape.join(', ')}] is not [1, 1, ${h}, ${w}] for samples of [${c}, ${h}, ${w}]`,
    );
  }
  return (inner) => async (ctx) => {
    const result = await inner(ctx);
    const kept = keptAt(region, ctx.to, ctx.i + 1 === ctx.numSteps);
    // The kept region is not the landing of the step's clean estimate: not deterministic.
    return { ...result, x: blend(result.x, region.mask, kept), deterministic: false };
  };
}
