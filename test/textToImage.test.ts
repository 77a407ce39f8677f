/**
 * Model folders, the prompt tokenizer, the UNet denoiser adapter, the text-to-image pipeline
 * and the PNG grid, on the tiny fixtures (random weights: what is tested is plumbing —
 * determinism, batch independence, call counts, conversions, errors — not image quality).
 */
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { PNG } from 'pngjs';
import {
  AbortedError,
  ConfigError,
  DiffierError,
  InvalidOptionError,
  ModelFolderError,
  NonFiniteError,
  ShapeError,
} from '../src/core/errors.js';
import { defaultScale, gridPng } from '../src/image/png.js';
import { clipTokenizerJson, parseMerges } from '../src/models/clipTokenizer.js';
import { embeddedModelDir } from '../src/models/embedded.js';
import { inspectModelFolder } from '../src/models/folder.js';
import { loadTextToImageModel, type TextToImageModel } from '../src/models/load.js';
import { PromptTokenizer } from '../src/models/tokenizer.js';
import { epsFromPrediction } from '../src/denoisers/unetDenoiser.js';
import { noiseLevel } from '../src/core/noiseLevel.js';
import {
  encodePrompt,
  textToImage,
  type TextToImageOptions,
} from '../src/pipelines/textToImage.js';
import { Tensor } from '../src/core/tensor.js';
import {
  BAD,
  removeTempDirs,
  ROOT,
  TINY,
  TINY_INT64,
  TINY_VAE,
  tinyCopy,
} from './helpers/t2iFixtures.js';

const quiet = () => undefined;

