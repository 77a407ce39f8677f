/**
 * The log-mel features of the text-to-speech model, the same maths as
 * training/tts/mel.py (tested against it): periodic Hann window, centred frames with
 * reflect padding, |STFT|, Slaney mel filters with Slaney area normalisation, ln with a
 * floor. The filterbank is kept sparse (each filter spans a few FFT bins), which is what
 * makes the mel → linear inversion of the vocoder cheap.
 */
import FFT from 'fft.js';
import { InvalidOptionError } from '../core/errors.js';

export interface MelConfig {
  readonly sampleRate: number;
  readonly nFft: number;
  readonly hop: number;
  readonly nMels: number;
  readonly fmin: number;
  readonly fmax: number;
  /** log-mel = ln(max(mel, logFloor)). */
  readonly logFloor: number;
}

/** 22.05 kHz, n_fft 1024, hop 256, 80 bins, 0–8000 Hz, floor 1e-5 (training/README.md). */
export const TTS_MEL: MelConfig = Object.freeze({
  sampleRate: 22050,
  nFft: 1024,
  hop: 256,
  nMels: 80,
  fmin: 0,
  fmax: 8000,
  logFloor: 1e-5,
});

/** A spectrogram-like matrix [rows, frames], row-major. */
export interface Spectrogram {
  readonly rows: number;
  readonly frames: number;
  readonly data: Float32Array;
}

const F_SP = 200 / 3;
const MIN_LOG_HZ = 1000;
const MIN_LOG_MEL = MIN_LOG_HZ / F_SP;
const LOG_STEP = Math.log(6.4) / 27;

/** Slaney's mel scale: linear below 1 kHz, logarithmic above (librosa htk=False). */
export function hzToMel(f: number): number {
  return f >= MIN_LOG_HZ ? MIN_LOG_MEL + Math.log(f / MIN_LOG_HZ) / LOG_STEP : f / F_SP;
}

export function melToHz(m: number): number {
  return m >= MIN_LOG_MEL ? MIN_LOG_HZ * Math.exp(LOG_STEP * (m - MIN_LOG_MEL)) : F_SP * m;
}

/** One filter: weights for bins start .. start + weights.length − 1. */
export interface MelFilter {
  readonly start: number;
  readonly weights: Float64Array;
}

export function melFilterbank(cfg: MelConfig = TTS_MEL): MelFilter[] {
  const bins = cfg.nFft / 2 + 1;
  const lo = hzToMel(cfg.fmin);
  const hi = hzToMel(cfg.fmax);
  const pts = Array.from({ length: cfg.nMels + 2 }, (_, i) =>
    melToHz(lo + ((hi - lo) * i) / (cfg.nMels + 1)),
  );
  return Array.from({ length: cfg.nMels }, (_, m) => {
    const [a, c, b] = [pts[m], pts[m + 1], pts[m + 2]];
    const w = new Float64Array(bins);
    let first = -1;
    let last = -1;
    for (let k = 0; k < bins; k++) {
      const f = (k * cfg.sampleRate) / cfg.nFft;
      const v = Math.max(0, Math.min((f - a) / (c - a), (b - f) / (b - c))) * (2 / (b - a));
      w[k] = v;
      if (v > 0) {
        if (first < 0) first = k;
        last = k;
      }
    }
    return first < 0
      ? { start: 0, weights: new Float64Array(0) }
      : { start: first, weights: w.slice(first, last + 1) };
  });
}

/** Periodic Hann window (scipy/torch `periodic=True`). */
export function hannWindow(n: number): Float64Array {
  const w = new Float64Array(n);
  for (let i = 0; i < n; i++) w[i] = 0.5 - 0.5 * Math.cos((2 * Math.PI * i) / n);
  return w;
}

/** Frames of a centred STFT of `samples` samples. */
export function frameCount(samples: number, cfg: MelConfig = TTS_MEL): number {
  return 1 + Math.floor(samples / cfg.hop);
}

/** numpy 'reflect' padding by `pad` on both sides. */
function reflectPad(x: ArrayLike<number>, pad: number): Float64Array {
  const n = x.length;
  if (n <= pad) {
    throw new InvalidOptionError(`audio of ${n} samples is too short for a ${2 * pad}-point STFT`);
  }
  const out = new Float64Array(n + 2 * pad);
  for (let i = 0; i < n; i++) out[pad + i] = x[i];
  for (let i = 1; i <= pad; i++) {
    out[pad - i] = x[i];
    out[pad + n - 1 + i] = x[n - 1 - i];
  }
  return out;
}

/** Complex STFT, [frames][re, im interleaved over nFft/2 + 1 bins]. */
export function stft(audio: ArrayLike<number>, cfg: MelConfig = TTS_MEL): Float64Array[] {
  const n = cfg.nFft;
  const x = reflectPad(audio, n / 2);
  const win = hannWindow(n);
  const fft = new FFT(n);
  const frames = frameCount(audio.length, cfg);
  const buf = new Float64Array(n);
  const out = fft.createComplexArray();
  const result: Float64Array[] = [];
  for (let t = 0; t < frames; t++) {
    const o = t * cfg.hop;
    for (let i = 0; i < n; i++) buf[i] = x[o + i] * win[i];
    fft.realTransform(out, buf);
    result.push(Float64Array.from(out.slice(0, n + 2)));
  }
  return result;
}

/** |STFT| as [nFft/2 + 1, frames]. */
export function magnitude(spec: readonly Float64Array[], cfg: MelConfig = TTS_MEL): Spectrogram {
  const bins = cfg.nFft / 2 + 1;
  const frames = spec.length;
  const data = new Float32Array(bins * frames);
  for (let t = 0; t < frames; t++) {
    const s = spec[t];
    for (let k = 0; k < bins; k++) data[k * frames + t] = Math.hypot(s[2 * k], s[2 * k + 1]);
  }
  return { rows: bins, frames, data };
}

/** Apply the filterbank to a linear magnitude spectrogram → mel [nMels, frames]. */
export function applyFilterbank(lin: Spectrogram, fb: readonly MelFilter[]): Spectrogram {
  const { frames } = lin;
  const data = new Float32Array(fb.length * frames);
  fb.forEach((f, m) => {
    for (let t = 0; t < frames; t++) {
      let s = 0;
      for (let j = 0; j < f.weights.length; j++)
        s += f.weights[j] * lin.data[(f.start + j) * frames + t];
      data[m * frames + t] = s;
    }
  });
  return { rows: fb.length, frames, data };
}

/** Log-mel [nMels, 1 + floor(N / hop)] of audio in [−1, 1). */
export function logMel(audio: ArrayLike<number>, cfg: MelConfig = TTS_MEL): Spectrogram {
  const mel = applyFilterbank(magnitude(stft(audio, cfg), cfg), melFilterbank(cfg));
  for (let i = 0; i < mel.data.length; i++)
    mel.data[i] = Math.log(Math.max(mel.data[i], cfg.logFloor));
  return mel;
}
