/** The VAE decoder of a latent model: latents → image in about [-1, 1]. */
import {
  OnnxSession,
  staticDim,
  feed,
  type SessionOptions,
  type Signature,
  loadSession,
} from '../backends/onnx.js';
import { ModelFolderError, ShapeError } from '../core/errors.js';
import { Tensor, assertFinite } from '../core/tensor.js';
import { readJsonFile } from './folder.js';

export const VAE_DECODER_SIGNATURE: Signature = {
  inputs: [{ name: 'latent_sample', types: ['float32'], ranks: [4] }],
  outputs: [{ name: 'sample', types: ['float32'], ranks: [4] }],
};

/** vae_decoder/config.json `scaling_factor`: 0.18215 SD1/2, 0.13025 SDXL, 0.08333 the x4 upscaler. */
export async function scalingFactor(configPath: string): Promise<number> {
  const cfg = (await readJsonFile(configPath)) as Record<string, unknown>;
  const sf = cfg?.scaling_factor;
  if (typeof sf !== 'number' || !(sf > 0) || !Number.isFinite(sf)) {
    throw new ModelFolderError(
      `${configPath}: scaling_factor must be a positive number, got ${JSON.stringify(sf)}`,
    );
  }
  return sf;
}

export class VaeDecoderModel {
  private constructor(
    private readonly session: OnnxSession,
    readonly scalingFactor: number,
  ) {}

  static async load(
    path: string,
    configPath: string,
    opts: SessionOptions = {},
  ): Promise<VaeDecoderModel> {
    const sf = await scalingFactor(configPath);
    return new VaeDecoderModel(
      await loadSession(path, 'vae_decoder', VAE_DECODER_SIGNATURE, opts),
      sf,
    );
  }

  /** Latent channels, where the export fixes them. */
  get latentChannels(): number | undefined {
    return staticDim(this.session.input('latent_sample')!, 1);
  }

  /** Decode one batch of latents (divided by the scaling factor first, as diffusers does). */
  async decode(latents: Tensor): Promise<Tensor> {
    const scaled = latents.data.map((v) => v / this.scalingFactor);
    const info = this.session.input('latent_sample')!;
    const out = (
      await this.session.run({ latent_sample: feed(info, scaled, latents.shape) }, ['sample'])
    ).sample;
    if (out.dims.length !== 4 || out.dims[0] !== latents.batch) {
      throw new ShapeError(
        `vae_decoder returned [${out.dims.join(', ')}] for latents [${latents.shape.join(', ')}]`,
      );
    }
    const image = new Tensor(out.data, out.dims);
    assertFinite(image, `vae_decoder output (${this.session.path})`);
    return image;
  }

  release(): Promise<void> {
    return this.session.release();
  }
}
