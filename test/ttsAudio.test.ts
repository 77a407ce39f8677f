/**
 * The audio layer of text-to-speech, without a model: the log-mel is the training code's
 * (fixture from training/tts/make_mel_fixture.py), STFT round trips, Griffin–Lim recovers a
 * signal from its magnitude and is deterministic in its seed, the mel inversion explains the
 * mel, WAV headers, and the MCD on known differences.
 */
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { griffinLim, istft, melToLinear, spectralConvergence } from '../src/audio/griffinLim.js';
import {
  applyFilterbank,
  frameCount,
  hzToMel,
  logMel,
  magnitude,
  melFilterbank,
  melToHz,
  stft,
  TTS_MEL,
} from '../src/audio/mel.js';
import { decodeWav, encodeWav } from '../src/audio/wav.js';
import { melCepstralDistortion } from '../src/eval/speech.js';
import { FIXTURES } from './helpers/t2iFixtures.js';

const SR = TTS_MEL.sampleRate;

/** The fixture's signal (see training/tts/make_mel_fixture.py). */
function fixtureSignal(n: number): Float64Array {
  return Float64Array.from(
    { length: n },
    (_, i) =>
      0.5 * Math.sin((2 * Math.PI * 440 * i) / SR) +
      0.25 * Math.sin((2 * Math.PI * 3000 * i) / SR + 0.3) +
      0.1 * Math.sin(2 * Math.PI * (200 + (2000 * i) / n) * (i / SR)),
  );
}

function sine(freq: number, seconds: number, amp = 0.5): Float64Array {
  return Float64Array.from(
    { length: Math.round(seconds * SR) },
    (_, i) => amp * Math.sin((2 * Math.PI * freq * i) / SR),
  );
}

describe('log-mel features', () => {
  it('equal the training code’s log-mel of the same signal', async () => {
    const fx = JSON.parse(await readFile(join(FIXTURES, 'tts-mel.json'), 'utf8')) as {
      samples: number;
      shape: [number, number];
      logMel: number[];
    };
    const m = logMel(fixtureSignal(fx.samples));
    assert.deepEqual([m.rows, m.frames], fx.shape);
    let worst = 0;
    for (let i = 0; i < m.data.length; i++)
      worst = Math.max(worst, Math.abs(m.data[i] - fx.logMel[i]));
    assert.ok(worst < 1e-4, `largest difference ${worst}`);
  });

  it('uses the Slaney mel scale and puts a 1 kHz tone in the filter centred nearest 1 kHz', () => {
    assert.ok(Math.abs(hzToMel(1000) - 15) < 1e-12);
    for (const f of [50, 700, 1000, 4321, 8000])
      assert.ok(Math.abs(melToHz(hzToMel(f)) - f) < 1e-9);
    const m = logMel(sine(1000, 0.5));
    const t = Math.floor(m.frames / 2);
    let best = 0;
    for (let b = 1; b < m.rows; b++)
      if (m.data[b * m.frames + t] > m.data[best * m.frames + t]) best = b;
    const lo = hzToMel(0);
    const hi = hzToMel(8000);
    const centres = Array.from({ length: 80 }, (_, b) => melToHz(lo + ((hi - lo) * (b + 1)) / 81));
    const nearest = centres.reduce(
      (k, c, b) => (Math.abs(c - 1000) < Math.abs(centres[k] - 1000) ? b : k),
      0,
    );
    assert.ok(Math.abs(best - nearest) <= 1, `peak bin ${best}, nearest centre ${nearest}`);
  });

  it('has 1 + floor(N / hop) centred frames', () => {
    assert.equal(logMel(new Float64Array(10_000)).frames, frameCount(10_000));
    assert.equal(frameCount(10_000), 1 + Math.floor(10_000 / 256));
  });
});

