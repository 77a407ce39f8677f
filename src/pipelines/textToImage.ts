/**
 * Text to image: encode the prompt (and "" for the unconditional pass), draw the initial
 * noise per item from the seed, sample with a named method of the registry, decode. The gap
 * monitor watches the loop and its figures come back with the images.
 */
import { GapMonitor, type GapStep, type GapSummary } from '../diffier/gapMonitor.js';
import { InvalidOptionError } from '../errors.js';
import { stepsForNfe } from '../methods/nfe.js';
import { resolveMethod, type MethodChoice } from '../methods/registry.js';
import type { OptionValue } from '../methods/types.js';
import type { TextToImageModel } from '../models/load.js';
import type { TokenizedPrompt } from '../models/tokenizer.js';
import { UnetDenoiser, type UnetCalls } from '../models/unetDenoiser.js';
import { schedulePlan } from '../sampling/plan.js';
import { sample, type StepPayload } from '../sampling/sample.js';
import { createSampler, type SamplerOptions } from '../sampling/steps/index.js';
import { BatchRandom, checkSeed } from '../tensor/random.js';
import type { Tensor } from '../tensor/tensor.js';
import { decodeImages } from './decode.js';

export const DEFAULT_STEPS = 30;

/** The prompt's and the empty prompt's embeddings ([1, S, H] each). */
export interface PromptEmbeddings {
  readonly cond: Tensor;
  readonly uncond: Tensor;
  readonly tokens: TokenizedPrompt;
}

export interface TextToImageOptions {
  readonly prompt: string;
  /** Default cfg. */
  readonly method?: MethodChoice;
  /** Guidance weight (1 = no guidance). Default 3. */
  readonly w?: number;
  /** At most one of steps and nfe; default DEFAULT_STEPS. */
  readonly steps?: number;
  /** Evaluation budget per image: the most steps whose cost fits (methods/nfe.ts). */
  readonly nfe?: number;
  /** Images. Item i is the same image whatever n is. Default 1. */
  readonly n?: number;
  readonly seed?: number;
  /** Sampler name (sampling/steps). Default ddim. */
  readonly sampler?: string;
  readonly samplerOptions?: SamplerOptions;
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

/** Embed the prompt and the empty prompt in one text-encoder call. */
export async function encodePrompt(
  model: TextToImageModel,
  prompt: string,
  warn: (message: string) => void = (m) => console.warn(m),
): Promise<PromptEmbeddings> {
  checkPrompt(prompt);
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

function positiveInteger(v: number | undefined, name: string): void {
  if (v !== undefined && !(Number.isInteger(v) && v >= 1)) {
    throw new InvalidOptionError(`${name} must be an integer ≥ 1, got ${v}`);
  }
}

/** The method, sampler and step count of a run (steps from `nfe` by counting, methods/nfe.ts). */
export async function planRun(model: TextToImageModel, opts: TextToImageOptions) {
  const w = opts.w ?? 3;
  positiveInteger(opts.steps, 'steps');
  positiveInteger(opts.nfe, 'nfe');
  if (!Number.isFinite(w)) throw new InvalidOptionError(`w must be a finite number, got ${w}`);
  if (opts.steps !== undefined && opts.nfe !== undefined) {
    throw new InvalidOptionError('give steps or nfe, not both');
  }
  const resolved = resolveMethod(opts.method ?? { name: 'cfg' });
  const samplerName = opts.sampler ?? 'ddim';
  const sampler = createSampler(samplerName, opts.samplerOptions);
  const plan = schedulePlan(model.schedule);
  const build = (steps: number) => {
    const sched = plan.forSteps(steps);
    return { method: resolved.spec.build(w, resolved.options, sched), levels: sched.levels };
  };
  const steps =
    opts.nfe !== undefined
      ? (await stepsForNfe(opts.nfe, build, sampler, plan.maxSteps)).steps
      : (opts.steps ?? DEFAULT_STEPS);
  return { w, resolved, samplerName, sampler, steps, ...build(steps) };
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
  const { w, resolved, samplerName, sampler, steps, method, levels } = await planRun(model, opts);

  const tEncode = performance.now();
  const embeddings = opts.embeddings ?? (await encodePrompt(model, opts.prompt, warn));
  const encodeMs = performance.now() - tEncode;

  const denoiser = new UnetDenoiser(
    model.unet,
    { context: embeddings.cond },
    { context: embeddings.uncond },
    {
      predictionType: model.schedule.predictionType,
      calls: opts.unetCalls,
    },
  );
  // One stream per item keyed by (seed, i): the noise of item i does not depend on n.
  const rng = new BatchRandom(seed, n);
  const x = rng.normal([n, ...model.unet.itemShape]);
  const monitor = opts.gapMonitor === false ? null : new GapMonitor({ ksdItems: opts.ksdItems });
  const observers = [monitor?.observe, opts.onStep].filter((f) => f !== undefined);
  const netBefore = model.unet.networkMs;
  const tSample = performance.now();
  const result = await sample({
    denoiser,
    rule: method.rule,
    sampler,
    levels,
    x,
    rng,
    wrappers: method.wrappers,
    onStep: observers,
    signal: opts.signal,
  });
  const sampleMs = performance.now() - tSample;
  const networkMs = model.unet.networkMs - netBefore;

  const tDecode = performance.now();
  const images = await decodeImages(result.x, model.vae, opts.signal);
  const decodeMs = performance.now() - tDecode;
  return {
    images,
    method: resolved.spec.name,
    options: resolved.options,
    w,
    steps,
    nfe: result.nfe,
    seed,
    n,
    sampler: samplerName,
    unetCalls: denoiser.calls,
    networkCalls: denoiser.networkCalls,
    tokens: embeddings.tokens,
    gap: monitor?.summary() ?? null,
    gapSteps: monitor?.steps ?? [],
    timings: { encodeMs, sampleMs, networkMs, decodeMs, totalMs: performance.now() - t0 },
  };
}
