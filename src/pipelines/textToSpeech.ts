/**
 * Text to speech: split the text into sentences, phonemise each with espeak-ng, encode
 * (prior μ per phoneme + durations), expand μ to frames, sample the mel spectrogram with a
 * named method of the registry (the decoder's text condition is μ, its null condition
 * μ = 0), undo the normalisation and vocode with Griffin–Lim. The run plan (method,
 * sampler, steps from --nfe) and the gap monitor are those of text-to-image.
 */
import { melToLinear, griffinLim } from '../audio/griffinLim.js';
import type { Spectrogram } from '../audio/mel.js';
import type { GapStep, GapSummary } from '../monitors/gapMonitor.js';
import type { MethodChoice } from '../methods/registry.js';
import type { OptionValue } from '../methods/types.js';
import type { TextToSpeechModel } from '../models/ttsModel.js';
import { UnetDenoiser } from '../denoisers/unetDenoiser.js';
import { runSampling } from '../run/runner.js';
import { type StepPayload } from '../core/observer.js';
import type { SamplerOptions } from '../samplers/index.js';
import { checkSeed, streamKey } from '../core/random.js';
import { Tensor } from '../core/tensor.js';
import { phonemize, type Phonemized } from '../tts/frontend.js';
import { checkText, splitSentences } from '../tts/text.js';
import { planRun, type RunPlan } from './run.js';

export const DEFAULT_TTS_STEPS = 30;
/** Silence between sentences, seconds. */
export const SENTENCE_GAP_S = 0.25;
/** Griffin–Lim needs a few frames; a shorter utterance gets its last phoneme lengthened. */
const MIN_FRAMES = 8;

export interface MelSamplingOptions {
  readonly method?: MethodChoice;
  /** Guidance weight on the text condition (1 = none). Default 3. */
  readonly w?: number;
  readonly steps?: number;
  readonly nfe?: number;
  readonly seed?: number;
  readonly sampler?: string;
  readonly samplerOptions?: SamplerOptions;
  /**
   * Samples drawn of the same utterance (default 1); the first is the one returned or
   * spoken. The KSD gaps need ≥ 2; every method is per sample, so item 0 does not depend on n.
   */
  readonly n?: number;
  readonly ksdItems?: number;
  readonly signal?: AbortSignal;
  readonly onStep?: (payload: StepPayload) => void;
  /** The run's plan, when the caller made it already (`planRun`): not planned again. */
  readonly plan?: RunPlan;
}

export interface MelSample {
  /** Normalised log-mel samples [n, nMels, T] (what the decoder works on). */
  readonly x: Tensor;
  /** Frames per phoneme used. */
  readonly frames: readonly number[];
  readonly method: string;
  readonly options: Readonly<Record<string, OptionValue>>;
  readonly w: number;
  readonly steps: number;
  /** Samples drawn. */
  readonly n: number;
  /** Network evaluations per sample. */
  readonly nfe: number;
  readonly networkCalls: number;
  readonly gap: GapSummary;
  readonly gapSteps: readonly GapStep[];
}

/** μ per phoneme [nMels, N] repeated frames[i] times → [nMels, Σ frames]. */
export function expandPrior(
  mu: Float32Array,
  frames: readonly number[],
  nMels: number,
): Float32Array {
  const n = frames.length;
  const total = frames.reduce((a, b) => a + b, 0);
  const out = new Float32Array(nMels * total);
  for (let m = 0; m < nMels; m++) {
    let t = 0;
    for (let p = 0; p < n; p++) {
      out.fill(mu[m * n + p], m * total + t, m * total + t + frames[p]);
      t += frames[p];
    }
  }
  return out;
}

/**
 * Sample the mel spectrogram of one phoneme sequence. `frames` (the reference timings of a
 * benchmark) replaces the duration predictor's. Item i's noise depends only on (seed, i).
 */
export async function sampleMel(
  model: TextToSpeechModel,
  ids: readonly number[],
  opts: MelSamplingOptions & { readonly frames?: readonly number[] },
): Promise<MelSample> {
  const seed = checkSeed(opts.seed ?? 0);
  const n = opts.n ?? 1;
  const plan =
    opts.plan ??
    (await planRun(model.schedule, {
      ...opts,
      steps: opts.steps ?? (opts.nfe ? undefined : DEFAULT_TTS_STEPS),
    }));
  const enc = await model.encoder.encode(ids);
  const frames = [...(opts.frames ?? enc.frames)];
  const total = frames.reduce((a, b) => a + b, 0);
  if (total < MIN_FRAMES) frames[frames.length - 1] += MIN_FRAMES - total;
  const nMels = model.norm.mel.nMels;
  const T = Math.max(total, MIN_FRAMES);
  const mu = new Tensor(expandPrior(enc.mu, frames, nMels), [1, nMels, T]);
  const network = {
    itemShape: [nMels, T],
    conditionChannels: 0,
    run: (x: Tensor, t: number, ctx?: Tensor) => model.decoder.run(x, t, ctx!),
  };
  const nullMu = Tensor.zeros([1, nMels, T]);
  const denoiser = new UnetDenoiser(
    network,
    { context: mu },
    { context: nullMu },
    {
      predictionType: model.schedule.predictionType,
    },
  );
  const result = await runSampling({
    denoiser,
    method: plan.method,
    sampler: plan.sampler,
    levels: plan.levels,
    landings: plan.landings,
    initialScale: plan.initialScale,
    n,
    seed,
    gap: { ksdItems: opts.ksdItems },
    onStep: opts.onStep ? [opts.onStep] : [],
    signal: opts.signal,
  });
  const monitor = result.monitor!;
  return {
    x: result.x,
    frames,
    method: plan.resolved.spec.name,
    options: plan.resolved.options,
    w: plan.w,
    steps: plan.steps,
    n,
    nfe: result.nfe,
    networkCalls: denoiser.networkCalls,
    gap: monitor.summary(),
    gapSteps: monitor.steps,
  };
}