describe('STFT and Griffin–Lim', () => {
  it('istft(stft(x)) gives x back', () => {
    const x = fixtureSignal(8192);
    const y = istft(stft(x));
    assert.equal(y.length, 8192);
    let err = 0;
    for (let i = 0; i < y.length; i++) err = Math.max(err, Math.abs(x[i] - y[i]));
    assert.ok(err < 1e-9, `max error ${err}`);
  });

  it('recovers a signal with the same magnitude spectrum from random phase', () => {
    const x = fixtureSignal(8192);
    const mag = magnitude(stft(x));
    const y = griffinLim(mag, { seed: 3, iterations: 40 });
    const sc = spectralConvergence(x, y);
    const scStart = spectralConvergence(x, griffinLim(mag, { seed: 3, iterations: 0 }));
    assert.ok(
      sc < 0.15 && sc < scStart / 3,
      `spectral convergence ${sc} (random phase ${scStart})`,
    );
  });

  it('is deterministic in its seed', () => {
    const mag = magnitude(stft(sine(300, 0.2)));
    const a = griffinLim(mag, { seed: 5, iterations: 4 });
    assert.deepEqual(a, griffinLim(mag, { seed: 5, iterations: 4 }));
    assert.notDeepEqual(a, griffinLim(mag, { seed: 6, iterations: 4 }));
  });

  it('the mel inversion explains the mel it came from', () => {
    const fb = melFilterbank();
    const mel = applyFilterbank(magnitude(stft(fixtureSignal(6000))), fb);
    const back = applyFilterbank(melToLinear(mel, TTS_MEL, 60), fb);
    let num = 0;
    let den = 0;
    for (let i = 0; i < mel.data.length; i++) {
      num += (mel.data[i] - back.data[i]) ** 2;
      den += mel.data[i] ** 2;
    }
    assert.ok(Math.sqrt(num / den) < 0.05, `relative error ${Math.sqrt(num / den)}`);
    assert.ok(melToLinear(mel).data.every((v) => v >= 0));
  });
});

describe('WAV files', () => {
  it('writes a 16-bit mono PCM header and reads the samples back', () => {
    const audio = Float64Array.from([0, 0.5, -0.5, 1, -1, 2, -3]);
    const bytes = encodeWav(audio, SR);
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const text = (o: number) => String.fromCharCode(...bytes.subarray(o, o + 4));
    assert.equal(text(0), 'RIFF');
    assert.equal(view.getUint32(4, true), bytes.length - 8);
    assert.equal(text(8), 'WAVE');
    assert.equal(text(12), 'fmt ');
    assert.equal(view.getUint16(20, true), 1); // PCM
    assert.equal(view.getUint16(22, true), 1); // mono
    assert.equal(view.getUint32(24, true), SR);
    assert.equal(view.getUint16(34, true), 16);
    assert.equal(text(36), 'data');
    assert.equal(view.getUint32(40, true), 2 * audio.length);
    assert.equal(bytes.length, 44 + 2 * audio.length);
    const back = decodeWav(bytes, 'test');
    assert.equal(back.sampleRate, SR);
    // Clipped to [−1, 1], then 16 bits.
    const expected = [0, 0.5, -0.5, 1, -1, 1, -1].map((v) => Math.round(v * 32767) / 32768);
    back.audio.forEach((v, i) => assert.ok(Math.abs(v - expected[i]) < 1e-9));
  });

  it('refuses what is not a WAV file', () => {
    assert.throws(() => decodeWav(new Uint8Array([1, 2, 3, 4]), 'junk.wav'), {
      code: 'BAD_CONFIG',
    });
  });
});

describe('mel cepstral distortion', () => {
  const base = logMel(fixtureSignal(6000));
  it('is 0 for the same spectrogram and ignores loudness (c0)', () => {
    assert.equal(melCepstralDistortion(base, base), 0);
    const louder = { ...base, data: base.data.map((v) => v + 1.5) };
    assert.ok(melCepstralDistortion(base, louder) < 1e-4);
  });

  it('is (10√2 / ln 10)·a for a difference of a along c1', () => {
    const a = 0.3;
    const n = base.rows;
    const data = Float32Array.from(base.data);
    for (let m = 0; m < n; m++) {
      const d = a * Math.sqrt(2 / n) * Math.cos((Math.PI * (2 * m + 1)) / (2 * n));
      for (let t = 0; t < base.frames; t++) data[m * base.frames + t] += d;
    }
    const mcd = melCepstralDistortion(base, { ...base, data });
    assert.ok(Math.abs(mcd - ((10 * Math.SQRT2) / Math.LN10) * a) < 1e-3, `MCD ${mcd}`);
  });

  it('refuses spectrograms of different lengths', () => {
    assert.throws(() => melCepstralDistortion(base, logMel(fixtureSignal(9000))), {
      code: 'SHAPE_MISMATCH',
    });
  });
});
