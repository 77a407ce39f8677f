/** 16-bit PCM mono WAV files through wavefile (writing and, for the benchmark, reading). */
import wavefile from 'wavefile';
import { ConfigError } from '../core/errors.js';

/**
 * Samples in [−1, 1] (clipped) → the bytes of a 16-bit mono WAV file; `tags` go into a
 * LIST/INFO chunk (four-character ids such as ICMT, ASCII values).
 */
export function encodeWav(
  audio: ArrayLike<number>,
  sampleRate: number,
  tags: Readonly<Record<string, string>> = {},
): Uint8Array {
  const pcm = new Int16Array(audio.length);
  for (let i = 0; i < audio.length; i++) {
    const v = Math.max(-1, Math.min(1, audio[i]));
    pcm[i] = Math.round(v * 32767);
  }
  const wav = new wavefile.WaveFile();
  wav.fromScratch(1, sampleRate, '16', pcm);
  setTags(wav, tags);
  return wav.toBuffer();
}

function setTags(wav: wavefile.WaveFile, tags: Readonly<Record<string, string>>): void {
  for (const [id, value] of Object.entries(tags)) {
    if (!/^[A-Z0-9]{4}$/.test(id) || !/^[\x20-\x7e]*$/.test(value)) {
      throw new ConfigError(
        `WAV tag ${id} must be four capitals or digits with printable ASCII text`,
      );
    }
    wav.setTag(id, value);
  }
}

/** A WAV file's bytes with `tags` set in its LIST/INFO chunk (samples unchanged). */
export function withWavTags(bytes: Uint8Array, tags: Readonly<Record<string, string>>): Uint8Array {
  const wav = new wavefile.WaveFile();
  wav.fromBuffer(bytes);
  setTags(wav, tags);
  return wav.toBuffer();
}

export function isWav(bytes: Uint8Array): boolean {
  const head = Buffer.from(bytes.subarray(0, 12)).toString('latin1');
  return head.startsWith('RIFF') && head.slice(8) === 'WAVE';
}

/** The LIST/INFO tags of a WAV file (id → text); `label` names the file in errors. */
export function readWavTags(bytes: Uint8Array, label: string): Record<string, string> {
  const wav = new wavefile.WaveFile();
  try {
    wav.fromBuffer(bytes);
  } catch (err) {
    throw new ConfigError(`${label} is not a WAV file: ${(err as Error).message}`);
  }
  return wav.listTags() as Record<string, string>;
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
