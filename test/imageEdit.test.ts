/**
 * Negative prompts, image-to-image and inpainting in the library: on the embedded pixel-space
 * model and on tiny latent fixtures (training/fixtures/make_editing_fixtures.py) — strength 0
 * gives the input back, strength 1 is text-to-image byte for byte, the kept region of an
 * inpainting comes out as it went in (exactly in pixel space, as the VAE's round trip in
 * latent space), and every method works with all three.
 */
import assert from 'node:assert/strict';
import { cp, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { InputImageError, InvalidOptionError, ModelFolderError } from '../src/core/errors.js';
import { gridPixels } from '../src/image/grid.js';
import { binaryMask, maskOnGrid } from '../src/image/mask.js';
import { METHOD_NAMES } from '../src/methods/registry.js';
import { inspectModelFolder } from '../src/models/folder.js';
import { loadTextToImageModel, type TextToImageModel } from '../src/models/load.js';
import { prepareEdit } from '../src/pipelines/imageEdit.js';
import { planRun } from '../src/pipelines/run.js';
import { textToImage, type TextToImageOptions } from '../src/pipelines/textToImage.js';
import { stepsForStrength } from '../src/schedules/strength.js';
import { Tensor } from '../src/core/tensor.js';
import {
  MNIST_T2I,
  removeTempDirs,
  TINY,
  TINY_INPAINT,
  TINY_VAE,
  TINY_VAE_ENC,
  tempDir,
} from './helpers/t2iFixtures.js';

const quiet = () => undefined;

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  assert.equal(a.length, b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

/** The 8-bit pixels a PNG of these images would hold. */
const bytes = (images: Tensor) => gridPixels([images], { scale: 1, gap: 0 }).data;

/** A [1, 1, 28, 28] image in [0, 1] (a smooth pattern, away from 0 and 1). */
function pattern(seed = 1): Tensor {
  const d = new Float32Array(28 * 28);
  for (let j = 0; j < d.length; j++)
    d[j] = Math.round(255 * (0.5 + 0.4 * Math.sin(seed * j * 0.37))) / 255;
  return new Tensor(d, [1, 1, 28, 28]);
}

/** Repaint the left `cols` columns (a multiple of 4 keeps the latent grid's blocks whole). */
function leftMask(cols = 12): Tensor {
  const d = new Float32Array(28 * 28);
  for (let y = 0; y < 28; y++) for (let x = 0; x < cols; x++) d[y * 28 + x] = 1;
  return new Tensor(d, [1, 1, 28, 28]);
}

/** Values of item `i` of [n, 1, 28, 28] images where the mask keeps (0). */
function kept(images: Tensor, mask: Tensor, i = 0): number[] {
  const plane = mask.data.length;
  const out: number[] = [];
  for (let p = 0; p < plane; p++) if (mask.data[p] === 0) out.push(images.data[i * plane + p]);
  return out;
}

function repainted(images: Tensor, mask: Tensor, i = 0): number[] {
  const plane = mask.data.length;
  const out: number[] = [];
  for (let p = 0; p < plane; p++) if (mask.data[p] === 1) out.push(images.data[i * plane + p]);
  return out;
}

/** What the VAE makes of an image: decode(encode(image)), in [0, 1]. */
async function vaeRoundTrip(model: TextToImageModel, image: Tensor): Promise<Tensor> {
  const z = await model.vaeEncoder!.encode(image.like(image.data.map((v) => 2 * v - 1)));
  const x = await model.vae!.decode(z);
  return x.like(x.data.map((v) => Math.min(1, Math.max(0, v / 2 + 0.5))));
}

const models: Record<string, TextToImageModel> = {};
before(async () => {
  for (const [name, dir] of Object.entries({
    mnist: MNIST_T2I,
    tiny: TINY,
    latent: TINY_VAE_ENC,
    inpaint: TINY_INPAINT,
    noEncoder: TINY_VAE,
  })) {
    models[name] = await loadTextToImageModel(dir, { warn: quiet });
  }
});
after(async () => {
  for (const m of Object.values(models)) await m.release();
  await removeTempDirs();
});

const run = (model: TextToImageModel, opts: Partial<TextToImageOptions>) =>
  textToImage(model, { prompt: 'a thick seven', steps: 6, n: 2, seed: 3, warn: quiet, ...opts });

describe('negative prompt', () => {
  it('replaces the empty prompt: "" is the default, another prompt changes the images', async () => {
    const m = models.mnist;
    const plain = await run(m, { n: 1 });
    const empty = await run(m, { n: 1, negativePrompt: '' });
    const neg = await run(m, { n: 1, negativePrompt: 'a thin one' });
    assert.deepEqual(empty.images.data, plain.images.data);
    assert.ok(maxAbsDiff(neg.images.data, plain.images.data) > 1e-3);
  });
  it('the prompt itself as the negative prompt makes CFG the conditional prediction (w = 1)', async () => {
    const m = models.mnist;
    const same = await run(m, { n: 1, w: 4, negativePrompt: 'a thick seven' });
    const unguided = await run(m, { n: 1, w: 1 });
    assert.ok(maxAbsDiff(same.images.data, unguided.images.data) < 1e-5);
  });
  it('is the unconditional side of every method (each one changes with it)', async () => {
    for (const name of METHOD_NAMES) {
      const method = { name };
      const a = await run(models.tiny, { n: 1, steps: 4, method });
      const b = await run(models.tiny, { n: 1, steps: 4, method, negativePrompt: 'two thin' });
      assert.ok(maxAbsDiff(a.images.data, b.images.data) > 0, name);
    }
  });
  it('is tokenised as the prompt: an over-long one is cut with a warning naming it', async () => {
    const warnings: string[] = [];
    await run(models.tiny, {
      n: 1,
      steps: 1,
      negativePrompt: 'a thin one '.repeat(10),
      warn: (w) => warnings.push(w),
    });
    assert.ok(
      warnings.some((w) => w.startsWith('the negative prompt is longer than the 16 tokens')),
    );
  });
});

describe('image-to-image', () => {
  it("runs the last ⌊N·S⌋ steps (diffusers' strength)", async () => {
    assert.equal(stepsForStrength(10, 0.8), 8);
    assert.equal(stepsForStrength(30, 0.55), 16);
    assert.equal(stepsForStrength(7, 1), 7);
    assert.equal(stepsForStrength(3, 0.3), 0);
    assert.throws(() => stepsForStrength(10, 1.5), InvalidOptionError);
    const r = await run(models.mnist, { initImage: pattern(), strength: 0.5, steps: 10, n: 1 });
    assert.equal(r.steps, 10);
    assert.equal(r.edit?.sampledSteps, 5);
    assert.equal(r.nfe, 10); // 5 guided steps, two evaluations each
  });
  it('strength 0 returns the input: exactly on the embedded pixel model', async () => {
    const init = pattern();
    const r = await run(models.mnist, { initImage: init, strength: 0 });
    assert.equal(r.edit?.sampledSteps, 0);
    assert.equal(r.nfe, 0);
    for (let i = 0; i < 2; i++) {
      assert.ok(maxAbsDiff(r.images.sliceBatch(i, i + 1).data, init.data) < 1e-6);
    }
    assert.deepEqual(bytes(r.images.sliceBatch(0, 1)), bytes(init));
  });
  it('strength 0 on a latent model returns the VAE round trip of the input', async () => {
    const m = models.latent;
    const init = pattern();
    const r = await run(m, { initImage: init, strength: 0, n: 1 });
    assert.ok(maxAbsDiff(r.images.data, (await vaeRoundTrip(m, init)).data) < 1e-6);
  });
  it('strength 1 equals text-to-image with the same seed, byte for byte', async () => {
    for (const [name, m] of [
      ['embedded pixel model', models.mnist],
      ['latent model', models.latent],
    ] as const) {
      for (const sampler of ['ddim', 'euler-a', 'dpmpp-2m']) {
        const t2i = await run(m, { sampler });
        const i2i = await run(m, { sampler, initImage: pattern(), strength: 1 });
        assert.deepEqual(i2i.images.data, t2i.images.data, `${name}, ${sampler}`);
      }
    }
  });
  it('in between, the output depends on the input and keeps more of it at lower strength', async () => {
    const m = models.mnist;
    const init = pattern();
    const dist = async (strength: number) =>
      maxAbsDiff(
        (await run(m, { initImage: init, strength, n: 1, steps: 10 })).images.data,
        init.data,
      );
    const low = await dist(0.2);
    const high = await dist(0.9);
    assert.ok(low > 0 && low < high, `${low} < ${high}`);
  });
  it('item i is the same whatever the batch size', async () => {
    const opts = { initImage: pattern(), strength: 0.6, mask: leftMask(), steps: 5 };
    const one = await run(models.mnist, { ...opts, n: 1 });
    const three = await run(models.mnist, { ...opts, n: 3 });
    assert.deepEqual(three.images.sliceBatch(0, 1).data, one.images.data);
  });
  it('a plan made for another strength is refused', async () => {
    const plan = await planRun(models.tiny.schedule, { steps: 4 });
    await assert.rejects(run(models.tiny, { initImage: pattern(), plan }), InvalidOptionError);
  });
});

describe('inpainting', () => {
  it('pixel model, truncated schedule: kept pixels exactly as the input, repainted ones changed, for every method', async () => {
    const mask = leftMask();
    const init = pattern();
    for (const name of METHOD_NAMES) {
      const r = await run(models.tiny, {
        initImage: init,
        mask,
        strength: 0.6,
        steps: 5,
        n: 1,
        method: { name },
      });
      assert.equal(r.edit?.mode, 'inpainting (replacement)');
      assert.ok(maxAbsDiff(kept(r.images, mask), kept(init, mask)) < 1e-6, name);
      assert.ok(maxAbsDiff(repainted(r.images, mask), repainted(init, mask)) > 1e-3, name);
    }
  });
  it('embedded model: kept pixels byte for byte, at every strength', async () => {
    const mask = leftMask(10);
    const init = pattern(2);
    for (const strength of [0.3, 0.8, 1]) {
      const r = await run(models.mnist, { initImage: init, mask, strength, n: 1 });
      const b = bytes(r.images);
      const a = bytes(init);
      for (let p = 0; p < 28 * 28; p++) {
        if (mask.data[p] === 0)
          assert.equal(b[4 * p], a[4 * p], `strength ${strength}, pixel ${p}`);
      }
    }
  });
  it('latent model: kept pixels as the VAE round trip of the input', async () => {
    const m = models.latent;
    const mask = leftMask();
    const init = pattern();
    const r = await run(m, { initImage: init, mask, strength: 0.9, n: 1 });
    const trip = await vaeRoundTrip(m, init);
    assert.ok(maxAbsDiff(kept(r.images, mask), kept(trip, mask)) < 1e-6);
    assert.ok(maxAbsDiff(repainted(r.images, mask), repainted(trip, mask)) > 1e-3);
  });
  it('the mask is binarised at ½ and brought to the latent grid by block means', () => {
    const soft = new Tensor(new Float32Array([0.2, 0.5, 0.7, 0.49]), [1, 1, 2, 2]);
    assert.deepEqual([...binaryMask(soft).data], [0, 1, 1, 0]);
    const m = leftMask(14); // 3.5 blocks of 4: the half-covered block has mean ½ → repaint
    const grid = maskOnGrid(binaryMask(m), 7, 7);
    assert.deepEqual([...grid.data.subarray(0, 7)], [1, 1, 1, 1, 0, 0, 0]);
  });
  it('an inpainting UNet reads the sample, the mask and the masked image latents (9 channels)', async () => {
    const m = models.inpaint;
    assert.equal(m.inpainting, true);
    assert.deepEqual(m.unet.inputShape, [9, 7, 7]);
    const mask = leftMask();
    const init = pattern();
    const edit = await prepareEdit(m, { initImage: init, mask });
    assert.equal(edit.mode, 'inpainting (UNet)');
    const channels = edit.unetImage!;
    assert.deepEqual(channels.shape, [1, 5, 7, 7]);
    assert.deepEqual([...channels.data.subarray(0, 49)], [...maskOnGrid(mask, 7, 7).data]);
    const masked = init.like(init.data.map((v, j) => (mask.data[j] === 1 ? 0 : 2 * v - 1)));
    const latents = await m.vaeEncoder!.encode(masked);
    assert.ok(maxAbsDiff(channels.data.subarray(49), latents.data) < 1e-6);

    const r = await run(m, { initImage: init, mask, strength: 1, n: 1 });
    const trip = await vaeRoundTrip(m, init);
    assert.ok(maxAbsDiff(kept(r.images, mask), kept(trip, mask)) < 1e-6);
    assert.ok(maxAbsDiff(repainted(r.images, mask), repainted(trip, mask)) > 1e-3);
  });
});

describe('bad editing input', () => {
  it('a folder whose model_index.json lists vae_encoder without the folder is refused', async () => {
    const dir = join(await tempDir(), 'model');
    await cp(TINY_VAE_ENC, dir, { recursive: true });
    await rm(join(dir, 'vae_encoder'), { recursive: true });
    const index = JSON.parse(await readFile(join(dir, 'model_index.json'), 'utf8'));
    await writeFile(
      join(dir, 'model_index.json'),
      JSON.stringify({ ...index, vae_encoder: ['diffusers', 'AutoencoderKL'] }),
    );
    await assert.rejects(inspectModelFolder(dir), (e: Error) => {
      assert.ok(e instanceof ModelFolderError);
      assert.match(e.message, /lists vae_encoder but .*vae_encoder is missing/);
      return true;
    });
  });
  it('is a typed error before any work', async () => {
    const cases: [
      string,
      Partial<TextToImageOptions>,
      TextToImageModel,
      typeof InvalidOptionError,
    ][] = [
      ['mask without init image', { mask: leftMask() }, models.tiny, InvalidOptionError],
      [
        'strength out of range',
        { initImage: pattern(), strength: 1.2 },
        models.tiny,
        InvalidOptionError,
      ],
      ['strength NaN', { initImage: pattern(), strength: NaN }, models.tiny, InvalidOptionError],
      [
        'wrong image size',
        { initImage: new Tensor(new Float32Array(14 * 14), [1, 1, 14, 14]) },
        models.tiny,
        InputImageError,
      ],
      [
        'mask of another size',
        { initImage: pattern(), mask: new Tensor(new Float32Array(4), [1, 1, 2, 2]) },
        models.tiny,
        InputImageError,
      ],
      [
        'latent model without vae_encoder',
        { initImage: pattern() },
        models.noEncoder,
        ModelFolderError,
      ],
      [
        'inpainting model without a mask',
        { initImage: pattern() },
        models.inpaint,
        InvalidOptionError,
      ],
      ['inpainting model as text-to-image', {}, models.inpaint, InvalidOptionError],
    ];
    for (const [name, opts, m, type] of cases) {
      await assert.rejects(run(m, opts), type, name);
    }
  });
});
