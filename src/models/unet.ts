/**
 * The UNet network: (sample, timestep[, prompt embeddings][, class labels]) → out_sample.
 * An upscaler's UNet reads more channels than it predicts: the condition image is
 * concatenated to the sample on channels (the x4 upscaler: 4 latent + 3 image = 7).
 */
import {
  OnnxSession,
  feed,
  staticDim,
  type SessionOptions,
  type Signature,
  loadSession,
} from '../backends/onnx.js';
import { ModelFolderError, ModelSignatureError, ShapeError } from '../core/errors.js';
import { Tensor } from '../core/tensor.js';
import { readJsonFile } from './folder.js';

/**
 * diffusers' UNet2DConditionModel as exported by optimum or the old diffusers script:
 * `timestep` is float32 [] (optimum ≥ 1.24) or int64 [B] (earlier); class_labels only in
 * the x4 upscaler; no encoder_hidden_states in an upscaler without a text side.
 */
export const UNET_SIGNATURE: Signature = {
  inputs: [
    { name: 'sample', types: ['float32'], ranks: [4] },
    { name: 'timestep', types: ['float32', 'int64', 'int32'], ranks: [0, 1] },
    { name: 'encoder_hidden_states', types: ['float32'], ranks: [3], optional: true },
    { name: 'class_labels', types: ['int64', 'int32'], ranks: [1], optional: true },
  ],
  outputs: [{ name: 'out_sample', types: ['float32'], ranks: [4] }],
};

/**
 * [C_in, H, W] of the UNet's input and C_out of its prediction: fixed by the export, or
 * read from unet/config.json (in_channels, out_channels, sample_size). C_out defaults to
 * C_in (text-to-image).
 */
async function shapesOf(
  session: OnnxSession,
  configPath: string | undefined,
): Promise<{ input: number[]; outChannels: number }> {
  const info = session.input('sample')!;
  const dims = [1, 2, 3].map((a) => staticDim(info, a));
  const outDim = staticDim(session.output('out_sample')!, 1);
  // Read whenever present, so a broken config.json is refused even where the network's
  // shapes are static and it is not needed.
  const cfg = configPath ? ((await readJsonFile(configPath)) as Record<string, unknown>) : {};
  const channels = dims[0] ?? cfg.in_channels;
  const size = cfg.sample_size;
  const h = dims[1] ?? (Array.isArray(size) ? size[0] : size);
  const w = dims[2] ?? (Array.isArray(size) ? size[1] : size);
  const input = [channels, h, w];
  if (!input.every((d) => typeof d === 'number' && Number.isInteger(d) && d > 0)) {
    throw new ModelFolderError(
      `unet: the export leaves the sample size dynamic ([${info.shape.join(', ')}]) and unet/config.json gives no in_channels/sample_size`,
    );
  }
  const outChannels = outDim ?? cfg.out_channels ?? channels;
  if (
    typeof outChannels !== 'number' ||
    !Number.isInteger(outChannels) ||
    outChannels < 1 ||
    outChannels > (channels as number)
  ) {
    throw new ModelFolderError(
      `unet: out_channels must be an integer in [1, in_channels = ${channels}], got ${JSON.stringify(outChannels)}`,
    );
  }
  return { input: input as number[], outChannels };
}

export class UnetModel {
  /** Milliseconds spent inside the network (for the sampler-overhead figure). */
  networkMs = 0;

  /** One sample's shape, [C_out, H, W]: what the network predicts ε, v or x0 for. */
  readonly itemShape: readonly number[];

  private constructor(
    private readonly session: OnnxSession,
    /** [C_in, H, W] of one input: the sample, then any condition channels. */
    readonly inputShape: readonly number[],
    outChannels: number,
  ) {
    this.itemShape = [outChannels, inputShape[1], inputShape[2]];
  }

  /** Channels of the condition image concatenated to the sample (0 for text-to-image). */
  get conditionChannels(): number {
    return this.inputShape[0] - this.itemShape[0];
  }

  get needsContext(): boolean {
    return this.session.input('encoder_hidden_states') !== undefined;
  }

  static async load(
    path: string,
    configPath?: string,
    opts: SessionOptions = {},
  ): Promise<UnetModel> {
    const session = await loadSession(path, 'unet', UNET_SIGNATURE, opts);
    try {
      const { input, outChannels } = await shapesOf(session, configPath);
      const expected = [outChannels, input[1], input[2]];
      const out = session.output('out_sample')!;
      const clash = [1, 2, 3].filter((a) => {
        const d = staticDim(out, a);
        return d !== undefined && d !== expected[a - 1];
      });
      if (clash.length > 0) {
        throw new ModelSignatureError(
          `unet (${path}): out_sample [${out.shape.join(', ')}] is not [B, ${expected.join(', ')}] for a sample input of [B, ${input.join(', ')}]`,
        );
      }
      return new UnetModel(session, input, outChannels);
    } catch (err) {
      await session.release();
      throw err;
    }
  }

  /** Embedding [S, H] the UNet cross-attends to, where the export fixes it. */
  get contextShape(): readonly (number | undefined)[] {
    const info = this.session.input('encoder_hidden_states');
    return info ? [staticDim(info, 1), staticDim(info, 2)] : [undefined, undefined];
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
    context?: Tensor,
    classLabels?: readonly number[],
  ): Promise<Tensor> {
    const b = sample.batch;
    if (sample.shape.slice(1).some((d, i) => d !== this.inputShape[i])) {
      throw new ShapeError(
        `unet: input [${sample.shape.join(', ')}] is not [B, ${this.inputShape.join(', ')}]`,
      );
    }
    const contextInfo = this.session.input('encoder_hidden_states');
    if (contextInfo && !context) {
      throw new ModelSignatureError('unet: this export needs encoder_hidden_states; none given');
    }
    if (context && context.batch !== b) {
      throw new ShapeError(`unet: ${b} samples but ${context.batch} prompt embeddings`);
    }
    const labelsInfo = this.session.input('class_labels');
    if (labelsInfo && classLabels?.length !== b) {
      throw new ModelSignatureError(
        `unet: this export needs class_labels (an x4-upscaler UNet), one per sample; got ${classLabels?.length ?? 'none'} for ${b}`,
      );
    }
    const tInfo = this.session.input('timestep')!;
    const tDims = tInfo.shape.length === 0 ? [] : [staticDim(tInfo, 0) === 1 ? 1 : b];
    const feeds = {
      sample: feed(this.session.input('sample')!, sample.data, sample.shape),
      timestep: feed(tInfo, new Array<number>(tDims[0] ?? 1).fill(timestep), tDims),
      ...(contextInfo && context
        ? { encoder_hidden_states: feed(contextInfo, context.data, context.shape) }
        : {}),
      ...(labelsInfo && classLabels ? { class_labels: feed(labelsInfo, classLabels, [b]) } : {}),
    };
    const t0 = performance.now();
    const out = (await this.session.run(feeds, ['out_sample'])).out_sample;
    this.networkMs += performance.now() - t0;
    const expected = [b, ...this.itemShape];
    if (out.dims.length !== 4 || out.dims.some((d, i) => d !== expected[i])) {
      throw new ShapeError(
        `unet: out_sample is [${out.dims.join(', ')}], expected [${expected.join(', ')}]`,
      );
    }
    return new Tensor(out.data, expected);
  }

  release(): Promise<void> {
    return this.session.release();
  }
}
