/** The UNet network: (sample, timestep, prompt embeddings[, class labels]) → out_sample. */
import {
  OnnxSession,
  feed,
  staticDim,
  type SessionOptions,
  type Signature,
  loadSession,
} from '../backends/onnx.js';
import { ModelFolderError, ModelSignatureError, ShapeError } from '../errors.js';
import { Tensor } from '../tensor/tensor.js';
import { readJsonFile } from './folder.js';

/**
 * diffusers' UNet2DConditionModel as exported by optimum or the old diffusers script:
 * `timestep` is float32 [] (optimum ≥ 1.24) or int64 [B] (earlier); class_labels only in
 * the x4 upscaler.
 */
export const UNET_SIGNATURE: Signature = {
  inputs: [
    { name: 'sample', types: ['float32'], ranks: [4] },
    { name: 'timestep', types: ['float32', 'int64', 'int32'], ranks: [0, 1] },
    { name: 'encoder_hidden_states', types: ['float32'], ranks: [3] },
    { name: 'class_labels', types: ['int64', 'int32'], ranks: [1], optional: true },
  ],
  outputs: [{ name: 'out_sample', types: ['float32'], ranks: [4] }],
};

/** [C, H, W] of one sample: fixed by the export, or read from unet/config.json. */
async function itemShapeOf(
  session: OnnxSession,
  configPath: string | undefined,
): Promise<number[]> {
  const info = session.input('sample')!;
  const dims = [1, 2, 3].map((a) => staticDim(info, a));
  if (dims.every((d) => d !== undefined)) return dims as number[];
  const cfg = configPath ? ((await readJsonFile(configPath)) as Record<string, unknown>) : {};
  const channels = dims[0] ?? cfg.in_channels;
  const size = cfg.sample_size;
  const h = dims[1] ?? (Array.isArray(size) ? size[0] : size);
  const w = dims[2] ?? (Array.isArray(size) ? size[1] : size);
  const shape = [channels, h, w];
  if (!shape.every((d) => typeof d === 'number' && Number.isInteger(d) && d > 0)) {
    throw new ModelFolderError(
      `unet: the export leaves the sample size dynamic ([${info.shape.join(', ')}]) and unet/config.json gives no in_channels/sample_size`,
    );
  }
  return shape as number[];
}

export class UnetModel {
  /** Milliseconds spent inside the network (for the sampler-overhead figure). */
  networkMs = 0;

  private constructor(
    private readonly session: OnnxSession,
    /** [C, H, W] of one sample. */
    readonly itemShape: readonly number[],
  ) {}

  static async load(
    path: string,
    configPath?: string,
    opts: SessionOptions = {},
  ): Promise<UnetModel> {
    const session = await loadSession(path, 'unet', UNET_SIGNATURE, opts);
    try {
      const itemShape = await itemShapeOf(session, configPath);
      const out = session.output('out_sample')!;
      const clash = [1, 2, 3].filter((a) => {
        const d = staticDim(out, a);
        return d !== undefined && d !== itemShape[a - 1];
      });
      if (clash.length > 0) {
        throw new ModelSignatureError(
          `unet (${path}): out_sample [${out.shape.join(', ')}] does not have the shape of sample [B, ${itemShape.join(', ')}]`,
        );
      }
      return new UnetModel(session, itemShape);
    } catch (err) {
      await session.release();
      throw err;
    }
  }

  /** Embedding [S, H] the UNet cross-attends to, where the export fixes it. */
  get contextShape(): readonly (number | undefined)[] {
    const info = this.session.input('encoder_hidden_states')!;
    return [staticDim(info, 1), staticDim(info, 2)];
  }

  get needsClassLabels(): boolean {
    return this.session.input('class_labels') !== undefined;
  }

  /** The timestep dtype and rank the export declares, e.g. "float32 []" or "int64 [steps]". */
  get timestepKind(): string {
    const info = this.session.input('timestep')!;
    return `${info.type} [${info.shape.join(', ')}]`;
  }

  /**
   * One network call. The timestep is cast to the declared dtype (rounded for integer
   * exports, so fractional Karras timesteps are read at the nearest integer) and given as a
   * scalar or one value per item, as declared.
   */
  async run(
    sample: Tensor,
    timestep: number,
    context: Tensor,
    classLabels?: readonly number[],
  ): Promise<Tensor> {
    const b = sample.batch;
    if (context.batch !== b) {
      throw new ShapeError(`unet: ${b} samples but ${context.batch} prompt embeddings`);
    }
    const tInfo = this.session.input('timestep')!;
    const tDims = tInfo.shape.length === 0 ? [] : [staticDim(tInfo, 0) === 1 ? 1 : b];
    const feeds = {
      sample: feed(this.session.input('sample')!, sample.data, sample.shape),
      timestep: feed(tInfo, new Array<number>(tDims[0] ?? 1).fill(timestep), tDims),
      encoder_hidden_states: feed(
        this.session.input('encoder_hidden_states')!,
        context.data,
        context.shape,
      ),
      ...(this.needsClassLabels
        ? {
            class_labels: feed(
              this.session.input('class_labels')!,
              classLabels ?? requireLabels(),
              [b],
            ),
          }
        : {}),
    };
    const t0 = performance.now();
    const out = (await this.session.run(feeds, ['out_sample'])).out_sample;
    this.networkMs += performance.now() - t0;
    if (out.dims.length !== sample.shape.length || out.dims.some((d, i) => d !== sample.shape[i])) {
      throw new ShapeError(
        `unet: out_sample is [${out.dims.join(', ')}] for a sample of [${sample.shape.join(', ')}]`,
      );
    }
    return new Tensor(out.data, sample.shape);
  }

  release(): Promise<void> {
    return this.session.release();
  }
}

function requireLabels(): never {
  throw new ModelSignatureError(
    'unet: this export needs class_labels (an x4-upscaler UNet); none were given',
  );
}
