/**
 * Super-resolution: the resamplings against torch, PNG input checks, upscaler folders (the
 * embedded pixel-space model and the x4-upscaler-style fixture), the pipeline's guidance
 * sides and determinism.
 */
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import {
  InputImageError,
  InvalidOptionError,
  ModelFolderError,
  ModelSignatureError,
} from '../src/core/errors.js';
import { psnr, ssimGrey } from '../src/eval/imageQuality.js';
import { decodePng } from '../src/image/readPng.js';
import { bicubicUpsample, boxDownsample, nearestUpsample } from '../src/image/resize.js';
import { loadTextToImageModel } from '../src/models/load.js';
import { loadUpscalerModel, type UpscalerModel } from '../src/models/upscaler.js';
import { upscale } from '../src/pipelines/upscale.js';
import { Tensor } from '../src/core/tensor.js';
import { FIXTURES, MNIST_SR, MNIST_T2I, TINY_X4 } from './helpers/t2iFixtures.js';
import { palettePngBytes, pngBytes } from './helpers/pngFiles.js';

const quiet = () => undefined;

describe('resampling', () => {
  it('bicubic ×4 equals torch’s F.interpolate(bicubic, align_corners=False)', async () => {
    const fixture = JSON.parse(await readFile(join(FIXTURES, 'bicubic.json'), 'utf8')) as {
      cases: { shape: number[]; factor: number; input: number[]; output: number[] }[];
    };
    for (const c of fixture.cases) {
      const out = bicubicUpsample(new Tensor(Float32Array.from(c.input), c.shape), c.factor);
      assert.equal(out.data.length, c.output.length);
      let worst = 0;
      out.data.forEach((v, i) => (worst = Math.max(worst, Math.abs(v - c.output[i]))));
      assert.ok(worst < 1e-5, `shape ${c.shape}: max |ts − torch| = ${worst}`);
    }
  });
  it('box downsampling is the block mean; nearest repeats pixels', () => {
    const x = new Tensor(
      Float32Array.from({ length: 16 }, (_, i) => i),
      [1, 1, 4, 4],
    );
    assert.deepEqual(Array.from(boxDownsample(x, 2).data), [2.5, 4.5, 10.5, 12.5]);
    const up = nearestUpsample(new Tensor(new Float32Array([1, 2]), [1, 1, 1, 2]), 2);
    assert.deepEqual(Array.from(up.data), [1, 1, 2, 2, 1, 1, 2, 2]);
    // Downsampling a nearest upsampling gives the image back.
    assert.deepEqual(boxDownsample(nearestUpsample(x, 4), 4).data, x.data);
  });
});

describe('image quality', () => {
  it('PSNR: 10·log10(1/MSE), infinite for identical images', () => {
    const a = new Float32Array([0, 0.5, 1, 0.25]);
    assert.equal(psnr(a, a), Infinity);
    const b = a.map((v) => v + 0.1);
    assert.ok(Math.abs(psnr(a, b) - 20) < 1e-5);
  });
  it('SSIM is 1 for identical images and falls as noise grows', () => {
    const img = Float32Array.from({ length: 784 }, (_, i) => ((i * 37) % 100) / 100);
    assert.equal(ssimGrey(img, img, 28, 28), 1);
    const noisy = (amp: number) => img.map((v, i) => v + amp * Math.sin(i * 12.9898));
    const s1 = ssimGrey(img, noisy(0.05), 28, 28);
    const s2 = ssimGrey(img, noisy(0.2), 28, 28);
    assert.ok(s1 < 1 && s2 < s1, `${s1} ${s2}`);
  });
});

