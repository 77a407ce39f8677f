/**
 * Super-resolution, as diffusers' StableDiffusionUpscalePipeline: noise the low-res image at
 * the chosen noise level with the folder's low_res_scheduler (noise augmentation, given to
 * the UNet as class_labels), bring it to the UNet's size where the model is pixel-space, and
 * sample the output with the low-res image concatenated to every UNet input.
 *
 * Classifier-free guidance contrasts the two sides the model was trained with: with a text
 * side, the prompt against the empty prompt (the low-res image on both, as diffusers does);
 * without one (the embedded model), the low-res image against the null condition — an
 * all-zero condition image, which is what training's condition dropout fed the UNet.
 */
import { InputImageError, InvalidOptionError } from '../core/errors.js';
import { bicubicUpsample } from '../image/resize.js';
import type { UpscalerModel } from '../models/upscaler.js';
import type { UnetCondition } from '../denoisers/unetDenoiser.js';
import { alphasCumprod } from '../schedules/discrete.js';
import { BatchRandom } from '../core/random.js';
import { concatBatch, Tensor } from '../core/tensor.js';
import { decodeImages } from './decode.js';
import { batchOf, planRun, sampleUnet, type PipelineOptions, type RunReport } from './run.js';
import { embedPrompts } from './textToImage.js';

/** diffusers' StableDiffusionUpscalePipeline default noise level. */
export const DEFAULT_NOISE_LEVEL = 20;

/**
 * The low-res noise is drawn from this item stream of the seed, which no sample uses (samples
 * use streams 0 … n−1), so the outputs for a seed do not depend on n.
 */
const LOW_RES_STREAM = 2 ** 30;

export interface UpscaleOptions extends PipelineOptions {
  /** Noise added to the low-res image, 0 … the model's max_noise_level. Default 20. */
  readonly noiseLevel?: number;
  /** Prompt, for models with a text side (ignored, with a warning, otherwise). Default "". */
  readonly prompt?: string;
}

export interface UpscaleResult extends RunReport {
  /** [n, C, H, W] in [0, 1]. */
  readonly images: Tensor;
  /** The input bicubic-upsampled to the output size, clamped to [0, 1] (the classic baseline). */
  readonly bicubic: Tensor;
  readonly noiseLevel: number;
  readonly guidedOn: 'prompt' | 'low-res image';
  readonly timings: { sampleMs: number; networkMs: number; decodeMs: number; totalMs: number };
}

/** Throw unless `image` is one input of the size and channels the model reads. */
export function checkLowRes(model: UpscalerModel, image: Tensor): void {
  const [c, h, w] = model.inputShape;
  const [b, ic, ih, iw] = image.shape;
  if (image.shape.length !== 4 || b !== 1) {
    throw new InputImageError(`expected one image [1, C, H, W], got [${image.shape.join(', ')}]`);
  }
  if (ih !== h || iw !== w) {
    throw new InputImageError(
      `the model upscales ${w}×${h} images (to ${model.outputShape[2]}×${model.outputShape[1]}); the input is ${iw}×${ih}`,
    );
  }
  if (ic !== c) {
    throw new InputImageError(`the model reads ${c}-channel images; the input has ${ic}`);
  }
}

export function checkNoiseLevel(model: UpscalerModel, level: number): number {
  if (!Number.isInteger(level) || level < 0 || level > model.maxNoiseLevel) {
    throw new InvalidOptionError(
      `noise level must be an integer in [0, ${model.maxNoiseLevel}] (the model's max_noise_level), got ${level}`,
    );
  }
  return level;
}

/** The UNet's condition image: the low-res input in [-1, 1], noised at `level`, at UNet size. */
function conditionImage(model: UpscalerModel, lowRes: Tensor, level: number, seed: number): Tensor {
  const abar = alphasCumprod(model.lowResSchedule)[level];
  const z = new BatchRandom(seed, 1, LOW_RES_STREAM).normal(lowRes.shape);
  const a = Math.sqrt(abar);
  const s = Math.sqrt(1 - abar);
  const noisy = lowRes.like(lowRes.data.map((v, j) => a * (2 * v - 1) + s * z.data[j]));
  return model.upsampleCondition ? bicubicUpsample(noisy, model.factor) : noisy;
}

export async function upscale(
  model: UpscalerModel,
  lowRes: Tensor,
  opts: UpscaleOptions = {},
): Promise<UpscaleResult> {
  const t0 = performance.now();
  const warn = opts.warn ?? ((m: string) => console.warn(m));
  const { n, seed } = batchOf(opts);
  checkLowRes(model, lowRes);
  const noiseLevel = checkNoiseLevel(model, opts.noiseLevel ?? DEFAULT_NOISE_LEVEL);
  const plan = opts.plan ?? (await planRun(model.schedule, opts));

  const image = conditionImage(model, lowRes, noiseLevel, seed);
  const images = concatBatch(new Array<Tensor>(n).fill(image));
  const labels = model.unet.needsClassLabels ? new Array<number>(n).fill(noiseLevel) : undefined;
  let cond: UnetCondition;
  let uncond: UnetCondition;
  if (model.tokenizer && model.textEncoder) {
    const emb = await embedPrompts(
      { tokenizer: model.tokenizer, textEncoder: model.textEncoder },
      opts.prompt ?? '',
      warn,
    );
    cond = { context: emb.cond, image: images, classLabels: labels };
    uncond = { context: emb.uncond, image: images, classLabels: labels };
  } else {
    if (opts.prompt) warn('this upscaler has no text side: the prompt is ignored');
    cond = { image: images, classLabels: labels };
    uncond = { image: images.like(new Float32Array(images.data.length)), classLabels: labels };
  }
  const run = await sampleUnet(model, plan, { cond, uncond }, opts);
  const tDecode = performance.now();
  const out = await decodeImages(run.x, model.vae, opts.signal);
  const decodeMs = performance.now() - tDecode;
  const bicubic = bicubicUpsample(lowRes, model.factor);
  return {
    ...run.report,
    images: out,
    bicubic: bicubic.like(bicubic.data.map((v) => Math.min(1, Math.max(0, v)))),
    noiseLevel,
    guidedOn: model.textEncoder ? 'prompt' : 'low-res image',
    timings: {
      sampleMs: run.sampleMs,
      networkMs: run.networkMs,
      decodeMs,
      totalMs: performance.now() - t0,
    },
  };
}
