/**
 * Load a text-to-image model folder: check every file is there, parse the configs, load the
 * networks, then check that they fit together (embedding width, token count, latent
 * channels), so that a mismatched folder fails at load and not in the middle of sampling.
 */
import type { SessionOptions } from '../backends/onnx.js';
import { ModelSignatureError } from '../core/errors.js';
import { parseSchedulerConfig, type ScheduleConfig } from '../schedules/config.js';
import { inspectModelFolder, readJsonFile, type ModelFolder } from './folder.js';
import { TextEncoderModel } from './textEncoder.js';
import { PromptTokenizer } from './tokenizer.js';
import { UnetModel } from './unet.js';
import { VaeDecoderModel } from './vaeDecoder.js';
import { VaeEncoderModel } from './vaeEncoder.js';

export interface TextToImageModel {
  readonly folder: ModelFolder;
  readonly schedule: ScheduleConfig;
  readonly tokenizer: PromptTokenizer;
  readonly textEncoder: TextEncoderModel;
  readonly unet: UnetModel;
  /** Absent for a pixel-space model: the sample itself is the image in [-1, 1]. */
  readonly vae?: VaeDecoderModel;
  /** A latent model's encoder (vae_encoder/), for image-to-image and inpainting. */
  readonly vaeEncoder?: VaeEncoderModel;
  /**
   * An inpainting UNet (diffusers' StableDiffusionInpaintPipeline layout): it reads the
   * sample, the mask and the masked image's latents (4 + 1 + 4 = 9 channels for SD).
   */
  readonly inpainting: boolean;
  release(): Promise<void>;
}

export interface LoadModelOptions extends SessionOptions {
  /** Receives warnings (unknown scheduler keys …). Default: console.warn. */
  readonly warn?: (message: string) => void;
}

/** The inpainting layout: the sample's C channels, then a mask and C masked-image channels. */
export function isInpaintingUnet(
  unet: Pick<UnetModel, 'itemShape' | 'conditionChannels'>,
): boolean {
  return unet.conditionChannels === unet.itemShape[0] + 1;
}

function mismatch(what: string, a: number | undefined, b: number | undefined): string | undefined {
  return a !== undefined && b !== undefined && a !== b ? `${what}: ${a} ≠ ${b}` : undefined;
}

/** Load a text-to-image folder: its path, or the `inspectModelFolder` result of a caller that checked it already. */
export async function loadTextToImageModel(
  dir: string | ModelFolder,
  opts: LoadModelOptions = {},
): Promise<TextToImageModel> {
  const folder = typeof dir === 'string' ? await inspectModelFolder(dir) : dir;
  const schedule = parseSchedulerConfig(await readJsonFile(folder.schedulerConfig), {
    warn: opts.warn,
  });
  const loaded: { release(): Promise<void> }[] = [];
  const keep = <T extends { release(): Promise<void> }>(m: T): T => (loaded.push(m), m);
  try {
    // inspectModelFolder requires the text side for text-to-image.
    const textEncoder = keep(await TextEncoderModel.load(folder.textEncoder!, opts));
    const unet = keep(await UnetModel.load(folder.unet, folder.unetConfig, opts));
    const vae = folder.vaeDecoder
      ? keep(await VaeDecoderModel.load(folder.vaeDecoder, folder.vaeDecoderConfig!, opts))
      : undefined;
    const vaeEncoder = folder.vaeEncoder
      ? keep(await VaeEncoderModel.load(folder.vaeEncoder, folder.vaeEncoderConfig!, opts))
      : undefined;
    const [ctxTokens, ctxHidden] = unet.contextShape;
    const inpainting = isInpaintingUnet(unet);
    const tokenizer = await PromptTokenizer.load(folder, textEncoder.seqLength ?? ctxTokens);
    const problems = [
      unet.needsClassLabels
        ? 'the UNet needs class_labels (an x4-upscaler UNet, not text-to-image)'
        : undefined,
      unet.conditionChannels > 0 && !inpainting
        ? `the UNet reads ${unet.conditionChannels} condition channel(s) besides the sample (an upscaler, not text-to-image)`
        : undefined,
      unet.needsContext ? undefined : 'the UNet has no encoder_hidden_states input',
      mismatch(
        'text encoder width vs UNet encoder_hidden_states width',
        textEncoder.hidden,
        ctxHidden,
      ),
      mismatch(
        'tokens per prompt vs UNet encoder_hidden_states length',
        tokenizer.maxLength,
        ctxTokens,
      ),
      mismatch(
        'VAE latent channels vs UNet sample channels',
        vae?.latentChannels,
        unet.itemShape[0],
      ),
    ].filter((p): p is string => p !== undefined);
    if (problems.length > 0) {
      throw new ModelSignatureError(
        `model folder ${folder.dir} does not fit together: ${problems.join('; ')}`,
      );
    }
    return {
      folder,
      schedule,
      tokenizer,
      textEncoder,
      unet,
      vae,
      vaeEncoder,
      inpainting,
      release: async () => {
        for (const m of loaded) await m.release();
      },
    };
  } catch (err) {
    for (const m of loaded) await m.release().catch(() => undefined);
    throw err;
  }
}
