/**
 * The ONNX backend and the network wrappers on the tiny fixtures: metadata checks at load
 * (each bad file gives its typed error), dtype casting (float32 scalar vs int64 [B] timestep,
 * int64 vs int32 ids — the two fixtures share their weights, so they must agree).
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { feed, signatureProblems, type ValueInfo, loadSession } from '../src/backends/onnx.js';
import {
  ModelFolderError,
  ModelLoadError,
  ModelSignatureError,
  NonFiniteError,
  ShapeError,
} from '../src/core/errors.js';
import { TextEncoderModel } from '../src/models/textEncoder.js';
import { UNET_SIGNATURE, UnetModel } from '../src/models/unet.js';
import { BatchRandom } from '../src/core/random.js';
import { Tensor } from '../src/core/tensor.js';
import { BAD, removeTempDirs, TINY, TINY_INT64, tinyCopy } from './helpers/t2iFixtures.js';

after(removeTempDirs);

const unetPath = (dir: string) => join(dir, 'unet', 'model.onnx');
const encoderPath = (dir: string) => join(dir, 'text_encoder', 'model.onnx');

function maxAbsDiff(a: Float32Array, b: Float32Array): number {
  assert.equal(a.length, b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

describe('feed casts to the declared dtype', () => {
  const info = (type: string, shape: (number | string)[] = ['b']): ValueInfo => ({
    name: 'v',
    type,
    shape,
  });
  it('float32 passes a Float32Array through without a copy', () => {
    const data = new Float32Array([1.5, 2]);
    const f = feed(info('float32'), data, [2]);
    assert.equal(f.type, 'float32');
    assert.equal(f.data, data);
  });
  it('int64 rounds to BigInt64, int32 to Int32', () => {
    assert.deepEqual(Array.from(feed(info('int64'), [499.6, 2], [2]).data as BigInt64Array), [
      500n,
      2n,
    ]);
    assert.deepEqual(Array.from(feed(info('int32'), [7.2], [1]).data as Int32Array), [7]);
  });
  it('rejects dtypes it cannot produce and a wrong value count', () => {
    assert.throws(() => feed(info('float16'), [1], [1]), ModelSignatureError);
    assert.throws(() => feed(info('float32'), [1, 2, 3], [2]), ShapeError);
  });
});

describe('signature checks', () => {
  it('lists every problem, with an fp16 hint', () => {
    const inputs: ValueInfo[] = [
      { name: 'sample', type: 'float16', shape: ['b', 4, 64, 64] },
      { name: 'timestep', type: 'float32', shape: ['b', 1] },
      { name: 'text_embeds', type: 'float32', shape: ['b', 1280] },
    ];
    const problems = signatureProblems(inputs, [], UNET_SIGNATURE);
    assert.ok(problems.some((p) => /sample has dtype float16.*float32/.test(p) && /fp16/.test(p)));
    assert.ok(problems.some((p) => /timestep has rank 2/.test(p)));
    assert.ok(problems.includes('missing output out_sample'));
    assert.ok(problems.some((p) => /unexpected input text_embeds/.test(p)));
    // Optional: class_labels (only the x4 upscaler has it) and encoder_hidden_states (an
    // upscaler may have no text side; the text-to-image loader requires it).
    assert.ok(!problems.some((p) => /class_labels|encoder_hidden_states/.test(p)));
  });
});

describe('loading errors', () => {
  it('missing file → ModelFolderError naming the path', async () => {
    await assert.rejects(loadSession('/no/such/model.onnx', 'unet', UNET_SIGNATURE), (e: Error) => {
      assert.ok(e instanceof ModelFolderError);
      assert.match(e.message, /\/no\/such\/model\.onnx/);
      return true;
    });
  });
  it('corrupted .onnx → ModelLoadError', async () => {
    await assert.rejects(UnetModel.load(join(BAD, 'unet-corrupt.onnx')), (e: Error) => {
      assert.ok(e instanceof ModelLoadError);
      assert.match(e.message, /unet-corrupt\.onnx/);
      return true;
    });
  });
  it('missing external data → ModelLoadError', async () => {
    const dir = await tinyCopy({ 'unet/model.onnx_data': null });
    await assert.rejects(
      UnetModel.load(unetPath(dir)),
      (e: Error) => e instanceof ModelLoadError && /model\.onnx_data/.test(e.message),
    );
  });
  it('wrong input names → ModelSignatureError with expected and found', async () => {
    await assert.rejects(UnetModel.load(join(BAD, 'unet-wrong-names.onnx')), (e: Error) => {
      assert.ok(e instanceof ModelSignatureError);
      assert.match(e.message, /missing input sample/);
      assert.match(e.message, /expected inputs: sample float32 rank 4/);
      assert.match(e.message, /found inputs: x float32 \[batch_size, 1, 28, 28\]/);
      return true;
    });
  });
  it('wrong output shape → ModelSignatureError', async () => {
    await assert.rejects(UnetModel.load(join(BAD, 'unet-wrong-shape.onnx')), (e: Error) => {
      assert.ok(e instanceof ModelSignatureError);
      assert.match(e.message, /out_sample \[batch_size, 1, 14, 14\]/);
      return true;
    });
  });
  it('wrong dtype → ModelSignatureError', async () => {
    await assert.rejects(UnetModel.load(join(BAD, 'unet-wrong-dtype.onnx')), (e: Error) => {
      assert.ok(e instanceof ModelSignatureError);
      assert.match(e.message, /encoder_hidden_states has dtype float64, expected float32/);
      return true;
    });
  });
  it('a text encoder that outputs NaN → NonFiniteError', async () => {
    const enc = await TextEncoderModel.load(join(BAD, 'text-encoder-nan.onnx'));
    try {
      await assert.rejects(enc.encode([new Array<number>(16).fill(0)]), NonFiniteError);
    } finally {
      await enc.release();
    }
  });
});

describe('timestep and id dtypes (the two fixtures share their weights)', () => {
  it('reads the declared timestep kinds', async () => {
    const a = await UnetModel.load(unetPath(TINY));
    const b = await UnetModel.load(unetPath(TINY_INT64));
    try {
      assert.equal(a.timestepKind, 'float32 []');
      assert.equal(b.timestepKind, 'int64 [steps]');
      assert.deepEqual(a.itemShape, [1, 28, 28]);
      assert.deepEqual(a.contextShape, [16, 8]);
    } finally {
      await a.release();
      await b.release();
    }
  });

  it('float32 scalar and int64 [B] timesteps give the same output; integer exports round', async () => {
    const a = await UnetModel.load(unetPath(TINY));
    const b = await UnetModel.load(unetPath(TINY_INT64));
    try {
      const x = new BatchRandom(3, 3).normal([3, 1, 28, 28]);
      const ctx = new BatchRandom(4, 3).normal([3, 16, 8]);
      const outA = await a.run(x, 500, ctx);
      const outB = await b.run(x, 500, ctx);
      assert.deepEqual(outA.shape, [3, 1, 28, 28]);
      assert.ok(maxAbsDiff(outA.data, outB.data) < 1e-6);
      // 500.4 reaches the int64 export as 500; the float export sees 500.4 (a different output).
      const outB2 = await b.run(x, 500.4, ctx);
      assert.ok(maxAbsDiff(outB.data, outB2.data) === 0);
      const outA2 = await a.run(x, 500.4, ctx);
      assert.ok(maxAbsDiff(outA.data, outA2.data) > 0);
    } finally {
      await a.release();
      await b.release();
    }
  });

  it('int64 and int32 input_ids give the same embeddings', async () => {
    const a = await TextEncoderModel.load(encoderPath(TINY));
    const b = await TextEncoderModel.load(encoderPath(TINY_INT64));
    try {
      const ids = [
        [2, 4, 18, 15, 3, ...new Array<number>(11).fill(0)],
        [2, 3, ...new Array<number>(14).fill(0)],
      ];
      const ea = await a.encode(ids);
      const eb = await b.encode(ids);
      assert.deepEqual(ea.shape, [2, 16, 8]);
      assert.ok(maxAbsDiff(ea.data, eb.data) < 1e-7);
      assert.equal(a.seqLength, 16);
      assert.equal(a.hidden, 8);
    } finally {
      await a.release();
      await b.release();
    }
  });

  it('a batch mismatch between sample and context is a ShapeError', async () => {
    const a = await UnetModel.load(unetPath(TINY));
    try {
      await assert.rejects(
        a.run(Tensor.zeros([2, 1, 28, 28]), 10, Tensor.zeros([1, 16, 8])),
        ShapeError,
      );
    } finally {
      await a.release();
    }
  });
});
