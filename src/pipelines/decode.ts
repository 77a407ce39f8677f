/** From the sampler's final sample to an image in [0, 1]. */
import { AbortedError } from '../core/errors.js';
import type { VaeDecoderModel } from '../models/vaeDecoder.js';
import { Tensor, concatBatch } from '../core/tensor.js';

/** diffusers' postprocessing: clamp(x/2 + 0.5, 0, 1). */
export function toUnitRange(x: Tensor): Tensor {
  return x.like(x.data.map((v) => Math.min(1, Math.max(0, v / 2 + 0.5))));
}

/**
 * Images [n, C, H, W] in [0, 1]. Latents go through the VAE one item at a time: the decoder
 * is the memory peak of latent models, and item i then decodes the same whatever n is.
 * Without a VAE (pixel space) the sample is the image in [-1, 1].
 */
export async function decodeImages(
  x: Tensor,
  vae: VaeDecoderModel | undefined,
  signal?: AbortSignal,
): Promise<Tensor> {
  if (!vae) return toUnitRange(x);
  const parts: Tensor[] = [];
  for (let i = 0; i < x.batch; i++) {
    if (signal?.aborted) throw new AbortedError();
    parts.push(toUnitRange(await vae.decode(x.sliceBatch(i, i + 1))));
  }
  return concatBatch(parts);
}
