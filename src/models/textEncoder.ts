/** The text encoder: token ids [B, S] → prompt embeddings `last_hidden_state` [B, S, H]. */
import {
  OnnxSession,
  feed,
  staticDim,
  type SessionOptions,
  type Signature,
  loadSession,
} from '../backends/onnx.js';
import { ShapeError } from '../core/errors.js';
import { Tensor, assertFinite } from '../core/tensor.js';

/** CLIP as exported by optimum (int64 ids) or the old diffusers script (int32 ids). */
export const TEXT_ENCODER_SIGNATURE: Signature = {
  inputs: [{ name: 'input_ids', types: ['int64', 'int32'], ranks: [2] }],
  outputs: [{ name: 'last_hidden_state', types: ['float32'], ranks: [3] }],
};

export class TextEncoderModel {
  private constructor(private readonly session: OnnxSession) {}

  static async load(path: string, opts: SessionOptions = {}): Promise<TextEncoderModel> {
    return new TextEncoderModel(
      await loadSession(path, 'text_encoder', TEXT_ENCODER_SIGNATURE, opts),
    );
  }

  /** Tokens per prompt when the export fixes it. */
  get seqLength(): number | undefined {
    return staticDim(this.session.input('input_ids')!, 1);
  }

  /** Embedding width when the export fixes it. */
  get hidden(): number | undefined {
    return staticDim(this.session.output('last_hidden_state')!, 2);
  }

  /** Embeddings of equal-length id rows; NaN/Inf in them is an error (a broken export). */
  async encode(rows: readonly (readonly number[])[]): Promise<Tensor> {
    const seq = rows[0].length;
    const ids = rows.flat();
    const info = this.session.input('input_ids')!;
    const out = await this.session.run({ input_ids: feed(info, ids, [rows.length, seq]) }, [
      'last_hidden_state',
    ]);
    const h = out.last_hidden_state;
    if (h.dims.length !== 3 || h.dims[0] !== rows.length || h.dims[1] !== seq) {
      throw new ShapeError(
        `text encoder returned [${h.dims.join(', ')}] for ${rows.length} prompts of ${seq} tokens`,
      );
    }
    const emb = new Tensor(h.data, h.dims);
    assertFinite(emb, `text encoder output (${this.session.path})`);
    return emb;
  }

  release(): Promise<void> {
    return this.session.release();
  }
}
