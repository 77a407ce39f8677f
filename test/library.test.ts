/**
 * The library as a user imports it: every pipeline and the mixture benchmark, from the
 * package root only, on the embedded models with tiny settings; warnings in the library's
 * own terms (no command-line flags).
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as diffier from '../src/index.js';
import { packageRoot } from '../src/models/embedded.js';

const ROOT = packageRoot();

function hasEspeak(): boolean {
  try {
    execFileSync('espeak-ng', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** A warning collector; every message must be free of command-line flags. */
function warnings() {
  const seen: string[] = [];
  return {
    seen,
    warn: (m: string) => {
      assert.doesNotMatch(m, /(^|\s)--[a-z]/, `a library warning names a CLI flag: ${m}`);
      seen.push(m);
    },
  };
}

describe('the package root', () => {
  it('is the module package.json names as main', () => {
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { main: string };
    const here = fileURLToPath(new URL('../src/index.js', import.meta.url));
    assert.equal(resolve(ROOT, pkg.main), here);
  });

  it('text to image: images in [0, 1], a report, warnings through the callback', async () => {
    const model = await diffier.loadTextToImageModel(diffier.embeddedModelDir());
    try {
      const w = warnings();
      const r = await diffier.textToImage(model, {
        prompt: 'a seven zzzqx',
        method: { name: 'cfg' },
        w: 2,
        steps: 2,
        n: 2,
        seed: 3,
        warn: w.warn,
      });
      assert.deepEqual(r.images.shape, [2, ...model.unet.itemShape]);
      assert.ok(r.images.data.every((v) => v >= 0 && v <= 1));
      assert.equal(r.steps, 2);
      assert.equal(r.nfe, 4, 'two guided steps, cond + uncond each');
      assert.ok(r.gap !== null && Number.isFinite(r.gap.training));
      assert.ok(
        w.seen.some((m) => /zzzqx/.test(m)),
        'the unknown word is reported',
      );
    } finally {
      await model.release();
    }
  });

  it('super-resolution: the embedded 4× model upscales a shipped 7×7 digit', async () => {
    const model = await diffier.loadUpscalerModel(diffier.embeddedUpscalerDir());
    try {
      const w = warnings();
      const lowRes = await diffier.readPngImage(join(ROOT, 'examples', 'lowres-7.png'), 1);
      const r = await diffier.upscale(model, lowRes, {
        method: { name: 'diffier' },
        steps: 2,
        n: 1,
        prompt: 'ignored',
        warn: w.warn,
      });
      assert.deepEqual(r.images.shape, [1, ...model.outputShape]);
      assert.deepEqual(r.bicubic.shape, r.images.shape);
      assert.equal(r.noiseLevel, diffier.DEFAULT_NOISE_LEVEL);
      assert.ok(w.seen.some((m) => /prompt is ignored/.test(m)));
    } finally {
      await model.release();
    }
  });

  it(
    'text to speech: audio and a gap per sentence',
    { skip: !hasEspeak() && !process.env.CI ? 'espeak-ng is absent' : false },
    async () => {
      const model = await diffier.loadTextToSpeechModel(diffier.embeddedTtsModelDir());
      try {
        const r = await diffier.textToSpeech(model, { text: 'Yes. No.', steps: 2, seed: 1 });
        assert.equal(r.sentences.length, 2);
        assert.ok(r.audio.length > 0.25 * r.sampleRate, 'two sentences and the pause between');
        const wav = diffier.decodeWav(diffier.encodeWav(r.audio, r.sampleRate), 'speech');
        assert.equal(wav.sampleRate, r.sampleRate);
      } finally {
        await model.release();
      }
    },
  );

  it('the mixture benchmark runs from a problem file', async () => {
    const problem = await diffier.loadProblem(join(ROOT, 'bench', 'problems', '2d-separated.json'));
    const r = await diffier.runGmmBench({
      problem,
      methods: [{ name: 'cfg' }],
      ws: [1, 3],
      steps: 4,
      samples: 50,
      seed: 1,
    });
    assert.deepEqual(
      r.runs.map((x) => x.w),
      [1, 3],
    );
    assert.ok(r.runs.every((x) => Number.isFinite(x.metrics.adherence)));
  });

  it('bad options are typed errors in library terms', async () => {
    const problem = await diffier.loadProblem(join(ROOT, 'bench', 'problems', '2d-separated.json'));
    const base = { problem, methods: [{ name: 'cfg' }], ws: [1], seed: 1 };
    await assert.rejects(
      diffier.runGmmBench({ ...base, steps: 4, nfe: 8, samples: 50 }),
      (e: Error) => e instanceof diffier.InvalidOptionError && !e.message.includes('--'),
    );
    await assert.rejects(
      diffier.runGmmBench({ ...base, steps: 4, samples: 5 }),
      (e: Error) => e instanceof diffier.InvalidOptionError && /samples/.test(e.message),
    );
  });
});
