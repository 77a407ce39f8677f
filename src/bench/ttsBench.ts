/**
 * The text-to-speech benchmark: methods × w at a matched NFE budget on the held-out
 * sentences of bench/tts/ (never trained on), with espeak-ng's own timings, so that every
 * generated spectrogram is frame-aligned with espeak-ng's rendering:
 *
 * - mcd: mel cepstral distortion (eval/speech.ts) of each generated log-mel against the
 *   log-mel of espeak-ng's WAV, mean over sentences and samples;
 * - sc: spectral convergence of the vocoded sample 0 against espeak-ng's WAV;
 * - training, gap, condGap, driftGap: the gap monitor's accumulated figures, mean over
 *   sentences (the training gap is per sample; the KSD gaps need n ≥ 2 samples per sentence).
 * Floors: "prior μ" scores the encoder's μ alone (no diffusion); "reference + Griffin–Lim"
 * scores espeak-ng's own mel through the vocoder (what the vocoder alone loses in sc).
 * Sentence j's noise is keyed by (seed, j), the same for every method and w.
 */
import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { spectralConvergence } from '../audio/griffinLim.js';
import { logMel, type Spectrogram } from '../audio/mel.js';
import { decodeWav } from '../audio/wav.js';
import { ConfigError, InvalidOptionError } from '../core/errors.js';
import { melCepstralDistortion } from '../eval/speech.js';
import { readJsonFile } from '../models/folder.js';
import { packageRoot } from '../models/embedded.js';
import type { MethodChoice } from '../methods/registry.js';
import type { OptionValue } from '../methods/types.js';
import type { TextToSpeechModel } from '../models/ttsModel.js';
import { planRun, type RunPlan } from '../pipelines/run.js';
import { checkGrid, runGrid } from './grid.js';
import { denormalise, expandPrior, sampleMel, vocode } from '../pipelines/textToSpeech.js';
import { streamKey } from '../core/random.js';
import { Tensor } from '../core/tensor.js';
import { knownVariant } from '../tts/frontend.js';
import { budgetOf } from '../run/budget.js';
import { defaultSamplerName } from '../samplers/index.js';

export function heldOutFile(): string {
  return join(packageRoot(), 'bench', 'tts', 'heldout.json');
}

export interface HeldOutSentence {
  readonly text: string;
  readonly ids: number[];
  readonly durations: number[];
  readonly audio: Float64Array;
  readonly logMel: Spectrogram;
}

/** Read bench/tts/heldout.json and its WAVs; the timings must cover each rendering's frames. */
export async function loadHeldOut(
  model: TextToSpeechModel,
  file = heldOutFile(),
  count?: number,
): Promise<HeldOutSentence[]> {
  const doc = (await readJsonFile(file)) as { items?: unknown };
  if (!Array.isArray(doc.items)) throw new ConfigError(`${file}: "items" must be a list`);
  const items = doc.items.slice(0, count) as {
    text: string;
    tokens: string[];
    durations: number[];
    wav: string;
  }[];
  const out: HeldOutSentence[] = [];
  for (const it of items) {
    const ids = it.tokens.map((t) => {
      const v = knownVariant(t, model.phonemes);
      if (v === undefined) throw new ConfigError(`${file}: phoneme ${t} is not in the model`);
      return model.phonemes.ids.get(v)!;
    });
    const path = join(dirname(file), it.wav);
    const wav = decodeWav(await readFile(path), path);
    if (wav.sampleRate !== model.norm.mel.sampleRate) {
      throw new ConfigError(
        `${path}: ${wav.sampleRate} Hz, the model is ${model.norm.mel.sampleRate} Hz`,
      );
    }
    const mel = logMel(wav.audio, model.norm.mel);
    if (
      it.durations.reduce((a, b) => a + b, 0) !== mel.frames ||
      it.durations.length !== ids.length
    ) {
      throw new ConfigError(`${file}: the timings of "${it.text}" do not match its WAV`);
    }
    out.push({ text: it.text, ids, durations: it.durations, audio: wav.audio, logMel: mel });
  }
  if (out.length === 0) throw new InvalidOptionError('no held-out sentences selected');
  return out;
}

export interface TtsMetrics {
  readonly mcd: number;
  readonly sc: number;
  readonly training: number;
  readonly gap: number;
  readonly condGap: number;
  readonly driftGap: number;
}

export interface TtsRun {
  readonly method: string;
  readonly options: Readonly<Record<string, OptionValue>>;
  readonly w: number;
  readonly steps: number;
  readonly nfe: number;
  readonly metrics: TtsMetrics;
  /** Per sentence: mcd (mean over samples), sc (sample 0). */
  readonly sentences: readonly { mcd: number; sc: number; training: number; driftGap: number }[];
  /** Sentence 0, sample 0: log-mel and audio (for plots and listening). */
  readonly example: { logMel: Spectrogram; audio: Float64Array };
  readonly sampleMs: number;
}

export interface TtsBenchOptions {
  readonly model: TextToSpeechModel;
  readonly sentences: readonly HeldOutSentence[];
  readonly methods: readonly MethodChoice[];
  readonly ws: readonly number[];
  readonly nfe?: number;
  readonly steps?: number;
  /** Samples per sentence (≥ 2 for the KSD gap). */
  readonly n: number;
  readonly seed: number;
  readonly sampler?: string;
  readonly vocoderIterations?: number;
  readonly signal?: AbortSignal;
  readonly onSentence?: (label: string) => void;
}

export interface TtsBenchResult {
  readonly benchmark: 'tts';
  readonly settings: Record<string, unknown>;
  readonly floors: { priorMcd: number; vocoderSc: number };
  readonly reference: { logMel: Spectrogram; audio: Float64Array; prior: Spectrogram };
  readonly sentences: readonly string[];
  readonly runs: readonly TtsRun[];
}

