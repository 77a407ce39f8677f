/**
 * Load a text-to-speech model folder (training/tts/export_tts.py writes it):
 *   model_index.json, scheduler/scheduler_config.json,
 *   encoder/model.onnx   phoneme_ids [1, N] → mu [1, 80, N], log_durations [1, N]
 *   decoder/model.onnx   sample [B, 80, T], timestep [B], mu [B, 80, T] → out_sample
 *   decoder/config.json  the mel definition and the normalisation of the log-mel
 *   tokenizer/phonemes.json  espeak-ng voice, stress marks, phoneme vocabulary
 * Every file is looked for and every config checked before a network is loaded.
 */
import { stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import {
  loadSession,
  feed,
  type OnnxSession,
  staticDim,
  type SessionOptions,
  type Signature,
} from '../backends/onnx.js';
import type { MelConfig } from '../audio/mel.js';
import { ModelFolderError, ModelSignatureError, ShapeError } from '../core/errors.js';
import { parseSchedulerConfig, type ScheduleConfig } from '../schedules/config.js';
import { Tensor, assertFinite } from '../core/tensor.js';
import { readJsonFile } from './folder.js';

export const TTS_ENCODER_SIGNATURE: Signature = {
  inputs: [{ name: 'phoneme_ids', types: ['int64', 'int32'], ranks: [2] }],
  outputs: [
    { name: 'mu', types: ['float32'], ranks: [3] },
    { name: 'log_durations', types: ['float32'], ranks: [2] },
  ],
};

export const MEL_DECODER_SIGNATURE: Signature = {
  inputs: [
    { name: 'sample', types: ['float32'], ranks: [3] },
    { name: 'timestep', types: ['float32', 'int64'], ranks: [0, 1] },
    { name: 'mu', types: ['float32'], ranks: [3] },
  ],
  outputs: [{ name: 'out_sample', types: ['float32'], ranks: [3] }],
};

/** tokenizer/phonemes.json: how the front end runs espeak-ng and what the model reads. */
export interface PhonemeSet {
  readonly voice: string;
  readonly stressMarks: string;
  /** Tokens appended after every clause (espeak-ng's pause and end-of-clause events). */
  readonly clauseEnd: readonly string[];
  /** Token → id; id 0 is padding. */
  readonly ids: ReadonlyMap<string, number>;
}

export interface MelNormalisation {
  readonly mel: MelConfig;
  /** Per-bin mean and standard deviation of the log-mel: the decoder works on (x − mean)/std. */
  readonly mean: Float32Array;
  readonly std: Float32Array;
}

export interface PhonemeEncoding {
  /** μ per phoneme [nMels, N], normalised space. */
  readonly mu: Float32Array;
  /** Predicted frames per phoneme (log(1 + frames) from the network, rounded, ≥ 0). */
  readonly frames: number[];
}

export class TtsEncoderModel {
  private constructor(private readonly session: OnnxSession) {}

  static async load(path: string, opts: SessionOptions = {}): Promise<TtsEncoderModel> {
    return new TtsEncoderModel(await loadSession(path, 'tts encoder', TTS_ENCODER_SIGNATURE, opts));
  }

  get nMels(): number | undefined {
    return staticDim(this.session.output('mu')!, 1);
  }

  async encode(ids: readonly number[]): Promise<PhonemeEncoding> {
    const n = ids.length;
    const out = await this.session.run(
      { phoneme_ids: feed(this.session.input('phoneme_ids')!, ids, [1, n]) },
      ['mu', 'log_durations'],
    );
    if (out.mu.dims[2] !== n || out.log_durations.dims[1] !== n) {
      throw new ShapeError(`tts encoder: outputs do not have ${n} phonemes`);
    }
    assertFinite(new Tensor(out.mu.data, out.mu.dims), 'tts encoder mu');
    const frames = Array.from(out.log_durations.data, (v) =>
      Math.max(0, Math.round(Math.expm1(v))),
    );
    return { mu: out.mu.data, frames };
  }

  release(): Promise<void> {
    return this.session.release();
  }
}

export class MelDecoderModel {
  networkMs = 0;

  private constructor(private readonly session: OnnxSession) {}

  static async load(path: string, opts: SessionOptions = {}): Promise<MelDecoderModel> {
    return new MelDecoderModel(await loadSession(path, 'mel decoder', MEL_DECODER_SIGNATURE, opts));
  }

  get nMels(): number | undefined {
    return staticDim(this.session.input('sample')!, 1);
  }

  /** ε for a batch [B, nMels, T] at one timestep, conditioned on mu [B, nMels, T]. */
  async run(sample: Tensor, timestep: number, mu: Tensor): Promise<Tensor> {
    if (mu.shape.some((d, i) => d !== sample.shape[i]) || mu.shape.length !== 3) {
      throw new ShapeError(
        `mel decoder: mu [${mu.shape.join(', ')}] ≠ sample [${sample.shape.join(', ')}]`,
      );
    }
    const tInfo = this.session.input('timestep')!;
    const tDims = tInfo.shape.length === 0 ? [] : [sample.batch];
    const t0 = performance.now();
    const out = (
      await this.session.run(
        {
          sample: feed(this.session.input('sample')!, sample.data, sample.shape),
          timestep: feed(tInfo, new Array<number>(tDims[0] ?? 1).fill(timestep), tDims),
          mu: feed(this.session.input('mu')!, mu.data, mu.shape),
        },
        ['out_sample'],
      )
    ).out_sample;
    this.networkMs += performance.now() - t0;
    if (out.dims.length !== 3 || out.dims.some((d, i) => d !== sample.shape[i])) {
      throw new ShapeError(
        `mel decoder: out_sample [${out.dims.join(', ')}] for a sample of [${sample.shape.join(', ')}]`,
      );
    }
    return new Tensor(out.data, sample.shape);
  }

  release(): Promise<void> {
    return this.session.release();
  }
}

export interface TextToSpeechModel {
  readonly dir: string;
  readonly schedule: ScheduleConfig;
  readonly phonemes: PhonemeSet;
  readonly norm: MelNormalisation;
  readonly encoder: TtsEncoderModel;
  readonly decoder: MelDecoderModel;
  release(): Promise<void>;
}

const FILES = [
  'model_index.json',
  'scheduler/scheduler_config.json',
  'encoder/model.onnx',
  'decoder/model.onnx',
  'decoder/config.json',
  'tokenizer/phonemes.json',
];

function object(v: unknown, what: string): Record<string, unknown> {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) {
    throw new ModelFolderError(`${what} must be a JSON object`);
  }
  return v as Record<string, unknown>;
}

