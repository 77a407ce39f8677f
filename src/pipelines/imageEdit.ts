/**
 * Image-to-image and inpainting on a text-to-image model: the input image as a clean sample
 * (pixels in [-1, 1] for a pixel-space model, the VAE encoder's latents for a latent one),
 * the initial sample made from it and the seed's noise at the level the truncated schedule
 * starts from, and for inpainting the kept region put back after every step (RePaint's
 * replacement, for any UNet) and, for an inpainting UNet, its extra input channels: the mask
 * and the masked image (diffusers' StableDiffusionInpaintPipeline layout).
 */
import { InputImageError, InvalidOptionError, ModelFolderError } from '../core/errors.js';
import type { NoiseLevel } from '../core/noiseLevel.js';
import { Tensor, concatBatch, concatChannels } from '../core/tensor.js';
import { binaryMask, maskOnGrid } from '../image/mask.js';
import type { TextToImageModel } from '../models/load.js';
import type { RunStart } from '../run/runner.js';
import { keepUnmasked } from '../transitions/inpaint.js';

/** The image inputs of a run, as the library takes them (the CLI reads them from PNG files). */
export interface EditInputs {
  /** [1, C, H, W] in [0, 1], the model's image size and channels. */
  readonly initImage?: Tensor;
  /** [1, C, H, W] in [0, 1] at the image's size; white (mean over channels ≥ ½) = repaint. */
  readonly mask?: Tensor;
}

/** How a run uses the input image. */
export type EditMode = 'image-to-image' | 'inpainting (replacement)' | 'inpainting (UNet)';

/** A prepared edit: the clean input, the mask on the sample's grid, the UNet's extra channels. */
export interface PreparedEdit {
  readonly mode: EditMode;
  /** The input as a clean sample [1, C, h, w]. */
  readonly x0: Tensor;
  /** Binary [1, 1, h, w] on the sample's grid (1 = repaint), for inpainting. */
  readonly mask?: Tensor;
  /** For an inpainting UNet: mask and masked-image channels [1, 1 + C, h, w]. */
  readonly unetImage?: Tensor;
}

/**
 * [C, H, W] of the images a model edits: the sample itself for a pixel-space model; for a
 * latent one, the sample grid times the VAE's downscale factor, when its config gives it.
 */
export function editImageShape(model: TextToImageModel): readonly number[] | undefined {
  const [c, h, w] = model.unet.itemShape;
  if (!model.vae) return [c, h, w];
  const f = model.vaeEncoder?.downscale;
  return f === undefined ? undefined : [model.vaeEncoder?.imageChannels ?? 3, h * f, w * f];
}

/** Refuse a request the model cannot serve, before any image is read. */
export function checkEditRequest(
  model: TextToImageModel,
  wants: { readonly initImage: boolean; readonly mask: boolean },
): void {
  if (wants.mask && !wants.initImage) {
    throw new InvalidOptionError('a mask needs an init image: inpainting repaints part of one');
  }
  if (model.inpainting && !(wants.initImage && wants.mask)) {
    throw new InvalidOptionError(
      `${model.folder.dir} is an inpainting model (its UNet reads a mask and a masked image): give an init image and a mask`,
    );
  }
  if (wants.initImage && model.vae && !model.vaeEncoder) {
    throw new ModelFolderError(
      `${model.folder.dir} is a latent model without vae_encoder/: it cannot read an init image`,
    );
  }
}

/** Refuse what cannot be edited, before any work. */
export function checkEditInputs(model: TextToImageModel, inputs: EditInputs): void {
  const { initImage, mask } = inputs;
  checkEditRequest(model, { initImage: initImage !== undefined, mask: mask !== undefined });
  if (!initImage) return;
  const [b, c, h, w] = initImage.shape;
  if (initImage.shape.length !== 4 || b !== 1) {
    throw new InputImageError(
      `the init image must be one image [1, C, H, W], got [${initImage.shape.join(', ')}]`,
    );
  }
  const want = editImageShape(model);
  if (want && (c !== want[0] || h !== want[1] || w !== want[2])) {
    throw new InputImageError(
      `the model edits ${want[2]}×${want[1]} images with ${want[0]} channel(s); the init image is ${w}×${h} with ${c}`,
    );
  }
  if (
    mask &&
    (mask.shape.length !== 4 || mask.batch !== 1 || mask.shape[2] !== h || mask.shape[3] !== w)
  ) {
    throw new InputImageError(
      `the mask [${mask.shape.join(', ')}] is not one image of the init image's ${w}×${h}`,
    );
  }
}

/** Pixels in [0, 1] → [-1, 1], as the model's samples are. */
function toModelRange(image: Tensor): Tensor {
  return image.like(image.data.map((v) => 2 * v - 1));
}

/** An image [1, C, H, W] in [-1, 1] as a clean sample: itself, or its latents. */
async function asSample(model: TextToImageModel, image: Tensor): Promise<Tensor> {
  const x0 = model.vaeEncoder ? await model.vaeEncoder.encode(image) : image;
  const want = model.unet.itemShape;
  if (x0.shape.slice(1).some((d, i) => d !== want[i])) {
    throw new InputImageError(
      `the init image gives a sample of [${x0.shape.slice(1).join(', ')}]; the UNet reads [${want.join(', ')}]`,
    );
  }
  return x0;
}

export async function prepareEdit(
  model: TextToImageModel,
  inputs: EditInputs & { readonly initImage: Tensor },
): Promise<PreparedEdit> {
  checkEditInputs(model, inputs);
  const image = toModelRange(inputs.initImage);
  const x0 = await asSample(model, image);
  if (!inputs.mask) return { mode: 'image-to-image', x0 };
  const pixelMask = binaryMask(inputs.mask);
  const [, , h, w] = x0.shape;
  const mask = maskOnGrid(pixelMask, h, w);
  if (!model.inpainting) return { mode: 'inpainting (replacement)', x0, mask };
  // The masked image is grey (0) where the mask repaints, as diffusers prepares it.
  const plane = pixelMask.data.length;
  const masked = image.like(image.data.map((v, j) => (pixelMask.data[j % plane] === 1 ? 0 : v)));
  const unetImage = concatChannels([mask, await asSample(model, masked)]);
  return { mode: 'inpainting (UNet)', x0, mask, unetImage };
}

/** `t` [1, …] repeated over a batch of n. */
export function repeatBatch(t: Tensor, n: number): Tensor {
  return concatBatch(new Array<Tensor>(n).fill(t));
}

/**
 * The run's start from the seed's noise z: z itself when the whole schedule runs (strength 1,
 * as diffusers' inpainting pipeline does, so that it equals text-to-image), the input itself
 * when none does, a·x0 + s·z at the first level otherwise; and for inpainting the replacement
 * wrapper with the same z.
 */
export function editStart(
  edit: PreparedEdit,
  levels: readonly NoiseLevel[],
  wholeSchedule: boolean,
): (noise: Tensor) => RunStart {
  return (noise) => {
    const x0 = repeatBatch(edit.x0, noise.batch);
    const first = levels[0];
    const x = wholeSchedule
      ? noise
      : levels.length === 1
        ? x0
        : x0.like(x0.data.map((v, j) => first.a * v + first.s * noise.data[j]));
    const wrappers = edit.mask ? [keepUnmasked({ mask: edit.mask, x0, noise })] : [];
    return { x, wrappers };
  };
}
