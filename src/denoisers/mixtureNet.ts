import { feed, OnnxSession, type Signature, loadSession } from '../backends/onnx.js';
import type { Denoiser, PredictionRequest, Predictions } from '../core/denoiser.js';
import { ShapeError } from '../core/errors.js';
import type { NoiseLevel } from '../core/noiseLevel.js';
import { concatBatch, Tensor } from '../core/tensor.js';

/**
 * A trained ε-network for a mixture problem ("model": {"kind": "onnx"}): inputs `sample`
 * float32 [B, dim], `timestep` float32 [B], `class_labels` int64 [B] (the class index, or
 * the number of classes for the unconditional, label-dropped input) → `out_sample` [B, dim].
 */
export const MIXTURE_NET_SIGNATURE: Signature = {
  inputs: [
    { name: 'sample', types: ['float32'], ranks: [2] },
    { name: 'timestep', types: ['float32', 'int64'], ranks: [0, 1] },
    { name: 'class_labels', types: ['int64', 'int32'], ranks: [1] },
  ],
  outputs: [{ name: 'out_sample', types: ['float32'], ranks: [2] }],
};

export class MixtureNetDenoiser implements Denoiser {
  readonly itemShape: readonly number[];

  private constructor(
    private readonly session: OnnxSession,
    dim: number,
    private readonly target: number,
    private readonly nullLabel: number,
  ) {
    this.itemShape = [dim];
  }

  /** Load the network of a problem: `numClasses` is also the unconditional label. */
  static async load(
    path: string,
    dim: number,
    target: number,
    numClasses: number,
  ): Promise<MixtureNetDenoiser> {
    return new MixtureNetDenoiser(
      await loadSession(path, 'mixture network', MIXTURE_NET_SIGNATURE, { threads: 1 }),
      dim,
      target,
      numClasses,
    );
  }

  async predict(x: Tensor, level: NoiseLevel, request: PredictionRequest): Promise<Predictions> {
    const b = x.batch;
    if (x.itemSize !== this.itemShape[0])
      throw new ShapeError(
        `mixture network: samples of ${x.itemSize} values, the problem is ${this.itemShape[0]}-D`,
      );
    // 'both' is one batched call: [uncond; cond].
    const input = request === 'both' ? concatBatch([x, x]) : x;
    const n = input.batch;
    const labels = Array.from({ length: n }, (_, i) =>
      request === 'both' && i < b ? this.nullLabel : this.target,
    );
    const t = this.session.input('timestep')!;
    const tDims = t.shape.length === 0 ? [] : [n];
    const out = await this.session.run(
      {
        sample: feed(this.session.input('sample')!, input.data, input.shape),
        timestep: feed(t, new Array<number>(tDims[0] ?? 1).fill(level.timestep), tDims),
        class_labels: feed(this.session.input('class_labels')!, labels, [n]),
      },
      ['out_sample'],
    );
    const eps = new Tensor(out.out_sample.data, input.shape);
    return request === 'both'
      ? { uncond: eps.sliceBatch(0, b), cond: eps.sliceBatch(b, 2 * b) }
      : { cond: eps };
  }

  release(): Promise<void> {
    return this.session.release();
  }
}