function numbers(v: unknown, n: number, what: string): Float32Array {
  if (!Array.isArray(v) || v.length !== n || !v.every((x) => Number.isFinite(x))) {
    throw new ModelFolderError(`${what} must be ${n} finite numbers`);
  }
  return Float32Array.from(v as number[]);
}

function positive(v: unknown, what: string): number {
  if (typeof v !== 'number' || !(v > 0)) throw new ModelFolderError(`${what} must be > 0`);
  return v;
}

/**
 * Mel bounds: a WAV below 8 kHz is not speech anyone can hear; n_fft above 8192 (and a hop
 * longer than the window) only allocate. The hop is bounded by n_fft.
 */
export const MEL_BOUNDS = {
  sampleRate: [8000, 192000],
  nFft: [16, 8192],
  nMels: [1, 512],
} as const;

async function readNormalisation(path: string): Promise<MelNormalisation> {
  const cfg = object(await readJsonFile(path), path);
  const m = object(cfg.mel, `${path} "mel"`);
  const mel: MelConfig = {
    sampleRate: positive(m.sample_rate, `${path} mel.sample_rate`),
    nFft: positive(m.n_fft, `${path} mel.n_fft`),
    hop: positive(m.hop_length, `${path} mel.hop_length`),
    nMels: positive(m.n_mels, `${path} mel.n_mels`),
    fmin: typeof m.fmin === 'number' ? m.fmin : NaN,
    fmax: positive(m.fmax, `${path} mel.fmax`),
    logFloor: positive(m.log_floor, `${path} mel.log_floor`),
  };
  if (!(mel.fmin >= 0 && mel.fmin < mel.fmax) || Math.log2(mel.nFft) % 1 !== 0) {
    throw new ModelFolderError(`${path}: need 0 ≤ fmin < fmax and a power-of-two n_fft`);
  }
  for (const [key, value, [lo, hi]] of [
    ['sample_rate', mel.sampleRate, MEL_BOUNDS.sampleRate],
    ['n_fft', mel.nFft, MEL_BOUNDS.nFft],
    ['hop_length', mel.hop, [1, mel.nFft]],
    ['n_mels', mel.nMels, MEL_BOUNDS.nMels],
  ] as const) {
    if (!Number.isInteger(value) || value < lo || value > hi) {
      throw new ModelFolderError(
        `${path}: mel.${key} must be an integer in [${lo}, ${hi}], got ${value}`,
      );
    }
  }
  if (mel.fmax > mel.sampleRate / 2) {
    throw new ModelFolderError(`${path}: mel.fmax ${mel.fmax} is above the Nyquist frequency`);
  }
  return {
    mel,
    mean: numbers(cfg.mel_mean, mel.nMels, `${path} mel_mean`),
    std: numbers(cfg.mel_std, mel.nMels, `${path} mel_std`),
  };
}