const mean = (xs: readonly number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;

/** Per sentence of one cell: the figures behind a run's metrics. */
interface TtsSentenceScore {
  readonly mcd: number;
  readonly sc: number;
  readonly training: number;
  readonly gap: number;
  readonly condGap: number;
  readonly driftGap: number;
}

/** Floors: the prior alone, and the vocoder on espeak-ng's own mel. */
async function ttsFloors(opts: TtsBenchOptions, glSeed: (j: number) => number) {
  const { model, sentences } = opts;
  const nMels = model.norm.mel.nMels;
  const priors: Spectrogram[] = [];
  for (const s of sentences) {
    const enc = await model.encoder.encode(s.ids);
    const mu = expandPrior(enc.mu, s.durations, nMels);
    priors.push(denormalise(model, new Tensor(mu, [1, nMels, s.logMel.frames])));
  }
  const priorMcd = mean(sentences.map((s, j) => melCepstralDistortion(priors[j], s.logMel)));
  const vocoderSc = mean(
    sentences.map((s, j) =>
      spectralConvergence(s.audio, vocode(model, s.logMel, glSeed(j), opts.vocoderIterations)),
    ),
  );
  return { priors, priorMcd, vocoderSc };
}

/** One cell's sampling: every sentence scored, sentence 0's sample 0 kept. */
interface TtsCellRun {
  readonly per: TtsSentenceScore[];
  readonly example: TtsRun['example'];
  readonly nfe: number;
  readonly ms: number;
}

/** Sample and score every sentence with one cell's plan. */
async function ttsCell(
  opts: TtsBenchOptions,
  glSeed: (j: number) => number,
  plan: RunPlan,
  tick: (label: string) => void,
): Promise<TtsCellRun> {
  const { model, n } = opts;
  const per: TtsSentenceScore[] = [];
  let example: TtsRun['example'] | undefined;
  let nfe = 0;
  const t0 = performance.now();
  for (const [j, s] of opts.sentences.entries()) {
    const r = await sampleMel(model, s.ids, {
      plan,
      n,
      seed: streamKey(opts.seed, j),
      frames: s.durations,
      signal: opts.signal,
    });
    const mels = Array.from({ length: n }, (_, i) => denormalise(model, r.x, i));
    const audio = vocode(model, mels[0], glSeed(j), opts.vocoderIterations);
    per.push({
      mcd: mean(mels.map((m) => melCepstralDistortion(m, s.logMel))),
      sc: spectralConvergence(s.audio, audio, model.norm.mel),
      training: r.gap.training,
      gap: r.gap.gap,
      condGap: r.gap.condGap,
      driftGap: r.gap.driftGap,
    });
    if (j === 0) example = { logMel: mels[0], audio };
    nfe = Math.max(nfe, r.nfe);
    tick(`${r.method} w=${plan.w} sentence ${j + 1}`);
  }
  return { per, example: example!, nfe, ms: performance.now() - t0 };
}

/** A cell's row: the means over sentences. */
function ttsRow(plan: RunPlan, { per, example, nfe, ms }: TtsCellRun): TtsRun {
  return {
    method: plan.resolved.spec.name,
    options: plan.resolved.options,
    w: plan.w,
    steps: plan.steps,
    nfe,
    metrics: {
      mcd: mean(per.map((p) => p.mcd)),
      sc: mean(per.map((p) => p.sc)),
      training: mean(per.map((p) => p.training)),
      gap: mean(per.map((p) => p.gap)),
      condGap: mean(per.map((p) => p.condGap)),
      driftGap: mean(per.map((p) => p.driftGap)),
    },
    sentences: per.map((p) => ({
      mcd: p.mcd,
      sc: p.sc,
      training: p.training,
      driftGap: p.driftGap,
    })),
    example,
    sampleMs: ms,
  };
}

/** methods × w on the grid runner: each cell samples and scores every sentence. */
export async function runTtsBench(opts: TtsBenchOptions): Promise<TtsBenchResult> {
  const { model, sentences } = opts;
  budgetOf(opts); // exactly one of steps and nfe
  checkGrid(opts.methods, opts.ws);
  const glSeed = (j: number) => streamKey(opts.seed, 0x10000 + j);
  const { priors, priorMcd, vocoderSc } = await ttsFloors(opts, glSeed);
  return runGrid<RunPlan, TtsCellRun, TtsRun, TtsBenchResult>(
    {
      methods: opts.methods,
      ws: opts.ws,
      plan: ({ method, w }) =>
        planRun(model.schedule, {
          method,
          w,
          nfe: opts.nfe,
          steps: opts.steps,
          sampler: opts.sampler,
        }),
      runOne: (_cell, plan, tick) => ttsCell(opts, glSeed, plan, tick),
      score: (_cell, plan, run) => ttsRow(plan, run),
      report: (runs) => ({
        benchmark: 'tts',
        settings: {
          methods: opts.methods.map((m) => m.name),
          ws: opts.ws,
          nfe: opts.nfe ?? null,
          steps: opts.steps ?? null,
          n: opts.n,
          seed: opts.seed,
          // What ran: without a name the model's scheduler class picks it (samplers/names.ts).
          sampler: opts.sampler ?? defaultSamplerName(model.schedule),
          vocoderIterations: opts.vocoderIterations ?? 32,
          sentences: sentences.length,
        },
        floors: { priorMcd, vocoderSc },
        reference: { logMel: sentences[0].logMel, audio: sentences[0].audio, prior: priors[0] },
        sentences: sentences.map((s) => s.text),
        runs,
      }),
    },
    { signal: opts.signal, onProgress: opts.onSentence },
  );
}
