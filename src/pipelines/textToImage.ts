/**
 * Text to image: encode the prompt (and "" for the unconditional pass), draw the initial
 * noise per item from the seed, sample with a named method of the registry, decode. The gap
 * monitor watches the loop and its figures come back with the images.
 */
import { InvalidOptionError } from '../core/errors.js';
import type { TextToImageModel } from '../models/load.js';
import type { TextEncoderModel } from '../models/textEncoder.js';
import type { PromptTokenizer, TokenizedPrompt } from '../models/tokenizer.js';
import type { Tensor } from '../core/tensor.js';
import { decodeImages } from './decode.js';
import { batchOf, planRun, sampleUnet, type PipelineOptions, type RunReport } from './run.js';

/** The prompt's and the empty prompt's embeddings ([1, S, H] each). */
export interface PromptEmbeddings {
  readonly cond: Tensor;
  readonly uncond: Tensor;
  readonly tokens: TokenizedPrompt;
}

export interface TextToImageOptions extends PipelineOptions {
  readonly prompt: string;
  /** Embeddings from an earlier `encodePrompt` of the same prompt (saves the encoder call). */
  readonly embeddings?: PromptEmbeddings;
}

export interface TextToImageResult extends RunReport {
  /** [n, C, H, W] in [0, 1]. */
  readonly images: Tensor;
  readonly tokens: TokenizedPrompt;
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
  batchOf(opts);
  const plan = opts.plan ?? (await planRun(model.schedule, opts));

  const tEncode = performance.now();
  const embeddings = opts.embeddings ?? (await encodePrompt(model, opts.prompt, warn));
  const encodeMs = performance.now() - tEncode;

  const run = await sampleUnet(
    model,
    plan,
    { cond: { context: embeddings.cond }, uncond: { context: embeddings.uncond } },
    opts,
  );
  const tDecode = performance.now();
  const images = await decodeImages(run.x, model.vae, opts.signal);
  const decodeMs = performance.now() - tDecode;
  return {
    ...run.report,
    images,
    tokens: embeddings.tokens,
    timings: {
      encodeMs,
      sampleMs: run.sampleMs,
      networkMs: run.networkMs,
      decodeMs,
      totalMs: performance.now() - t0,
    },
  };
}