describe('PNG input', () => {
  it('reads 8-bit grey to [1, 1, H, W] in [0, 1]; grey is repeated for RGB models', () => {
    const t = decodePng(
      pngBytes(3, 2, 'grey', (x, y) => (x + 3 * y) / 5),
      1,
      'in.png',
    );
    assert.deepEqual(t.shape, [1, 1, 2, 3]);
    assert.deepEqual(
      Array.from(t.data, (v) => Math.round(v * 5)),
      [0, 1, 2, 3, 4, 5],
    );
    const rgb = decodePng(pngBytes(3, 2, 'grey'), 3, 'in.png');
    assert.deepEqual(rgb.shape, [1, 3, 2, 3]);
    assert.deepEqual(rgb.data.subarray(0, 6), rgb.data.subarray(6, 12));
  });
  for (const [what, bytes, pattern] of [
    ['not a PNG', Buffer.from('hello, not an image'), /not a PNG/],
    ['a truncated PNG', pngBytes(7, 7, 'grey').subarray(0, 40), /not a readable PNG/],
    ['16-bit samples', pngBytes(7, 7, 'grey16'), /16-bit/],
    ['a palette image', palettePngBytes(7, 7), /palette/],
    ['alpha', pngBytes(7, 7, 'grey-alpha'), /alpha/],
    ['RGBA', pngBytes(7, 7, 'rgba'), /alpha/],
    ['RGB for a greyscale model', pngBytes(7, 7, 'rgb'), /RGB PNG; this model reads greyscale/],
  ] as const) {
    it(`refuses ${what} with InputImageError`, () => {
      assert.throws(
        () => decodePng(bytes, 1, 'in.png'),
        (e: Error) => e instanceof InputImageError && pattern.test(e.message),
      );
    });
  }
});

describe('upscaler folders', () => {
  it('the embedded model: pixel space, 7×7 → 28×28, v-prediction, noise level as class_labels', async () => {
    const m = await loadUpscalerModel(MNIST_SR, { warn: quiet });
    try {
      assert.deepEqual(m.inputShape, [1, 7, 7]);
      assert.deepEqual(m.outputShape, [1, 28, 28]);
      assert.equal(m.factor, 4);
      assert.equal(m.maxNoiseLevel, 350);
      assert.equal(m.schedule.predictionType, 'v_prediction');
      assert.equal(m.unet.needsClassLabels, true);
      assert.equal(m.upsampleCondition, true);
      assert.equal(m.textEncoder, undefined);
    } finally {
      await m.release();
    }
  });
  it('the x4-upscaler layout: latent at the input size, text side, VAE ×4 with its scaling factor', async () => {
    const m = await loadUpscalerModel(TINY_X4, { warn: quiet });
    try {
      assert.deepEqual(m.inputShape, [3, 8, 8]);
      assert.deepEqual(m.outputShape, [3, 32, 32]);
      assert.deepEqual(m.unet.inputShape, [7, 8, 8]);
      assert.equal(m.unet.conditionChannels, 3);
      assert.equal(m.vae?.scalingFactor, 0.08333);
      assert.ok(m.textEncoder && m.tokenizer);
      assert.equal(m.upsampleCondition, false);
    } finally {
      await m.release();
    }
  });
  it('a text-to-image folder is not an upscaler, and the other way round', async () => {
    await assert.rejects(loadUpscalerModel(MNIST_T2I), (e: Error) => {
      assert.ok(e instanceof ModelFolderError);
      assert.match(e.message, /low_res_scheduler/);
      return true;
    });
    await assert.rejects(loadTextToImageModel(MNIST_SR), ModelFolderError);
    await assert.rejects(loadTextToImageModel(TINY_X4, { warn: quiet }), (e: Error) => {
      assert.ok(e instanceof ModelSignatureError);
      assert.match(e.message, /class_labels.*upscaler/);
      return true;
    });
  });
});

