/**
 * Text to image: encode the prompt (and "" for the unconditional pass), draw the initial
 * noise per item from the seed, sample with a named method of the registry, decode. The gap
 * monitor watches the loop and its figures come back with the images.
 */
import type { GapStep, GapSummary } from '../diffier/gapMonitor.js';
import { InvalidOptionError } from '../errors.js';
import type { OptionValue } from '../methods/types.js';
import type { TextToImageModel } from '../models/load.js';
import type { TextEncoderModel } from '../models/textEncoder.js';
import type { PromptTokenizer, TokenizedPrompt } from '../models/tokenizer.js';
import { UnetDenoiser, type UnetCalls } from '../models/unetDenoiser.js';
import type { StepPayload } from '../sampling/sample.js';
import { checkSeed } from '../tensor/random.js';
import type { Tensor } from '../tensor/tensor.js';
import { decodeImages } from './decode.js';
import { planRun, positiveInteger, runWatched, type SamplingSettings } from './run.js';

/** The prompt's and the empty prompt's embeddings ([1, S, H] each). */
export interface PromptEmbeddings {
  readonly cond: Tensor;
  readonly uncond: Tensor;
  readonly tokens: TokenizedPrompt;
}

export interface TextToImageOptions extends SamplingSettings {
  readonly prompt: string;
  /** Images. Item i is the same image whatever n is. Default 1. */
  readonly n?: number;
  readonly seed?: number;
  readonly unetCalls?: UnetCalls;
  /** Items used by the gap monitor's O(n²) KSD. */
  readonly ksdItems?: number;
  /** Measure the gap at every step (default true); false saves the monitor's time. */
  readonly gapMonitor?: boolean;
  /** Embeddings from an earlier `encodePrompt` of the same prompt (saves the encoder call). */
  readonly embeddings?: PromptEmbeddings;
  readonly signal?: AbortSignal;
  /** After every sampling step (progress bars, previews). */
  readonly onStep?: (payload: StepPayload) => void;
  /** Each step's gap measures as soon as they are known (live plots). */
  readonly onGap?: (step: GapStep) => void;
  /** Truncated prompts, unknown words. Default: console.warn. */
  readonly warn?: (message: string) => void;
}

export interface TextToImageResult {
  /** [n, C, H, W] in [0, 1]. */
  readonly images: Tensor;
  readonly method: string;
  /** Every option of the method, defaults filled in. */
  readonly options: Readonly<Record<string, OptionValue>>;
  readonly w: number;
  readonly steps: number;
  /** Network evaluations per image (a cond + uncond pair counts 2). */
  readonly nfe: number;
  readonly seed: number;
  readonly n: number;
  readonly sampler: string;
  readonly unetCalls: UnetCalls;
  readonly networkCalls: number;
  readonly tokens: TokenizedPrompt;
  /** Null when the run was made without the gap monitor. */
  readonly gap: GapSummary | null;
  readonly gapSteps: readonly GapStep[];
  /** Milliseconds; networkMs is the time inside the UNet during sampling. */
  readonly timings: {
    encodeMs: number;
    sampleMs: number;
    networkMs: number;
    decodeMs: number;
    totalMs: number;
  };
}

/** An empty prompt is an error (the empty prompt is what the unconditional pass reads). */
export function checkPrompt(prompt: string): void {
  if (prompt.trim() === '') {
    throw new InvalidOptionError(
      'the prompt is empty: say what to draw, e.g. "a thick slanted seven"',
    );
  }
}

/** A model's text side. */
export interface TextSide {
  readonly tokenizer: PromptTokenizer;
  readonly textEncoder: TextEncoderModel;
}

/** Embed the prompt and the empty prompt in one text-encoder call (the prompt may be empty). */
export async function embedPrompts(
  model: TextSide,
  prompt: string,
  warn: (message: string) => void = (m) => console.warn(m),
): Promise<PromptEmbeddings> {
  const tokens = model.tokenizer.encode(prompt);
  if (tokens.dropped > 0) {
    warn(
      `the prompt is longer than the ${model.tokenizer.maxLength} tokens the model reads: ` +
        `${tokens.dropped} token(s) dropped ("${tokens.droppedText}")`,
    );
  }
  if (tokens.unknown.length > 0) {
    warn(`not in the model's vocabulary (read as unknown): ${tokens.unknown.join(', ')}`);
  }
  const empty = model.tokenizer.encode('');
  const emb = await model.textEncoder.encode([empty.ids, tokens.ids]);
  return { uncond: emb.sliceBatch(0, 1), cond: emb.sliceBatch(1, 2), tokens };
}

/** The prompt's and the empty prompt's embeddings; an empty prompt is an error. */
export async function encodePrompt(
  model: TextSide,
  prompt: string,
  warn: (message: string) => void = (m) => console.warn(m),
): Promise<PromptEmbeddings> {
  checkPrompt(prompt);
  return embedPrompts(model, prompt, warn);
}

export async function textToImage(
  model: TextToImageModel,
  opts: TextToImageOptions,
): Promise<TextToImageResult> {
  const t0 = performance.now();
  const warn = opts.warn ?? ((m: string) => console.warn(m));
  const n = opts.n ?? 1;
  const seed = checkSeed(opts.seed ?? 0);
  positiveInteger(n, 'n');
  const plan = await planRun(model.schedule, opts);

  const tEncode = performance.now();
  const embeddings = opts.embeddings ?? (await encodePrompt(model, opts.prompt, warn));
  const encodeMs = performance.now() - tEncode;

  const denoiser = new UnetDenoiser(
    model.unet,
    { context: embeddings.cond },
    { context: embeddings.uncond },
    { predictionType: model.schedule.predictionType, calls: opts.unetCalls },
  );
  const run = await runWatched({
    plan,
    denoiser,
    unet: model.unet,
    n,
    seed,
    gapMonitor: opts.gapMonitor,
    ksdItems: opts.ksdItems,
    onStep: opts.onStep,
    onGap: opts.onGap,
    signal: opts.signal,
  });

  const tDecode = performance.now();
  const images = await decodeImages(run.x, model.vae, opts.signal);
  const decodeMs = performance.now() - tDecode;
  return {
    images,
    method: plan.resolved.spec.name,
    options: plan.resolved.options,
    w: plan.w,
    steps: plan.steps,
    nfe: run.nfe,
    seed,
    n,
    sampler: plan.samplerName,
    unetCalls: denoiser.calls,
    networkCalls: denoiser.networkCalls,
    tokens: embeddings.tokens,
    gap: run.gap,
    gapSteps: run.gapSteps,
    timings: {
      encodeMs,
      sampleMs: run.sampleMs,
      networkMs: run.networkMs,
      decodeMs,
      totalMs: performance.now() - t0,
    },
  };
}
