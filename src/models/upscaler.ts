/**
 * Load an upscaler folder in the layout of diffusers' StableDiffusionUpscalePipeline (the
 * x4 upscaler): a UNet that reads the sample and the low-res image concatenated on channels
 * and the low-res noise level as `class_labels`; `low_res_scheduler` for that noise; an
 * optional text side (the x4 upscaler has one, guidance is then on the prompt, as diffusers
 * does); an optional VAE.
 *
 * Two geometries, told apart by the VAE:
 * - latent (with vae_decoder): the UNet works at the low-res size and the low-res image joins
 *   it unresized; the VAE enlarges by `upscale_factor` (model_index.json; 4 if absent).
 * - pixel (no VAE, the embedded model): the UNet works at the output size, the low-res image
 *   is brought to it by bicubic upsampling (image/resize.ts) by `upscale_factor`, which
 *   model_index.json must then give.
 */
import { ModelFolderError, ModelSignatureError } from '../core/errors.js';
import { parseSchedulerConfig, type ScheduleConfig } from '../schedules/config.js';
import { inspectModelFolder, readJsonFile, type ModelFolder } from './folder.js';
import type { LoadModelOptions } from './load.js';
import { TextEncoderModel } from './textEncoder.js';
import { PromptTokenizer } from './tokenizer.js';
import { UnetModel } from './unet.js';
import { VaeDecoderModel } from './vaeDecoder.js';

/** diffusers' StableDiffusionUpscalePipeline default. */
export const DEFAULT_MAX_NOISE_LEVEL = 350;

export interface UpscalerModel {
  readonly folder: ModelFolder;
  readonly schedule: ScheduleConfig;
  /** How the low-res input is noised before the UNet reads it (noise augmentation). */
  readonly lowResSchedule: ScheduleConfig;
  /** Highest noise level (class label) the model was trained with. */
  readonly maxNoiseLevel: number;
  readonly unet: UnetModel;
  readonly vae?: VaeDecoderModel;
  /** The text side, when the folder has one (guidance is then on the prompt). */
  readonly tokenizer?: PromptTokenizer;
  readonly textEncoder?: TextEncoderModel;
  /** [C, h, w] of the low-res input. */
  readonly inputShape: readonly number[];
  /** [C, H, W] of the output image. */
  readonly outputShape: readonly number[];
  readonly factor: number;
  /** Whether the low-res image is bicubic-upsampled to the UNet's size (pixel models). */
  readonly upsampleCondition: boolean;
  release(): Promise<void>;
}

function indexInteger(folder: ModelFolder, key: string, fallback?: number): number {
  const v = folder.index[key] ?? fallback;
  if (v === undefined) {
    throw new ModelFolderError(`${folder.dir}/model_index.json: "${key}" is required here`);
  }
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 0) {
    throw new ModelFolderError(
      `${folder.dir}/model_index.json: "${key}" must be a non-negative integer, got ${JSON.stringify(v)}`,
    );
  }
  return v;
}

/** What makes a loaded folder unusable as an upscaler (empty when it is usable). */
function upscalerProblems(
  unet: UnetModel,
  vae: VaeDecoderModel | undefined,
  textEncoder: TextEncoderModel | undefined,
  factor: number,
): string[] {
  const channels = unet.conditionChannels;
  const [latentChannels, h, w] = unet.itemShape;
  return [
    channels === 1 || channels === 3
      ? undefined
      : `the UNet reads ${channels} channel(s) besides the sample; an upscaler reads a 1- or 3-channel low-res image`,
    factor >= 1 ? undefined : 'upscale_factor must be ≥ 1',
    unet.needsContext && !textEncoder
      ? 'the UNet needs encoder_hidden_states but the folder has no text_encoder'
      : undefined,
    !unet.needsContext && textEncoder
      ? 'the folder has a text_encoder but the UNet has no encoder_hidden_states'
      : undefined,
    vae?.latentChannels !== undefined && vae.latentChannels !== latentChannels
      ? `VAE latent channels ${vae.latentChannels} ≠ UNet output channels ${latentChannels}`
      : undefined,
    !vae && latentChannels !== channels
      ? `a pixel-space upscaler predicts the image: UNet output channels ${latentChannels} ≠ image channels ${channels}`
      : undefined,
    !vae && factor >= 1 && (h % factor !== 0 || w % factor !== 0)
      ? `the UNet's ${h}×${w} is not a multiple of upscale_factor ${factor}`
      : undefined,
  ].filter((p): p is string => p !== undefined);
}

export async function loadUpscalerModel(
  dir: string,
  opts: LoadModelOptions = {},
): Promise<UpscalerModel> {
  const folder = await inspectModelFolder(dir, 'upscale');
  const parse = async (path: string) =>
    parseSchedulerConfig(await readJsonFile(path), { warn: opts.warn });
  const schedule = await parse(folder.schedulerConfig);
  const lowResSchedule = await parse(folder.lowResSchedulerConfig!);
  const maxNoiseLevel = indexInteger(folder, 'max_noise_level', DEFAULT_MAX_NOISE_LEVEL);
  if (maxNoiseLevel >= lowResSchedule.numTrainTimesteps) {
    throw new ModelFolderError(
      `${folder.dir}: max_noise_level ${maxNoiseLevel} is beyond the low_res_scheduler's ${lowResSchedule.numTrainTimesteps} timesteps`,
    );
  }
  const loaded: { release(): Promise<void> }[] = [];
  const keep = <T extends { release(): Promise<void> }>(m: T): T => (loaded.push(m), m);
  try {
    const unet = keep(await UnetModel.load(folder.unet, folder.unetConfig, opts));
    const vae = folder.vaeDecoder
      ? keep(await VaeDecoderModel.load(folder.vaeDecoder, folder.vaeDecoderConfig!, opts))
      : undefined;
    const textEncoder = folder.textEncoder
      ? keep(await TextEncoderModel.load(folder.textEncoder, opts))
      : undefined;
    const tokenizer = textEncoder
      ? await PromptTokenizer.load(folder, textEncoder.seqLength ?? unet.contextShape[0])
      : undefined;
    const channels = unet.conditionChannels;
    const [, h, w] = unet.itemShape;
    const factor = indexInteger(folder, 'upscale_factor', vae ? 4 : undefined);
    const problems = upscalerProblems(unet, vae, textEncoder, factor);
    if (problems.length > 0) {
      throw new ModelSignatureError(
        `model folder ${folder.dir} is not a usable upscaler: ${problems.join('; ')}`,
      );
    }
    const inputShape = vae ? [channels, h, w] : [channels, h / factor, w / factor];
    const outputShape = vae ? [channels, h * factor, w * factor] : [channels, h, w];
    return {
      folder,
      schedule,
      lowResSchedule,
      maxNoiseLevel,
      unet,
      vae,
      tokenizer,
      textEncoder,
      inputShape,
      outputShape,
      factor,
      upsampleCondition: !vae,
      release: async () => {
        for (const m of loaded) await m.release();
      },
    };
  } catch (err) {
    for (const m of loaded) await m.release().catch(() => undefined);
    throw err;
  }
}