describe('upscale pipeline', () => {
  let sr: UpscalerModel;
  let x4: UpscalerModel;
  const lowRes = new Tensor(
    Float32Array.from({ length: 49 }, (_, i) => (i % 7 === 3 ? 0.9 : 0.05)),
    [1, 1, 7, 7],
  );
  before(async () => {
    sr = await loadUpscalerModel(MNIST_SR, { warn: quiet });
    x4 = await loadUpscalerModel(TINY_X4, { warn: quiet });
  });
  after(async () => {
    await sr.release();
    await x4.release();
  });

  it('same seed → identical outputs; another seed → other outputs', async () => {
    const run = (seed: number) =>
      upscale(sr, lowRes, { n: 2, steps: 4, seed, method: { name: 'diffier' }, warn: quiet });
    const [a, b, c] = [await run(5), await run(5), await run(6)];
    assert.deepEqual(a.images.data, b.images.data);
    assert.notDeepEqual(a.images.data, c.images.data);
    assert.deepEqual(a.images.shape, [2, 1, 28, 28]);
    assert.ok(a.images.data.every((v) => v >= 0 && v <= 1));
  });
  it('guides on the low-res image: w = 1 makes one conditional call per step, w > 1 changes the output', async () => {
    const base = { n: 2, steps: 3, seed: 1, warn: quiet };
    const plain = await upscale(sr, lowRes, { ...base, w: 1 });
    const guided = await upscale(sr, lowRes, { ...base, w: 4 });
    assert.equal(plain.guidedOn, 'low-res image');
    assert.equal(plain.networkCalls, 3);
    assert.equal(plain.nfe, 3);
    assert.equal(guided.nfe, 6);
    assert.notDeepEqual(plain.images.data, guided.images.data);
  });
  it('the output stays consistent with the input (downsampled output close to it)', async () => {
    const r = await upscale(sr, lowRes, { n: 2, steps: 20, seed: 2, w: 1, warn: quiet });
    const small = boxDownsample(r.images, 4);
    const bicubicSmall = boxDownsample(r.bicubic, 4);
    for (let i = 0; i < 2; i++) {
      const got = psnr(small.data.subarray(49 * i, 49 * (i + 1)), lowRes.data);
      assert.ok(got > 20, `consistency of output ${i}: ${got} dB`);
    }
    assert.ok(psnr(bicubicSmall.data, lowRes.data) > 20);
  });
  it('x4 layout: prompt against empty prompt, class_labels fed, VAE decode to 3×32×32', async () => {
    const rgb = new Tensor(
      Float32Array.from({ length: 192 }, (_, i) => (i % 5) / 5),
      [1, 3, 8, 8],
    );
    const a = await upscale(x4, rgb, { n: 2, steps: 3, w: 5, prompt: 'a seven', warn: quiet });
    const b = await upscale(x4, rgb, { n: 2, steps: 3, w: 5, prompt: 'a two', warn: quiet });
    assert.equal(a.guidedOn, 'prompt');
    assert.deepEqual(a.images.shape, [2, 3, 32, 32]);
    assert.notDeepEqual(a.images.data, b.images.data, 'the prompt reaches the UNet');
    const quieter = await upscale(x4, rgb, { n: 2, steps: 3, w: 5, noiseLevel: 300, warn: quiet });
    const louder = await upscale(x4, rgb, { n: 2, steps: 3, w: 5, noiseLevel: 0, warn: quiet });
    assert.notDeepEqual(
      quieter.images.data,
      louder.images.data,
      'the noise level reaches the UNet',
    );
  });
  it('bad input: wrong size or channels, noise level out of range, bad steps', async () => {
    const big = new Tensor(new Float32Array(784), [1, 1, 28, 28]);
    await assert.rejects(upscale(sr, big, { steps: 2 }), (e: Error) => {
      assert.ok(e instanceof InputImageError);
      assert.match(e.message, /upscales 7×7 images.*input is 28×28/);
      return true;
    });
    const rgb = new Tensor(new Float32Array(147), [1, 3, 7, 7]);
    await assert.rejects(upscale(sr, rgb, { steps: 2 }), /reads 1-channel images; the input has 3/);
    for (const noiseLevel of [-1, 351, 2.5]) {
      await assert.rejects(upscale(sr, lowRes, { steps: 2, noiseLevel }), InvalidOptionError);
    }
    await assert.rejects(upscale(sr, lowRes, { steps: 0 }), InvalidOptionError);
    await assert.rejects(upscale(sr, lowRes, { w: NaN }), InvalidOptionError);
  });
});
