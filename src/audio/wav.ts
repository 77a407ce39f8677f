/** 16-bit PCM mono WAV files through wavefile (writing and, for the benchmark, reading). */
import wavefile from 'wavefile';
import { ConfigError } from '../core/errors.js';

/** Samples in [−1, 1] (clipped) → the bytes of a 16-bit mono WAV file. */
export function encodeWav(audio: ArrayLike<number>, sampleRate: number): Uint8Array {
  const pcm = new Int16Array(audio.length);
  for (let i = 0; i < audio.length; i++) {
    const v = Math.max(-1, Math.min(1, audio[i]));
    pcm[i] = Math.round(v * 32767);
  }
  const wav = new wavefile.WaveFile();
  wav.fromScratch(1, sampleRate, '16', pcm);
  return wav.toBuffer();
}

export interface DecodedWav {
  readonly sampleRate: number;
  /** Samples scaled to [−1, 1) (int16 / 32768, as the training features). */
  readonly audio: Float64Array;
}

/** A 16-bit mono WAV file's samples; anything else is an error naming `label`. */
export function decodeWav(bytes: Uint8Array, label: string): DecodedWav {
  const wav = new wavefile.WaveFile();
  try {
    wav.fromBuffer(bytes);
  } catch (err) {
    throw new ConfigError(`${label} is not a WAV file: ${(err as Error).message}`);
  }
  const fmt = wav.fmt as { numChannels: number; sampleRate: number; bitsPerSample: number };
  if (fmt.numChannels !== 1 || fmt.bitsPerSample !== 16) {
    throw new ConfigError(
      `${label}: expected 16-bit mono, got ${fmt.bitsPerSample}-bit × ${fmt.numChannels} channels`,
    );
  }
  const raw = wav.getSamples(false, Float64Array) as unknown as Float64Array;
  return { sampleRate: fmt.sampleRate, audio: raw.map((v) => v / 32768) };
}