/** Item i of a normalised sample as a log-mel spectrogram (x·std + mean). */
export function denormalise(model: TextToSpeechModel, x: Tensor, i = 0): Spectrogram {
  const [, rows, frames] = x.shape;
  const data = x.data.slice(i * rows * frames, (i + 1) * rows * frames);
  for (let m = 0; m < rows; m++) {
    for (let t = 0; t < frames; t++) {
      data[m * frames + t] = data[m * frames + t] * model.norm.std[m] + model.norm.mean[m];
    }
  }
  return { rows, frames, data };
}

/** A log-mel spectrogram → waveform (NNLS to linear, then Griffin–Lim from a seeded phase). */
export function vocode(
  model: TextToSpeechModel,
  logMel: Spectrogram,
  seed: number,
  iterations = 32,
): Float64Array {
  const mel = { ...logMel, data: logMel.data.map(Math.exp) };
  return griffinLim(melToLinear(mel, model.norm.mel), { seed, iterations }, model.norm.mel);
}

export interface TextToSpeechOptions extends MelSamplingOptions {
  readonly text: string;
  /** Griffin–Lim iterations. Default 32. */
  readonly vocoderIterations?: number;
  /** Called once per sentence before it is sampled (progress). */
  readonly onSentence?: (index: number, sentences: readonly Phonemized[]) => void;
}

export interface SpokenSentence extends Omit<MelSample, 'x'> {
  readonly sentence: string;
  readonly phonemes: readonly string[];
  readonly logMel: Spectrogram;
  readonly seconds: number;
}

export interface TextToSpeechResult {
  readonly audio: Float64Array;
  readonly sampleRate: number;
  readonly sentences: readonly SpokenSentence[];
  /** Sums over the sentences. */
  readonly nfe: number;
  readonly gap: GapSummary;
  readonly timings: { phonemizeMs: number; sampleMs: number; vocodeMs: number; totalMs: number };
}

/** Check the text and phonemise every sentence (fails before any sampling). */
export async function prepareText(model: TextToSpeechModel, text: string): Promise<Phonemized[]> {
  checkText(text);
  const out: Phonemized[] = [];
  for (const s of splitSentences(text)) out.push(await phonemize(s, model.phonemes));
  return out;
}

export async function textToSpeech(
  model: TextToSpeechModel,
  opts: TextToSpeechOptions & { readonly phonemized?: readonly Phonemized[] },
): Promise<TextToSpeechResult> {
  const t0 = performance.now();
  const seed = checkSeed(opts.seed ?? 0);
  const sentences = opts.phonemized ?? (await prepareText(model, opts.text));
  const phonemizeMs = performance.now() - t0;
  const { sampleRate } = model.norm.mel;
  const gapSamples = Math.round(SENTENCE_GAP_S * sampleRate);
  const spoken: SpokenSentence[] = [];
  const pieces: Float64Array[] = [];
  let sampleMs = 0;
  let vocodeMs = 0;
  for (let k = 0; k < sentences.length; k++) {
    opts.onSentence?.(k, sentences);
    // Sentence k has its own streams, so adding a sentence does not change the others.
    const sentenceSeed = streamKey(seed, k);
    const tS = performance.now();
    // Item 0 is spoken; the others only feed the batch measures (the KSD gaps).
    const { x, ...run } = await sampleMel(model, sentences[k].ids, {
      ...opts,
      seed: sentenceSeed,
    });
    sampleMs += performance.now() - tS;
    const tV = performance.now();
    const logMel = denormalise(model, x);
    const audio = vocode(model, logMel, streamKey(sentenceSeed, 0x76), opts.vocoderIterations);
    vocodeMs += performance.now() - tV;
    if (k > 0) pieces.push(new Float64Array(gapSamples));
    pieces.push(audio);
    spoken.push({
      ...run,
      sentence: sentences[k].sentence,
      phonemes: sentences[k].tokens,
      logMel,
      seconds: audio.length / sampleRate,
    });
  }
  const audio = new Float64Array(pieces.reduce((a, p) => a + p.length, 0));
  let o = 0;
  for (const p of pieces) {
    audio.set(p, o);
    o += p.length;
  }
  const sum = (f: (g: GapSummary) => number) => spoken.reduce((a, s) => a + f(s.gap), 0);
  return {
    audio,
    sampleRate,
    sentences: spoken,
    nfe: spoken.reduce((a, s) => a + s.nfe, 0),
    gap: {
      training: sum((g) => g.training),
      trainingPerSample: spoken[0].gap.trainingPerSample.map((_, i) =>
        spoken.reduce((a, s) => a + s.gap.trainingPerSample[i], 0),
      ),
      gap: sum((g) => g.gap),
      condGap: sum((g) => g.condGap),
      driftGap: sum((g) => g.driftGap),
    },
    timings: { phonemizeMs, sampleMs, vocodeMs, totalMs: performance.now() - t0 },
  };
}