async function readPhonemes(path: string): Promise<PhonemeSet> {
  const cfg = object(await readJsonFile(path), path);
  const vocab = cfg.vocab;
  if (!Array.isArray(vocab) || !vocab.every((t) => typeof t === 'string') || vocab.length < 2) {
    throw new ModelFolderError(`${path}: "vocab" must be a list of phoneme strings`);
  }
  const clauseEnd = cfg.clause_end;
  if (!Array.isArray(clauseEnd) || !clauseEnd.every((t) => vocab.includes(t))) {
    throw new ModelFolderError(`${path}: "clause_end" must list tokens of the vocabulary`);
  }
  if (typeof cfg.voice !== 'string' || typeof cfg.stress_marks !== 'string') {
    throw new ModelFolderError(`${path}: "voice" and "stress_marks" must be strings`);
  }
  return {
    voice: cfg.voice,
    stressMarks: cfg.stress_marks,
    clauseEnd: clauseEnd as string[],
    ids: new Map((vocab as string[]).map((t, i) => [t, i])),
  };
}

export async function loadTextToSpeechModel(
  dirIn: string,
  opts: SessionOptions & { readonly warn?: (m: string) => void } = {},
): Promise<TextToSpeechModel> {
  const dir = resolve(dirIn);
  if (!(await stat(dir).catch(() => undefined))?.isDirectory()) {
    throw new ModelFolderError(`model folder ${dir} does not exist or is not a folder`);
  }
  const missing: string[] = [];
  for (const f of FILES) {
    if (!(await stat(join(dir, f)).catch(() => undefined))?.isFile()) missing.push(f);
  }
  if (missing.length > 0) {
    throw new ModelFolderError(`model folder ${dir} is incomplete; missing: ${missing.join(', ')}`);
  }
  const index = object(await readJsonFile(join(dir, 'model_index.json')), 'model_index.json');
  if (index._class_name !== 'DiffierTextToSpeechPipeline') {
    throw new ModelFolderError(
      `${dir} is a ${String(index._class_name)} folder, not a DiffierTextToSpeechPipeline`,
    );
  }
  const schedule = parseSchedulerConfig(
    await readJsonFile(join(dir, 'scheduler', 'scheduler_config.json')),
    { warn: opts.warn },
  );
  const norm = await readNormalisation(join(dir, 'decoder', 'config.json'));
  const phonemes = await readPhonemes(join(dir, 'tokenizer', 'phonemes.json'));
  const encoder = await TtsEncoderModel.load(join(dir, 'encoder', 'model.onnx'), opts);
  let decoder: MelDecoderModel | undefined;
  try {
    decoder = await MelDecoderModel.load(join(dir, 'decoder', 'model.onnx'), opts);
    const n = norm.mel.nMels;
    const bad = [encoder.nMels, decoder.nMels].filter((d) => d !== undefined && d !== n);
    if (bad.length > 0) {
      throw new ModelSignatureError(
        `${dir}: the networks' mel bins (${bad.join(', ')}) ≠ n_mels ${n} of decoder/config.json`,
      );
    }
  } catch (err) {
    await encoder.release();
    await decoder?.release();
    throw err;
  }
  const dec = decoder;
  return {
    dir,
    schedule,
    phonemes,
    norm,
    encoder,
    decoder: dec,
    release: async () => {
      await encoder.release();
      await dec.release();
    },
  };
}
