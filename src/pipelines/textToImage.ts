/**
 * Text to image: encode the prompt (and the negative prompt, "" by default, for the
 * unconditional side of every guidance rule and method), draw the initial noise per item
 * from the seed, sample with a named method of the registry, decode. With an init image the
 * run is image-to-image (the schedule truncated by `strength`), with a mask too inpainting
 * (imageEdit.ts). The gap monitor watches the loop and its figures come back with the images.
 */
import { InvalidOptionError } from '../core/errors.js';
import type { TextToImageModel } from '../models/load.js';
import type { TextEncoderModel } from '../models/textEncoder.js';
import type { PromptTokenizer, TokenizedPrompt } from '../models/tokenizer.js';
import type { Tensor } from '../core/tensor.js';
import { checkStrength, DEFAULT_STRENGTH } from '../schedules/strength.js';
import { decodeImages } from './decode.js';
import {
  checkEditInputs,
  editStart,
  prepareEdit,
  repeatBatch,
  type EditMode,
} from './imageEdit.js';
import { batchOf, planRun, sampleUnet, type PipelineOptions, type RunReport } from './run.js';

/** The prompt's and the negative prompt's embeddings ([1, S, H] each). */
export interface PromptEmbeddings {
  readonly cond: Tensor;
  /** The negative prompt's (the empty prompt's when there is none). */
  readonly uncond: Tensor;
  readonly tokens: TokenizedPrompt;
  readonly negativeTokens: TokenizedPrompt;
}

export interface TextToImageOptions extends PipelineOptions {
  readonly prompt: string;
  /**
   * What to steer away from: its embedding replaces the empty prompt's as the unconditional
   * side of every guidance rule and method. Default "" (none).
   */
  readonly negativePrompt?: string;
  /**
   * Embeddings from an earlier `encodePrompt` of the same prompt and negative prompt (saves
   * the encoder call).
   */
  readonly embeddings?: PromptEmbeddings;
  /**
   * Image-to-image: start from this image, [1, C, H, W] in [0, 1] at the model's image size
   * (`editImageShape`), noised to the level where the truncated schedule starts.
   */
  readonly initImage?: Tensor;
  /**
   * Image-to-image: the fraction of the schedule run, in [0, 1] (diffusers' strength): the
   * last ⌊steps·strength⌋ steps. 1 = text-to-image from the same noise, 0 = the input back.
   * Default DEFAULT_STRENGTH (0.8); only read with `initImage`.
   */
  readonly strength?: number;
  /**
   * Inpainting (with `initImage`): [1, C, H, W] in [0, 1] at the image's size; white (mean
   * over channels ≥ ½) is repainted, the rest is kept.
   */
  readonly mask?: Tensor;
}

/** How the run used an init image. */
export interface EditReport {
  readonly mode: EditMode;
  readonly strength: number;
  /** Steps actually run: ⌊steps·strength⌋ of the planned `steps`. */
  readonly sampledSteps: number;
}

export interface TextToImageResult extends RunReport {
  /** [n, C, H, W] in [0, 1]. */
  readonly images: Tensor;
  readonly tokens: TokenizedPrompt;
  readonly negativeTokens: TokenizedPrompt;
  /** Null for plain text-to-image. */
  readonly edit: EditReport | null;
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

/** Warn about what the tokenizer cut or did not know in `what` ("the prompt"). */
function tokenWarnings(
  tokens: TokenizedPrompt,
  what: string,
  maxLength: number,
  warn: (message: string) => void,
): void {
  if (tokens.dropped > 0) {
    warn(
      `${what} is longer than the ${maxLength} tokens the model reads: ` +
        `${tokens.dropped} token(s) dropped ("${tokens.droppedText}")`,
    );
  }
  if (tokens.unknown.length > 0) {
    warn(`not in the model's vocabulary (read as unknown): ${tokens.unknown.join(', ')}`);
  }
}

/**
 * Embed the prompt and the negative prompt (default "") in one text-encoder call (the
 * prompt may be empty). The negative prompt is tokenised as the prompt is.
 */
export async function embedPrompts(
  model: TextSide,
  prompt: string,
  warn: (message: string) => void = (m) => console.warn(m),
  negativePrompt = '',
): Promise<PromptEmbeddings> {
  const max = model.tokenizer.maxLength;
  const tokens = model.tokenizer.encode(prompt);
  tokenWarnings(tokens, 'the prompt', max, warn);
  const negativeTokens = model.tokenizer.encode(negativePrompt);
  tokenWarnings(negativeTokens, 'the negative prompt', max, warn);
  const emb = await model.textEncoder.encode([negativeTokens.ids, tokens.ids]);
  return { uncond: emb.sliceBatch(0, 1), cond: emb.sliceBatch(1, 2), tokens, negativeTokens };
}

/** The prompt's and the negative prompt's embeddings; an empty prompt is an error. */
export async function encodePrompt(
  model: TextSide,
  prompt: string,
  warn: (message: string) => void = (m) => console.warn(m),
  negativePrompt = '',
): Promise<PromptEmbeddings> {
  checkPrompt(prompt);
  return embedPrompts(model, prompt, warn, negativePrompt);
}

/** The strength a run is planned with: undefined without an init image, checked with one. */
export function strengthOf(opts: Pick<TextToImageOptions, 'initImage' | 'strength'>) {
  if (!opts.initImage) return undefined;
  return checkStrength(opts.strength ?? DEFAULT_STRENGTH);
}

export async function textToImage(
  model: TextToImageModel,
  opts: TextToImageOptions,
): Promise<TextToImageResult> {
  const t0 = performance.now();
  const warn = opts.warn ?? ((m: string) => console.warn(m));
  const { n } = batchOf(opts);
  checkEditInputs(model, opts);
  const strength = strengthOf(opts);
  const plan = opts.plan ?? (await planRun(model.schedule, { ...opts, strength }));
  if (plan.strength !== strength) {
    throw new InvalidOptionError(
      `the run was planned with strength ${plan.strength ?? 'none'} but asks for ${strength ?? 'none'}`,
    );
  }

  const tEncode = performance.now();
  const embeddings =
    opts.embeddings ?? (await encodePrompt(model, opts.prompt, warn, opts.negativePrompt));
  const edit = opts.initImage
    ? await prepareEdit(model, { initImage: opts.initImage, mask: opts.mask })
    : undefined;
  const encodeMs = performance.now() - tEncode;

  const unetImage = edit?.unetImage ? repeatBatch(edit.unetImage, n) : undefined;
  const sampledSteps = plan.levels.length - 1;
  const run = await sampleUnet(
    model,
    plan,
    {
      cond: { context: embeddings.cond, image: unetImage },
      uncond: { context: embeddings.uncond, image: unetImage },
    },
    opts,
    edit && editStart(edit, plan.levels, sampledSteps === plan.steps),
  );
  const tDecode = performance.now();
  const images = await decodeImages(run.x, model.vae, opts.signal);
  const decodeMs = performance.now() - tDecode;
  return {
    ...run.report,
    images,
    tokens: embeddings.tokens,
    negativeTokens: embeddings.negativeTokens,
    edit: edit ? { mode: edit.mode, strength: strength!, sampledSteps } : null,
    timings: {
      encodeMs,
      sampleMs: run.sampleMs,
      networkMs: run.networkMs,
      decodeMs,
      totalMs: performance.now() - t0,
    },
  };
}
