/**
 * Speech distances between frame-aligned log-mel spectrograms.
 *
 * Mel cepstral distortion (MCD), as used here: per frame, the orthonormal DCT-II of the
 * natural-log mel spectrum over its bins, coefficients 1 … 13 (c0, the loudness, left
 * out), and MCD = (10·√2 / ln 10) · mean over frames of ‖c − c′‖₂, in dB. The frames are
 * aligned because both spectrograms follow the same phoneme timings. (This is the mel-
 * cepstrum of the log-mel features, not SPTK's all-pass mel-cepstrum.)
 */
import { ShapeError } from '../core/errors.js';
import type { Spectrogram } from '../audio/mel.js';

export const MCD_COEFFICIENTS = 13;
const MCD_FACTOR = (10 * Math.SQRT2) / Math.LN10;

/** Orthonormal DCT-II coefficients 1 … count of every frame → [count][frames]. */
export function melCepstrum(logMel: Spectrogram, count = MCD_COEFFICIENTS): Float64Array[] {
  const { rows: n, frames, data } = logMel;
  return Array.from({ length: count }, (_, j) => {
    const k = j + 1;
    const basis = Float64Array.from(
      { length: n },
      (_, m) => Math.sqrt(2 / n) * Math.cos((Math.PI * k * (2 * m + 1)) / (2 * n)),
    );
    const c = new Float64Array(frames);
    for (let m = 0; m < n; m++) {
      for (let t = 0; t < frames; t++) c[t] += basis[m] * data[m * frames + t];
    }
    return c;
  });
}

/** MCD in dB between two log-mel spectrograms of the same shape. */
export function melCepstralDistortion(a: Spectrogram, b: Spectrogram): number {
  if (a.rows !== b.rows || a.frames !== b.frames) {
    throw new ShapeError(`MCD: [${a.rows}, ${a.frames}] vs [${b.rows}, ${b.frames}] log-mels`);
  }
  const ca = melCepstrum(a);
  const cb = melCepstrum(b);
  let sum = 0;
  for (let t = 0; t < a.frames; t++) {
    let d = 0;
    for (let k = 0; k < ca.length; k++) d += (ca[k][t] - cb[k][t]) ** 2;
    sum += Math.sqrt(d);
  }
  return (MCD_FACTOR * sum) / a.frames;
}
