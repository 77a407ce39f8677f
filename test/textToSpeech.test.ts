/**
 * Text to speech on the embedded model (models/tts-espeak, needs the espeak-ng program):
 * the front end's checks and tokens, same seed → same samples, sentence splitting, and the
 * benchmark's pieces on one held-out sentence. Few steps: these test the plumbing.
 */
import assert from 'node:assert/strict';
import { cp, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { encodeWav } from '../src/audio/wav.js';
import { loadHeldOut, runTtsBench } from '../src/bench/ttsBench.js';
import { embeddedTtsModelDir } from '../src/models/embedded.js';
import { loadTextToSpeechModel, type TextToSpeechModel } from '../src/models/ttsModel.js';
import { SENTENCE_GAP_S, textToSpeech } from '../src/pipelines/textToSpeech.js';
import { knownVariant, phonemize, tokenize } from '../src/tts/frontend.js';
import { checkText, MAX_TEXT_CHARS, splitSentences } from '../src/tts/text.js';

let model: TextToSpeechModel;
before(async () => {
  model = await loadTextToSpeechModel(embeddedTtsModelDir(), { threads: 1 });
});
after(async () => {
  await model.release();
});

describe('text checks', () => {
  it('refuses empty, over-long and unspeakable text by name', () => {
    assert.throws(() => checkText('  \n'), { code: 'INVALID_OPTION' });
    assert.throws(() => checkText('a'.repeat(MAX_TEXT_CHARS + 1)), {
      code: 'INVALID_OPTION',
      message: /2001 characters/,
    });
    assert.throws(() => checkText('Hello 世界 ☃'), {
      code: 'UNSPEAKABLE_TEXT',
      message: /"世" \(U\+4E16\).*"☃" \(U\+2603\)/,
    });
    checkText('Café déjà vu, at 5 p.m. – “fine”!');
  });

  it('splits text into sentences', () => {
    assert.deepEqual(splitSentences('Hello there.  How are you?\nFine! '), [
      'Hello there.',
      'How are you?',
      'Fine!',
    ]);
  });
});

describe('espeak-ng front end', () => {
  it('gives clause-ended tokens of the vocabulary', async () => {
    const p = await phonemize('Hello world.', model.phonemes);
    assert.deepEqual(p.tokens.slice(-2), ['_:', '_']);
    assert.ok(p.tokens.includes('h') && p.tokens.some((t) => t.endsWith('oU')));
    assert.equal(p.ids.length, p.tokens.length);
    assert.deepEqual(tokenize("h @ l 'oU\nw '3: l d\n", model.phonemes), [
      'h',
      '@',
      'l',
      "'oU",
      '_:',
      '_',
      'w',
      "'3:",
      'l',
      'd',
      '_:',
      '_',
    ]);
  });

  it('names phonemes the model does not know', async () => {
    const ids = new Map(
      [...model.phonemes.ids].filter(([t]) => t.replace(/^['",%=]+/, '') !== 'h'),
    );
    await assert.rejects(phonemize('Hello.', { ...model.phonemes, ids }), {
      code: 'UNSPEAKABLE_TEXT',
      message: /phonemes the model does not know: h\b/,
    });
  });
});

describe('textToSpeech', () => {
  const run = (text: string, seed: number, method = 'diffier') =>
    textToSpeech(model, {
      text,
      seed,
      steps: 4,
      method: { name: method },
      w: 3,
      vocoderIterations: 4,
    });

  it('gives the same WAV bytes for the same seed, other bytes for another', async () => {
    const a = await run('Good morning.', 7);
    const b = await run('Good morning.', 7);
    const c = await run('Good morning.', 8);
    assert.deepEqual(encodeWav(a.audio, a.sampleRate), encodeWav(b.audio, b.sampleRate));
    assert.notDeepEqual(encodeWav(a.audio, a.sampleRate), encodeWav(c.audio, c.sampleRate));
    assert.equal(a.sampleRate, 22050);
    assert.ok(a.audio.length > 0.2 * a.sampleRate, `${a.audio.length} samples`);
    assert.ok(a.audio.every((v) => Number.isFinite(v)));
  });

  it('speaks sentence by sentence, with a pause between', async () => {
    const r = await run('It rains. The cat sleeps!', 1, 'cfg');
    assert.deepEqual(
      r.sentences.map((s) => s.sentence),
      ['It rains.', 'The cat sleeps!'],
    );
    const hop = model.norm.mel.hop;
    const frames = r.sentences.map((s) => s.frames.reduce((a, b) => a + b, 0));
    const gap = Math.round(SENTENCE_GAP_S * r.sampleRate);
    assert.equal(r.audio.length, (frames[0] - 1) * hop + gap + (frames[1] - 1) * hop);
    assert.equal(r.nfe, r.sentences[0].nfe + r.sentences[1].nfe);
    assert.equal(r.sentences[0].nfe, 8); // 4 guided steps, cond + uncond
  });
});

describe('bench tts pieces', () => {
  it('scores a held-out sentence with espeak-ng timings at matched NFE', async () => {
    const sentences = await loadHeldOut(model, undefined, 1);
    assert.equal(
      sentences[0].durations.reduce((a, b) => a + b, 0),
      sentences[0].logMel.frames,
    );
    const r = await runTtsBench({
      model,
      sentences,
      methods: [{ name: 'cfg' }, { name: 'diffier' }],
      ws: [3],
      nfe: 8,
      n: 2,
      seed: 0,
      vocoderIterations: 4,
    });
    assert.equal(r.runs.length, 2);
    for (const run of r.runs) {
      assert.ok(run.nfe <= 8);
      assert.equal(run.example.logMel.frames, sentences[0].logMel.frames);
      assert.ok(run.metrics.mcd > 0 && Number.isFinite(run.metrics.mcd));
      assert.ok(run.metrics.sc > 0 && Number.isFinite(run.metrics.sc));
      assert.ok(Number.isFinite(run.metrics.gap));
    }
    assert.ok(r.floors.priorMcd > 0 && r.floors.vocoderSc > 0);
  });
});

describe('TTS model folder', () => {
  it('lists every missing file and refuses a folder of another kind', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'tts-folder-'));
    try {
      await cp(embeddedTtsModelDir(), dir, { recursive: true });
      await rm(join(dir, 'decoder', 'model.onnx'));
      await rm(join(dir, 'tokenizer', 'phonemes.json'));
      await assert.rejects(loadTextToSpeechModel(dir), {
        code: 'MODEL_FOLDER',
        message: /missing: decoder\/model\.onnx, tokenizer\/phonemes\.json/,
      });
      const t2i = join(embeddedTtsModelDir(), '..', 'mnist-t2i');
      await assert.rejects(loadTextToSpeechModel(t2i), {
        code: 'MODEL_FOLDER',
      });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('reads a stressed variant the vocabulary lacks as the same phoneme', async () => {
    const known = [...model.phonemes.ids.keys()];
    const bare = known.find((t) => /^[a-zA-Z]/.test(t) && !known.includes(`,${t}`))!;
    assert.equal(knownVariant(`,${bare}`, model.phonemes), bare);
    assert.equal(knownVariant('Q9', model.phonemes), undefined);
  });
});
