/**
 * The vocoder: mel → linear magnitude (non-negative least squares against the mel
 * filterbank, by multiplicative updates) → waveform by fast Griffin–Lim (Perraudin et al.
 * 2013, momentum 0.99 as librosa's default). The starting phase comes from a seeded
 * stream, so the same seed gives the same samples.
 */
import FFT from 'fft.js';
import { RandomStream } from '../core/random.js';
import {
  applyFilterbank,
  hannWindow,
  magnitude,
  melFilterbank,
  stft,
  TTS_MEL,
  type MelConfig,
  type MelFilter,
  type Spectrogram,
} from './mel.js';

const EPS = 1e-10;

/** Transpose of the filterbank applied to a mel spectrogram → [bins, frames]. */
function filterbankTranspose(
  mel: Spectrogram,
  fb: readonly MelFilter[],
  bins: number,
): Spectrogram {
  const { frames } = mel;
  const data = new Float32Array(bins * frames);
  fb.forEach((f, m) => {
    for (let j = 0; j < f.weights.length; j++) {
      const row = (f.start + j) * frames;
      for (let t = 0; t < frames; t++) data[row + t] += f.weights[j] * mel.data[m * frames + t];
    }
  });
  return { rows: bins, frames, data };
}

/**
 * The non-negative linear magnitude S that best explains `mel` (≈ argmin ‖FB·S − mel‖²,
 * S ≥ 0; Lee–Seung multiplicative updates from FBᵀ·mel). Bins no filter covers stay 0.
 */
export function melToLinear(
  mel: Spectrogram,
  cfg: MelConfig = TTS_MEL,
  iterations = 30,
): Spectrogram {
  const fb = melFilterbank(cfg);
  const bins = cfg.nFft / 2 + 1;
  const target = filterbankTranspose(mel, fb, bins);
  const s = { rows: bins, frames: mel.frames, data: Float32Array.from(target.data) };
  for (let it = 0; it < iterations; it++) {
    const denom = filterbankTranspose(applyFilterbank(s, fb), fb, bins);
    for (let i = 0; i < s.data.length; i++) {
      s.data[i] = (s.data[i] * target.data[i]) / (denom.data[i] + EPS);
    }
  }
  return s;
}

/** Inverse of the centred STFT (windowed overlap-add, window-square normalised). */
export function istft(spec: readonly Float64Array[], cfg: MelConfig = TTS_MEL): Float64Array {
  const n = cfg.nFft;
  const { hop } = cfg;
  const frames = spec.length;
  const win = hannWindow(n);
  const fft = new FFT(n);
  const full = fft.createComplexArray();
  const out = fft.createComplexArray();
  const len = n + hop * (frames - 1);
  const y = new Float64Array(len);
  const norm = new Float64Array(len);
  for (let t = 0; t < frames; t++) {
    const s = spec[t];
    for (let k = 0; k <= n / 2; k++) {
      full[2 * k] = s[2 * k];
      full[2 * k + 1] = s[2 * k + 1];
    }
    for (let k = n / 2 + 1; k < n; k++) {
      full[2 * k] = s[2 * (n - k)];
      full[2 * k + 1] = -s[2 * (n - k) + 1];
    }
    fft.inverseTransform(out, full);
    const o = t * hop;
    for (let i = 0; i < n; i++) {
      y[o + i] += out[2 * i] * win[i];
      norm[o + i] += win[i] * win[i];
    }
  }
  const samples = hop * (frames - 1);
  const audio = new Float64Array(samples);
  for (let i = 0; i < samples; i++) {
    const j = i + n / 2;
    audio[i] = norm[j] > EPS ? y[j] / norm[j] : 0;
  }
  return audio;
}

export interface GriffinLimOptions {
  readonly iterations?: number;
  readonly momentum?: number;
  /** Key of the random stream of the starting phase. */
  readonly seed: number;
}

/** A waveform of (frames − 1)·hop samples whose |STFT| approximates `mag` [bins, frames]. */
export function griffinLim(
  mag: Spectrogram,
  opts: GriffinLimOptions,
  cfg: MelConfig = TTS_MEL,
): Float64Array {
  const iterations = opts.iterations ?? 32;
  const alpha = (opts.momentum ?? 0.99) / (1 + (opts.momentum ?? 0.99));
  const { frames } = mag;
  const bins = cfg.nFft / 2 + 1;
  const rng = new RandomStream(opts.seed);
  // Unit phases [frames][re, im].
  let angles = Array.from({ length: frames }, () => {
    const a = new Float64Array(2 * bins);
    for (let k = 0; k < bins; k++) {
      const phi = 2 * Math.PI * rng.uniform();
      a[2 * k] = Math.cos(phi);
      a[2 * k + 1] = Math.sin(phi);
    }
    return a;
  });
  const withMagnitude = (ang: readonly Float64Array[]) =>
    ang.map((a, t) => {
      const s = new Float64Array(2 * bins);
      for (let k = 0; k < bins; k++) {
        const m = mag.data[k * frames + t];
        s[2 * k] = m * a[2 * k];
        s[2 * k + 1] = m * a[2 * k + 1];
      }
      return s;
    });
  let prev: Float64Array[] | undefined;
  for (let it = 0; it < iterations; it++) {
    const rebuilt = stft(istft(withMagnitude(angles), cfg), cfg);
    angles = rebuilt.map((r, t) => {
      const a = new Float64Array(2 * bins);
      for (let k = 0; k < 2 * bins; k += 2) {
        const re = r[k] - (prev ? alpha * prev[t][k] : 0);
        const im = r[k + 1] - (prev ? alpha * prev[t][k + 1] : 0);
        const m = Math.hypot(re, im) + EPS;
        a[k] = re / m;
        a[k + 1] = im / m;
      }
      return a;
    });
    prev = rebuilt;
  }
  return istft(withMagnitude(angles), cfg);
}

/** Spectral convergence ‖|S_ref| − |S|‖_F / ‖|S_ref|‖_F over the common frames. */
export function spectralConvergence(
  reference: ArrayLike<number>,
  audio: ArrayLike<number>,
  cfg: MelConfig = TTS_MEL,
): number {
  const a = magnitude(stft(reference, cfg), cfg);
  const b = magnitude(stft(audio, cfg), cfg);
  const frames = Math.min(a.frames, b.frames);
  let num = 0;
  let den = 0;
  for (let k = 0; k < a.rows; k++) {
    for (let t = 0; t < frames; t++) {
      const r = a.data[k * a.frames + t];
      const d = r - b.data[k * b.frames + t];
      num += d * d;
      den += r * r;
    }
  }
  return Math.sqrt(num / den);
}