function maxAbsDiff(a: Float32Array, b: Float32Array): number {
  assert.equal(a.length, b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

let model: TextToImageModel;
before(async () => {
  model = await loadTextToImageModel(TINY, { warn: quiet });
});
after(async () => {
  await model?.release();
  await removeTempDirs();
});

const run = (opts: Partial<TextToImageOptions>) =>
  textToImage(model, { prompt: 'a thick seven', steps: 6, n: 2, warn: quiet, ...opts });

describe('model folder', () => {
  it('missing folder → ModelFolderError', async () => {
    await assert.rejects(inspectModelFolder('/no/such/folder'), ModelFolderError);
  });
  it('lists every missing file at once', async () => {
    const dir = await tinyCopy({
      'unet/model.onnx': null,
      scheduler: null,
      'tokenizer/tokenizer.json': null,
    });
    await assert.rejects(inspectModelFolder(dir), (e: Error) => {
      assert.ok(e instanceof ModelFolderError);
      for (const f of [
        'scheduler/scheduler_config.json',
        'tokenizer/tokenizer.json',
        'unet/model.onnx',
      ])
        assert.ok(e.message.includes(f), f);
      return true;
    });
  });
  it('a vae_decoder folder needs model.onnx and config.json', async () => {
    const dir = await tinyCopy();
    const { mkdir } = await import('node:fs/promises');
    await mkdir(join(dir, 'vae_decoder'));
    await assert.rejects(
      inspectModelFolder(dir),
      /vae_decoder\/model\.onnx, vae_decoder\/config\.json/,
    );
  });
  it('model_index.json without _class_name, and bad JSON', async () => {
    const dir = await tinyCopy();
    await writeFile(join(dir, 'model_index.json'), '{}');
    await assert.rejects(inspectModelFolder(dir), /_class_name/);
    await writeFile(join(dir, 'model_index.json'), '{');
    await assert.rejects(
      inspectModelFolder(dir),
      (e: Error) => e instanceof ModelFolderError && /not valid JSON/.test(e.message),
    );
  });
  it('a bad scheduler config → ConfigError', async () => {
    const dir = await tinyCopy();
    await writeFile(
      join(dir, 'scheduler', 'scheduler_config.json'),
      JSON.stringify({ beta_schedule: 'cubic' }),
    );
    await assert.rejects(loadTextToImageModel(dir, { warn: quiet }), ConfigError);
  });
  it('a unet/config.json that is not JSON is refused even where the shapes are static', async () => {
    const dir = await tinyCopy();
    await writeFile(join(dir, 'unet', 'config.json'), '{ "in_channels": ');
    await assert.rejects(
      loadTextToImageModel(dir, { warn: quiet }),
      (e: Error) => e instanceof DiffierError && /config\.json/.test(e.message),
    );
  });
  it('loads the fixture: pixel space, no VAE', () => {
    assert.equal(model.folder.className, 'DiffierPixelPipeline');
    assert.equal(model.vae, undefined);
    assert.deepEqual(model.unet.itemShape, [1, 28, 28]);
    assert.equal(model.schedule.betaSchedule, 'squaredcos_cap_v2');
  });
  it('the embedded model is looked for under the package root, not the cwd', () => {
    assert.equal(embeddedModelDir(), join(ROOT, 'models', 'mnist-t2i'));
  });
});

describe('prompt tokenizer', () => {
  it('pads to model_max_length with the pad token, inside BOS … EOS', () => {
    const t = model.tokenizer.encode('A thick Seven');
    // [BOS]=2 a=4 thick=18 seven=15 [EOS]=3, then [PAD]=0.
    assert.deepEqual(t.ids, [2, 4, 18, 15, 3, ...new Array<number>(11).fill(0)]);
    assert.equal(t.length, 5);
    assert.equal(t.dropped, 0);
  });
  it('truncates an over-long prompt, keeps the special tokens, says how many were dropped', () => {
    const words = 'one two three four five six seven eight nine zero one two three four five six';
    const t = model.tokenizer.encode(words);
    assert.equal(t.ids.length, 16);
    assert.equal(t.ids[0], 2);
    assert.equal(t.ids[15], 3);
    assert.equal(t.dropped, 2);
    assert.equal(t.droppedText, 'five six');
  });
  it('encodePrompt warns about truncation and unknown words, and rejects empty prompts', async () => {
    const warnings: string[] = [];
    const e = await encodePrompt(
      model,
      'a purple seven one two three four five six seven eight nine zero one two three',
      (m) => warnings.push(m),
    );
    assert.ok(
      warnings.some((w) => /16 tokens.*2 token\(s\) dropped \("two three"\)/.test(w)),
      warnings.join('\n'),
    );
    assert.ok(warnings.some((w) => /purple/.test(w)));
    assert.deepEqual(e.cond.shape, [1, 16, 8]);
    await assert.rejects(encodePrompt(model, '', quiet), InvalidOptionError);
    await assert.rejects(encodePrompt(model, '   ', quiet), InvalidOptionError);
  });
  it('unknown tokens that come back undefined are read as the unknown token', async () => {
    const { readFile } = await import('node:fs/promises');
    const json = JSON.parse(await readFile(join(TINY, 'tokenizer', 'tokenizer.json'), 'utf8'));
    // Without unk_token in the config the library returns undefined ids; the model's [UNK] (1) is used.
    const t = PromptTokenizer.fromJson(json, { model_max_length: 8, pad_token: '[PAD]' });
    const e = t.encode('a purple seven');
    assert.deepEqual(e.ids, [2, 4, 1, 15, 3, 0, 0, 0]);
    assert.deepEqual(e.unknown, ['purple']);
  });
  it('a tokenizer length that disagrees with the text encoder is an error', async () => {
    const { readFile } = await import('node:fs/promises');
    const json = JSON.parse(await readFile(join(TINY, 'tokenizer', 'tokenizer.json'), 'utf8'));
    assert.throws(
      () => PromptTokenizer.fromJson(json, { model_max_length: 16, pad_token: '[PAD]' }, 77),
      ModelFolderError,
    );
    assert.throws(
      () => PromptTokenizer.fromJson(json, { model_max_length: 1e30, pad_token: '[PAD]' }),
      ModelFolderError,
    );
    // 1e30 is transformers' "no limit": the text encoder's length is used.
    assert.equal(
      PromptTokenizer.fromJson(json, { model_max_length: 1e30, pad_token: '[PAD]' }, 8).encode(
        'a seven',
      ).ids.length,
      8,
    );
    for (const bad of [0, -5, 7.5, 'abc']) {
      assert.throws(
        () => PromptTokenizer.fromJson(json, { model_max_length: bad, pad_token: '[PAD]' }, 8),
        /model_max_length must be a positive integer/,
      );
    }
  });
  it('a token id of −1 (or a fraction, or huge) is refused at load, naming the token', async () => {
    const { readFile } = await import('node:fs/promises');
    const json = JSON.parse(await readFile(join(TINY, 'tokenizer', 'tokenizer.json'), 'utf8'));
    for (const bad of [-1, 2.5, 1e12, '7']) {
      const vocab = { ...json.model.vocab, seven: bad };
      assert.throws(
        () =>
          PromptTokenizer.fromJson(
            { ...json, model: { ...json.model, vocab } },
            {
              model_max_length: 8,
              pad_token: '[PAD]',
            },
          ),
        /token "seven" has id .*ids must be integers/,
      );
    }
    const added = [{ ...json.added_tokens[0], id: -1 }];
    assert.throws(
      () => PromptTokenizer.fromJson({ ...json, added_tokens: added }, { model_max_length: 8 }),
      /has id -1/,
    );
  });
  it('CLIP vocab.json + merges.txt are converted (folders without tokenizer.json)', async () => {
    const vocab = {
      c: 0,
      a: 1,
      t: 2,
      't</w>': 3,
      '<|startoftext|>': 5,
      '<|endoftext|>': 6,
      'a</w>': 7,
      'at</w>': 11,
      'cat</w>': 10,
    };
    const merges = parseMerges('#version: 0.2\na t</w>\nc at</w>\n');
    assert.deepEqual(merges, ['a t</w>', 'c at</w>']);
    // SD 1.x: no pad token, pads with <|endoftext|> (the eos token).
    const t = PromptTokenizer.fromJson(clipTokenizerJson(vocab, merges), {
      model_max_length: 6,
      eos_token: '<|endoftext|>',
    });
    assert.deepEqual(t.encode('A  CAT').ids, [5, 7, 10, 6, 6, 6]);

    const dir = await tinyCopy({ 'tokenizer/tokenizer.json': null });
    await writeFile(join(dir, 'tokenizer', 'vocab.json'), JSON.stringify(vocab));
    await writeFile(join(dir, 'tokenizer', 'merges.txt'), '#version: 0.2\na t</w>\nc at</w>\n');
    await writeFile(
      join(dir, 'tokenizer', 'tokenizer_config.json'),
      JSON.stringify({ model_max_length: 16, pad_token: '<|endoftext|>' }),
    );
    const loaded = await PromptTokenizer.load(await inspectModelFolder(dir));
    assert.deepEqual(loaded.encode('a cat').ids.slice(0, 5), [5, 7, 10, 6, 6]);
  });
});

describe('prediction conversion to ε', () => {
  const level = noiseLevel(300, 0.36); // a = 0.6, s = 0.8
  const x0 = Tensor.fromRows([[0.5, -1]]);
  const eps = Tensor.fromRows([[0.2, 0.3]]);
  const x = x0.like(x0.data.map((v, j) => 0.6 * v + 0.8 * eps.data[j]));
  it('v = a·ε − s·x0 gives back ε', () => {
    const v = x0.like(x0.data.map((v0, j) => 0.6 * eps.data[j] - 0.8 * v0));
    assert.ok(maxAbsDiff(epsFromPrediction('v_prediction', x, v, level).data, eps.data) < 1e-6);
  });
  it('x0 gives back ε; ε passes through', () => {
    assert.ok(maxAbsDiff(epsFromPrediction('sample', x, x0, level).data, eps.data) < 1e-6);
    assert.equal(epsFromPrediction('epsilon', x, eps, level), eps);
  });
});

describe('text to image', () => {
  it('same seed → identical images; another seed → different', async () => {
    const a = await run({ seed: 5 });
    const b = await run({ seed: 5 });
    const c = await run({ seed: 6 });
    assert.deepEqual(a.images.shape, [2, 1, 28, 28]);
    assert.deepEqual(Buffer.from(a.images.data.buffer), Buffer.from(b.images.data.buffer));
    assert.ok(maxAbsDiff(a.images.data, c.images.data) > 0.01);
    assert.ok(a.images.data.every((v) => v >= 0 && v <= 1));
  });

  it('item i is the same image for n = 1 and n = 3', async () => {
    const one = await run({ seed: 11, n: 1 });
    const three = await run({ seed: 11, n: 3 });
    assert.deepEqual(Array.from(one.images.data), Array.from(three.images.sliceBatch(0, 1).data));
    // Also with a stochastic sampler, whose step noise comes from the per-item streams.
    const oneA = await run({ seed: 11, n: 1, sampler: 'euler-a' });
    const threeA = await run({ seed: 11, n: 3, sampler: 'euler-a' });
    assert.deepEqual(Array.from(oneA.images.data), Array.from(threeA.images.sliceBatch(0, 1).data));
    // And with DiffIER: its inner loop and corrector use no batch statistic.
    const oneD = await run({ seed: 11, n: 1, method: { name: 'diffier' } });
    const threeD = await run({ seed: 11, n: 3, method: { name: 'diffier' } });
    assert.deepEqual(Array.from(oneD.images.data), Array.from(threeD.images.sliceBatch(0, 1).data));
    assert.ok(Number.isFinite(oneD.gap?.training ?? NaN), 'the training gap is defined for n = 1');
  });

  it('one batched [uncond; cond] call and two calls agree within float tolerance', async () => {
    const a = await run({ seed: 2, n: 3, unetCalls: 'batched' });
    const b = await run({ seed: 2, n: 3, unetCalls: 'separate' });
    assert.ok(maxAbsDiff(a.images.data, b.images.data) < 1e-4);
    assert.equal(a.networkCalls, 6);
    assert.equal(b.networkCalls, 12);
  });

  it('the declared predictions match the network calls counted', async () => {
    // w = 3: every step needs both → nfe 2 per step; w = 1: the gate skips the unconditional pass.
    const guided = await run({ w: 3, unetCalls: 'separate' });
    assert.equal(guided.nfe, 12);
    assert.equal(guided.networkCalls, 12);
    const plain = await run({ w: 1, unetCalls: 'batched' });
    assert.equal(plain.nfe, 6);
    assert.equal(plain.networkCalls, 6);
    // An interval rule guides only some steps: calls follow what each step declared.
    const interval = await run({
      method: { name: 'interval', options: { sigmaLo: 0.5, sigmaHi: 2 } },
      unetCalls: 'batched',
    });
    const guidedSteps = interval.gapSteps.filter(
      (s, i, all) => s.nfe - (i > 0 ? all[i - 1].nfe : 0) === 2,
    ).length;
    assert.ok(guidedSteps > 0 && guidedSteps < 6, `guided steps ${guidedSteps}`);
    assert.equal(interval.networkCalls, 6);
    assert.equal(interval.nfe, 6 + guidedSteps);
  });

  it('an NFE budget picks the step count (methods/nfe.ts)', async () => {
    const r = await run({ steps: undefined, nfe: 10 });
    assert.equal(r.steps, 5);
    assert.equal(r.nfe, 10);
  });

  it('returns the gap monitor figures', async () => {
    const r = await run({ n: 4 });
    assert.equal(r.gapSteps.length, 6);
    assert.ok(r.gap && Number.isFinite(r.gap.gap) && r.gap.gap > 0);
    assert.ok(r.timings.networkMs > 0 && r.timings.networkMs <= r.timings.sampleMs);
  });

  it('the gap monitor only watches: without it the images are the same', async () => {
    const watched = await run({ n: 4, method: { name: 'diffier' } });
    const bare = await run({ n: 4, method: { name: 'diffier' }, gapMonitor: false });
    assert.equal(bare.gap, null);
    assert.equal(bare.gapSteps.length, 0);
    assert.deepEqual(bare.images.data, watched.images.data);
  });

  it('runs DiffIER and the peers from the registry', async () => {
    for (const name of ['diffier', 'apg', 'restart']) {
      const r = await run({ method: { name } });
      assert.equal(r.method, name);
      assert.ok(r.images.data.every(Number.isFinite));
    }
  });

  it('the int64-timestep export (same weights) gives the same images', async () => {
    const old = await loadTextToImageModel(TINY_INT64, { warn: quiet });
    try {
      const a = await run({ seed: 3 });
      const b = await textToImage(old, {
        prompt: 'a thick seven',
        steps: 6,
        n: 2,
        seed: 3,
        warn: quiet,
      });
      assert.ok(maxAbsDiff(a.images.data, b.images.data) < 1e-4);
    } finally {
      await old.release();
    }
  });

  it('a latent model decodes through its VAE (v_prediction)', async () => {
    const latent = await loadTextToImageModel(TINY_VAE, { warn: quiet });
    try {
      assert.equal(latent.vae?.scalingFactor, 0.5);
      assert.equal(latent.schedule.predictionType, 'v_prediction');
      const r = await textToImage(latent, { prompt: 'a two', steps: 4, n: 2, warn: quiet });
      assert.deepEqual(r.images.shape, [2, 1, 28, 28]);
      assert.ok(r.images.data.every((v) => v >= 0 && v <= 1));
    } finally {
      await latent.release();
    }
  });

  it('bad options → InvalidOptionError', async () => {
    for (const opts of [
      { n: 0 },
      { n: -2 },
      { n: 1.5 },
      { steps: 0 },
      { steps: -1 },
      { steps: 1001 },
      { steps: 5, nfe: 10 },
      { nfe: 0 },
      { w: NaN },
      { sampler: 'plms' },
      { method: { name: 'nope' } },
      { prompt: '' },
    ]) {
      await assert.rejects(run(opts), InvalidOptionError, JSON.stringify(opts));
    }
  });

  it('a UNet that outputs NaN → NonFiniteError', async () => {
    const dir = await tinyCopy({ 'unet/model.onnx': join(BAD, 'unet-nan.onnx') });
    const nan = await loadTextToImageModel(dir, { warn: quiet });
    try {
      await assert.rejects(
        textToImage(nan, { prompt: 'a seven', steps: 3, warn: quiet }),
        NonFiniteError,
      );
    } finally {
      await nan.release();
    }
  });

  it('an AbortSignal stops sampling', async () => {
    const controller = new AbortController();
    await assert.rejects(
      run({ signal: controller.signal, onStep: (p) => p.i === 1 && controller.abort() }),
      AbortedError,
    );
  });
});

describe('PNG grid', () => {
  const rows = [
    Tensor.zeros([3, 1, 28, 28]),
    new Tensor(new Float32Array(2 * 784).fill(1), [2, 1, 28, 28]),
  ];
  it('rows × columns of ×3 cells with 2-px gaps, deterministic bytes', () => {
    const a = gridPng(rows);
    assert.deepEqual(a, gridPng(rows));
    const img = PNG.sync.read(a);
    assert.equal(defaultScale(28), 3);
    assert.equal(img.width, 2 + 3 * (84 + 2));
    assert.equal(img.height, 2 + 2 * (84 + 2));
    const at = (x: number, y: number) => img.data[(y * img.width + x) * 4];
    assert.equal(at(0, 0), 128); // gap
    assert.equal(at(2, 2), 0); // row 0 image (black)
    assert.equal(at(2, 2 + 86), 255); // row 1 image (white)
    assert.equal(at(2 + 2 * 86, 2 + 86), 128); // row 1 has no third image
  });
  it('RGB images keep their colours; other channel counts are rejected', () => {
    const rgb = new Tensor(new Float32Array([1, 0, 0.5]), [1, 3, 1, 1]);
    const img = PNG.sync.read(gridPng([rgb], { scale: 1, gap: 0 }));
    assert.deepEqual(Array.from(img.data.subarray(0, 3)), [255, 0, 128]);
    assert.throws(() => gridPng([Tensor.zeros([1, 2, 4, 4])]), ShapeError);
    assert.throws(() => gridPng([]), ShapeError);
  });
});
