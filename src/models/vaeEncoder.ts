/**
 * The VAE encoder of a latent model (image-to-image, inpainting): image in [-1, 1] → latents,
 * multiplied by the scaling factor as diffusers does. The export's `latent_sample` is taken
 * as it comes (the ONNX exports of diffusers' and Olive's scripts return the posterior's sample
 * or mean there; either way no noise is drawn here).
 */
import {
  OnnxSession,
  staticDim,
  feed,
  type SessionOptions,
  type Signature,
  loadSession,
} from '../backends/onnx.js';
import { ModelFolderError, ShapeError } from '../core/errors.js';
import { readJsonFile } from './folder.js';
import { Tensor, assertFinite } from '../core/tensor.js';
import { scalingFactor } from './vaeDecoder.js';

export const VAE_ENCODER_SIGNATURE: Signature = {
  inputs: [{ name: 'sample', types: ['float32'], ranks: [4] }],
  outputs: [{ name: 'latent_sample', types: ['float32'], ranks: [4] }],
};

/**
 * Image pixels per latent pixel, as diffusers computes it from the VAE's config:
 * 2^(len(block_out_channels) − 1) (8 for SD). Undefined when the config does not say.
 */
async function downscaleFactor(configPath: string): Promise<number | undefined> {
  const cfg = (await readJsonFile(configPath)) as Record<string, unknown>;
  const blocks = cfg?.block_out_channels;
  if (blocks === undefined) return undefined;
  if (!Array.isArray(blocks) || blocks.length < 1 || blocks.length > 8) {
    throw new ModelFolderError(
      `${configPath}: block_out_channels must be a list of 1 to 8 entries, got ${JSON.stringify(blocks)}`,
    );
  }
  return 2 ** (blocks.length - 1);
}

export class VaeEncoderModel {
  private constructor(
    private readonly session: OnnxSession,
    readonly scalingFactor: number,
    /** Image pixels per latent pixel, where the config says (block_out_channels). */
    readonly downscale: number | undefined,
  ) {}

  static async load(
    path: string,
    configPath: string,
    opts: SessionOptions = {},
  ): Promise<VaeEncoderModel> {
    const sf = await scalingFactor(configPath);
    const factor = await downscaleFactor(configPath);
    return new VaeEncoderModel(
      await loadSession(path, 'vae_encoder', VAE_ENCODER_SIGNATURE, opts),
      sf,
      factor,
    );
  }

  /** Image channels, where the export fixes them. */
  get imageChannels(): number | undefined {
    return staticDim(this.session.input('sample')!, 1);
  }

  /** Encode images [B, C, H, W] in [-1, 1] to scaled latents. */
  async encode(image: Tensor): Promise<Tensor> {
    const info = this.session.input('sample')!;
    const out = (
      await this.session.run({ sample: feed(info, image.data, image.shape) }, ['latent_sample'])
    ).latent_sample;
    if (out.dims.length !== 4 || out.dims[0] !== image.batch) {
      throw new ShapeError(
        `vae_encoder returned [${out.dims.join(', ')}] for images [${image.shape.join(', ')}]`,
      );
    }
    const latents = new Tensor(
      out.data.map((v) => v * this.scalingFactor),
      out.dims,
    );
    assertFinite(latents, `vae_encoder output (${this.session.path})`);
    return latents;
  }

  release(): Promise<void> {
    return this.session.release();
  }
}
