/**
 * The real-model guidance benchmark (docs/results.md §4) on a
 * text-to-image model of MNIST digits (the embedded models/mnist-t2i, or any folder making
 * 1×28×28 images): methods × w at a matched NFE budget, each run generating `n` images for
 * each prompt of a fixed catalogue, scored by the shipped evaluation network against the
 * HELD-OUT real digits:
 *
 * - fid: Fréchet distance (eval/frechet.ts) of the classifier's 64-d features, all generated
 *   images vs the digit-matched held-out reference (for each prompt, every held-out image of
 *   its digit: the reference has the generated set's digit mix; attributes are not matched,
 *   so attribute prompts pull the generated set away from it by design);
 * - precision / recall: k-NN (k = 5, eval/knn.ts) in the same feature space, against a
 *   digit-matched held-out sample of the SAME size as the generated set (n per prompt);
 * - adherence: accuracy of the requested digit over all images; attributeAdherence: accuracy
 *   of the requested attributes (image × requested attribute pairs, attribute prompts only);
 *   jointAdherence: images whose digit and every requested attribute are right;
 * - gap, driftGap: the accumulated gap A and drift A_r of the pipeline's gap monitor, mean
 *   over prompts.
 *
 * The floor row ("real") scores TRAIN images in place of generated ones (digit-matched, the
 * same count): the distance two real samples of this size are apart.
 *
 * Deterministic: prompt p's noise is keyed by (seed, p's catalogue index), the same for every
 * method and w (common random numbers), and every metric is a function of the images.
 */
import { InvalidOptionError, ShapeError } from '../core/errors.js';
import {
  ATTRIBUTES,
  CLASSIFIER_ITEM_SHAPE,
  type AttributeName,
  type ClassifierOutput,
  type EvalClassifier,
} from '../eval/classifier.js';
import { frechetDistance, moments, type Moments } from '../eval/frechet.js';
import { DEFAULT_K, KnnReference } from '../eval/knn.js';
import { takeImages, type MnistSplit } from '../data/mnist.js';
import type { MethodChoice } from '../methods/registry.js';
import type { OptionValue } from '../methods/types.js';
import type { TextToImageModel } from '../models/load.js';
import type { UnetCalls } from '../denoisers/unetDenoiser.js';
import { planRun, type RunPlan } from '../pipelines/run.js';
import { checkGrid, runGrid } from './grid.js';
import { encodePrompt, textToImage, type PromptEmbeddings } from '../pipelines/textToImage.js';
import { defaultScale, gridPng } from '../image/png.js';
import { paretoChart } from '../plot/charts.js';
import { byMethod, gridName, metricVsW } from './wCurves.js';
import { renderSvg } from '../plot/render.js';
import { streamKey } from '../core/random.js';
import { concatBatch, type Tensor } from '../core/tensor.js';
import { budgetOf } from '../run/budget.js';
import { defaultSamplerName } from '../samplers/index.js';

/** A benchmark prompt: its caption and what it asks for (attribute class indices). */
export interface T2iPrompt {
  readonly id: string;
  readonly text: string;
  readonly digit: number;
  /** Requested class per attribute (0 = thin/backslanted/small, 2 = thick/slanted/large). */
  readonly attributes: Readonly<Partial<Record<AttributeName, number>>>;
}

const WORDS = ['zero', 'one', 'two', 'three', 'four', 'five', 'six', 'seven', 'eight', 'nine'];
/** Caption words of the training captions (training/mnist_data.py, ATTR_WORDS). */
export const ATTRIBUTE_WORDS: Readonly<Record<string, [AttributeName, number]>> = {
  thin: ['thickness', 0],
  thick: ['thickness', 2],
  backslanted: ['slant', 0],
  slanted: ['slant', 2],
  small: ['size', 0],
  large: ['size', 2],
};

function prompt(text: string, digit: number): T2iPrompt {
  const attributes: Partial<Record<AttributeName, number>> = {};
  for (const word of text.split(' ')) {
    const a = ATTRIBUTE_WORDS[word];
    if (a) attributes[a[0]] = a[1];
  }
  return { id: text.replace(/\s+/g, '-'), text, digit, attributes };
}

/**
 * The catalogue, in a fixed order (a prompt's index keys its noise): one caption per digit,
 * then attribute prompts using each attribute word at least once (two written as numerals,
 * as half the training captions are).
 */
export const T2I_PROMPTS: readonly T2iPrompt[] = [
  ...WORDS.map((w, d) => prompt(`${d === 8 ? 'an' : 'a'} ${w}`, d)),
  prompt('a thick slanted seven', 7),
  prompt('a thin two', 2),
  prompt('a backslanted nine', 9),
  prompt('a small 4', 4),
  prompt('a large 0', 0),
  prompt('a thin slanted one', 1),
];

/** `all`, `digits`, `attributes`, or a comma-separated list of prompt ids. */
export function selectPrompts(spec: string): T2iPrompt[] {
  const s = spec.trim();
  if (s === 'all') return [...T2I_PROMPTS];
  if (s === 'digits') return T2I_PROMPTS.filter((p) => Object.keys(p.attributes).length === 0);
  if (s === 'attributes') return T2I_PROMPTS.filter((p) => Object.keys(p.attributes).length > 0);
  const ids = s.split(',').map((p) => p.trim());
  const out: T2iPrompt[] = [];
  for (const id of ids) {
    const p = T2I_PROMPTS.find((q) => q.id === id);
    if (!p) {
      throw new InvalidOptionError(
        `unknown prompt "${id}"; use all, digits, attributes or ids from: ${T2I_PROMPTS.map((q) => q.id).join(', ')}`,
      );
    }
    if (out.includes(p)) throw new InvalidOptionError(`prompt "${id}" is listed twice`);
    out.push(p);
  }
  if (out.length === 0) throw new InvalidOptionError('no prompts selected');
  return out;
}

export interface T2iMetrics {
  readonly fid: number;
  readonly precision: number;
  readonly recall: number;
  /** Digit accuracy over all images. */
  readonly adherence: number;
  /** Accuracy of requested attributes (null when no prompt requests one). */
  readonly attributeAdherence: number | null;
  /** Fraction of images with the digit and every requested attribute right. */
  readonly jointAdherence: number;
  /** Mean over prompts of the accumulated training gap (the headline), the KSD gap A and drift A_r. */
  readonly training: number;
  readonly gap: number;
  readonly driftGap: number;
}

export interface T2iPromptScore {
  readonly id: string;
  readonly adherence: number;
  readonly attributeAdherence: number | null;
  readonly training: number;
  readonly gap: number;
  readonly driftGap: number;
}

export interface T2iRun {
  readonly method: string;
  readonly options: Readonly<Record<string, OptionValue>>;
  readonly w: number;
  readonly steps: number;
  /** Network evaluations per image (as counted by the sampling loop). */
  readonly nfe: number;
  readonly metrics: T2iMetrics;
  readonly prompts: readonly T2iPromptScore[];
  /** Milliseconds (not part of the deterministic contract). */
  readonly timings: {
    readonly sampleMs: number;
    readonly networkMs: number;
    readonly evalMs: number;
    readonly msPerImage: number;
  };
  /** Per prompt [n, 1, 28, 28] in [0, 1], when asked for (grids). */
  readonly images?: readonly Tensor[];
}

export interface T2iReference {
  /** Held-out real images per prompt behind the Fréchet reference (all of its digit). */
  readonly fidReferenceSize: number;
  /** Real images in the k-NN reference (n per prompt, digit-matched). */
  readonly knnReferenceSize: number;
  /** TRAIN images scored like a run: the real-vs-real floor. */
  readonly floor: {
    readonly fid: number;
    readonly precision: number;
    readonly recall: number;
    readonly adherence: number;
  };
}

export interface T2iBenchResult {
  readonly benchmark: 't2i';
  readonly model: {
    readonly dir: string;
    readonly className: string;
    readonly sampleShape: readonly number[];
  };
  readonly evaluator: { readonly path: string; readonly featureDim: number; readonly k: number };
  readonly settings: {
    readonly methods: readonly string[];
    readonly ws: readonly number[];
    readonly nfe: number | null;
    readonly steps: number | null;
    readonly n: number;
    readonly seed: number;
    readonly sampler: string;
    readonly unetCalls: UnetCalls | null;
    readonly ksdItems: number | null;
  };
  readonly data: { readonly dir: string; readonly split: string };
  readonly prompts: readonly (T2iPrompt & { readonly index: number; readonly seed: number })[];
  readonly reference: T2iReference;
  readonly runs: readonly T2iRun[];
}

export interface T2iBenchOptions {
  readonly model: TextToImageModel;
  readonly classifier: EvalClassifier;
  readonly mnist: MnistSplit;
  readonly prompts: readonly T2iPrompt[];
  readonly methods: readonly MethodChoice[];
  readonly ws: readonly number[];
  /** Exactly one of nfe and steps. */
  readonly nfe?: number;
  readonly steps?: number;
  readonly n: number;
  readonly seed: number;
  readonly sampler?: string;
  readonly unetCalls?: UnetCalls;
  readonly ksdItems?: number;
  /** k of the k-NN precision/recall. Default 5. */
  readonly k?: number;
  /** Keep the images of every run (for grids). */
  readonly keepImages?: boolean;
  readonly signal?: AbortSignal;
  /** After each prompt of each run (progress). */
  readonly onPrompt?: (label: string) => void;
  readonly warn?: (message: string) => void;
}

/** The seed of prompt p: keyed by its catalogue index, so selecting prompts changes nothing. */
export function promptSeed(seed: number, p: T2iPrompt): number {
  const index = T2I_PROMPTS.findIndex((q) => q.id === p.id);
  return streamKey(seed, 0x5eed0000 + (index < 0 ? 0xffff : index));
}

/** Adherence of one prompt's images. */
function scorePrompt(p: T2iPrompt, out: ClassifierOutput, from: number, count: number) {
  let digitOk = 0;
  let attrOk = 0;
  let attrTotal = 0;
  let jointOk = 0;
  const requested = ATTRIBUTES.filter((a) => p.attributes[a] !== undefined);
  for (let i = from; i < from + count; i++) {
    const dOk = out.digit[i] === p.digit;
    let allAttr = true;
    for (const a of requested) {
      const ok = out.attributes[a][i] === p.attributes[a];
      attrOk += ok ? 1 : 0;
      attrTotal++;
      allAttr &&= ok;
    }
    digitOk += dOk ? 1 : 0;
    jointOk += dOk && allAttr ? 1 : 0;
  }
  return { digitOk, attrOk, attrTotal, jointOk };
}

/** Digit-matched real images: for prompt p, `n` images of its digit, successive prompts of one digit taking successive images. */
function matchedImages(
  prompts: readonly T2iPrompt[],
  sets: MnistSplit['heldOut'],
  n: number,
): Tensor {
  const used = new Map<number, number>();
  const parts = prompts.map((p) => {
    const set = sets.get(p.digit);
    if (!set) throw new ShapeError(`no real images of digit ${p.digit} were loaded`);
    const offset = used.get(p.digit) ?? 0;
    used.set(p.digit, offset + n);
    return takeImages(set, offset, n);
  });
  return concatBatch(parts);
}

/** Score a set of images laid out as n per prompt, in prompt order. */
function scoreSet(
  prompts: readonly T2iPrompt[],
  n: number,
  out: ClassifierOutput,
  fidRef: Moments,
  knn: KnnReference,
) {
  const perPrompt = prompts.map((p, j) => scorePrompt(p, out, j * n, n));
  const total = prompts.length * n;
  const sum = (f: (s: (typeof perPrompt)[number]) => number) =>
    perPrompt.reduce((a, s) => a + f(s), 0);
  const attrTotal = sum((s) => s.attrTotal);
  const pr = knn.evaluate(out.features);
  return {
    perPrompt,
    fid: frechetDistance(moments(out.features, out.featureDim, 'generated features'), fidRef),
    precision: pr.precision,
    recall: pr.recall,
    adherence: sum((s) => s.digitOk) / total,
    attributeAdherence: attrTotal > 0 ? sum((s) => s.attrOk) / attrTotal : null,
    jointAdherence: sum((s) => s.jointOk) / total,
  };
}

/** Every option checked once, before any work. */
function checkT2iOptions(opts: T2iBenchOptions, k: number): void {
  const { model, prompts, n } = opts;
  if (prompts.length === 0) throw new InvalidOptionError('no prompts');
  checkGrid(opts.methods, opts.ws);
  budgetOf(opts); // exactly one of steps and nfe
  if (!(Number.isInteger(n) && n >= 1)) throw new InvalidOptionError(`n must be ≥ 1, got ${n}`);
  if (prompts.length * n <= k) {
    throw new InvalidOptionError(
      `k-NN precision/recall need more than k = ${k} images per run: prompts × n = ${prompts.length * n}`,
    );
  }
  const shape = model.unet.itemShape;
  if (shape.length !== 3 || shape.some((d, i) => d !== CLASSIFIER_ITEM_SHAPE[i]) || model.vae) {
    throw new ShapeError(
      `the evaluation network reads ${CLASSIFIER_ITEM_SHAPE.join('×')} images; this model ` +
        `${model.vae ? 'decodes latents through a VAE' : `makes [${shape.join(', ')}] samples`}: use an MNIST model (e.g. the embedded one)`,
    );
  }
}

/** The real references (held-out) and the real-vs-real floor (TRAIN), scored once. */
async function t2iReferences(opts: T2iBenchOptions, k: number) {
  const { classifier, mnist, prompts, n } = opts;
  const heldDigits = [...new Set(prompts.map((p) => p.digit))];
  const heldOut = new Map<number, ClassifierOutput>();
  for (const d of heldDigits) {
    const set = mnist.heldOut.get(d);
    if (!set) throw new ShapeError(`no held-out images of digit ${d} were loaded`);
    heldOut.set(d, await classifier.classify(takeImages(set, 0, set.count)));
  }
  const dim = heldOut.get(heldDigits[0])!.featureDim;
  const fidRows: Float32Array[] = prompts.map((p) => heldOut.get(p.digit)!.features);
  const fidRef = moments(concatRows(fidRows), dim, 'held-out features');
  const knnRealImages = matchedImages(prompts, mnist.heldOut, n);
  const knnReal = await classifier.classify(knnRealImages);
  const knn = new KnnReference(knnReal.features, dim, k);
  const floorOut = await classifier.classify(matchedImages(prompts, mnist.train, n));
  const floorScore = scoreSet(prompts, n, floorOut, fidRef, knn);
  const reference: T2iReference = {
    fidReferenceSize: fidRows.reduce((a, r) => a + r.length / dim, 0),
    knnReferenceSize: knnReal.n,
    floor: {
      fid: floorScore.fid,
      precision: floorScore.precision,
      recall: floorScore.recall,
      adherence: floorScore.adherence,
    },
  };
  return { dim, fidRef, knn, reference };
}

/** One cell's sampling: n images of every prompt, and each prompt's gap figures. */
interface T2iCellRun {
  readonly images: Tensor[];
  readonly gaps: { training: number; gap: number; driftGap: number }[];
  readonly sampleMs: number;
  readonly networkMs: number;
  readonly nfe: number;
}

/** The settings block of the result. */
function t2iSettings(opts: T2iBenchOptions): T2iBenchResult['settings'] {
  return {
    methods: opts.methods.map((m) => m.name),
    ws: opts.ws,
    nfe: opts.nfe ?? null,
    steps: opts.steps ?? null,
    n: opts.n,
    seed: opts.seed,
    // What ran: without a name the model's scheduler class picks it (samplers/names.ts).
    sampler: opts.sampler ?? defaultSamplerName(opts.model.schedule),
    unetCalls: opts.unetCalls ?? null,
    ksdItems: opts.ksdItems ?? null,
  };
}

type T2iRefs = Awaited<ReturnType<typeof t2iReferences>>;

/** Sample one cell: n images of every prompt with the cell's plan. */
async function t2iCell(
  opts: T2iBenchOptions,
  embeddings: readonly PromptEmbeddings[],
  plan: RunPlan,
  tick: (label: string) => void,
): Promise<T2iCellRun> {
  const images: Tensor[] = [];
  const gaps: T2iCellRun['gaps'] = [];
  let sampleMs = 0;
  let networkMs = 0;
  let nfe = 0;
  for (const [j, p] of opts.prompts.entries()) {
    const r = await textToImage(opts.model, {
      prompt: p.text,
      plan,
      n: opts.n,
      seed: promptSeed(opts.seed, p),
      unetCalls: opts.unetCalls,
      ksdItems: opts.ksdItems,
      embeddings: embeddings[j],
      signal: opts.signal,
      warn: opts.warn,
    });
    images.push(r.images);
    gaps.push({
      training: r.gap?.training ?? NaN,
      gap: r.gap?.gap ?? NaN,
      driftGap: r.gap?.driftGap ?? NaN,
    });
    sampleMs += r.timings.sampleMs;
    networkMs += r.timings.networkMs;
    nfe = Math.max(nfe, r.nfe);
    tick(`${r.method} w=${plan.w} ${p.id}`);
  }
  return { images, gaps, sampleMs, networkMs, nfe };
}

/** Score one cell's images against the references: its row of the result. */
async function scoreT2iCell(
  opts: T2iBenchOptions,
  refs: T2iRefs,
  plan: RunPlan,
  { images, gaps, sampleMs, networkMs, nfe }: T2iCellRun,
): Promise<T2iRun> {
  const { prompts, n } = opts;
  const tEval = performance.now();
  const out = await opts.classifier.classify(concatBatch(images));
  const s = scoreSet(prompts, n, out, refs.fidRef, refs.knn);
  const evalMs = performance.now() - tEval;
  const mean = (f: (g: (typeof gaps)[number]) => number) =>
    gaps.reduce((a, g) => a + f(g), 0) / gaps.length;
  return {
    method: plan.resolved.spec.name,
    options: plan.resolved.options,
    w: plan.w,
    steps: plan.steps,
    nfe,
    metrics: {
      fid: s.fid,
      precision: s.precision,
      recall: s.recall,
      adherence: s.adherence,
      attributeAdherence: s.attributeAdherence,
      jointAdherence: s.jointAdherence,
      training: mean((g) => g.training),
      gap: mean((g) => g.gap),
      driftGap: mean((g) => g.driftGap),
    },
    prompts: prompts.map((p, j) => {
      const ps = s.perPrompt[j];
      return {
        id: p.id,
        adherence: ps.digitOk / n,
        attributeAdherence: ps.attrTotal > 0 ? ps.attrOk / ps.attrTotal : null,
        training: gaps[j].training,
        gap: gaps[j].gap,
        driftGap: gaps[j].driftGap,
      };
    }),
    timings: { sampleMs, networkMs, evalMs, msPerImage: sampleMs / (n * prompts.length) },
    ...(opts.keepImages ? { images } : {}),
  };
}

/** The result: model, evaluator, settings, data, prompts, references and the rows. */
function t2iResult(
  opts: T2iBenchOptions,
  refs: T2iRefs,
  runs: T2iRun[],
  k: number,
): T2iBenchResult {
  const { model } = opts;
  return {
    benchmark: 't2i',
    model: {
      dir: model.folder.dir,
      className: model.folder.className,
      sampleShape: model.unet.itemShape,
    },
    evaluator: { path: opts.classifier.path, featureDim: refs.dim, k },
    settings: t2iSettings(opts),
    data: {
      dir: opts.mnist.dir,
      split: 'per digit, the last 100 images of <d>.json are held out (training/mnist_data.py)',
    },
    prompts: opts.prompts.map((p) => ({
      ...p,
      index: T2I_PROMPTS.findIndex((q) => q.id === p.id),
      seed: promptSeed(opts.seed, p),
    })),
    reference: refs.reference,
    runs,
  };
}

/** methods × w on the grid runner: each cell samples every prompt, then is scored at once. */
export async function runT2iBench(opts: T2iBenchOptions): Promise<T2iBenchResult> {
  const k = opts.k ?? DEFAULT_K;
  const task = { ...opts, warn: opts.warn ?? ((m: string) => console.warn(m)) };
  checkT2iOptions(task, k);
  const refs = await t2iReferences(task, k);
  const embeddings: PromptEmbeddings[] = [];
  for (const p of task.prompts) embeddings.push(await encodePrompt(task.model, p.text, task.warn));
  return runGrid<RunPlan, T2iCellRun, T2iRun, T2iBenchResult>(
    {
      methods: task.methods,
      ws: task.ws,
      plan: ({ method, w }) =>
        planRun(task.model.schedule, {
          method,
          w,
          nfe: task.nfe,
          steps: task.steps,
          sampler: task.sampler,
        }),
      runOne: (_cell, plan, tick) => t2iCell(task, embeddings, plan, tick),
      score: (_cell, plan, run) => scoreT2iCell(task, refs, plan, run),
      report: (runs) => t2iResult(task, refs, runs, k),
    },
    { signal: task.signal, onProgress: task.onPrompt },
  );
}

function concatRows(parts: readonly Float32Array[]): Float32Array {
  const out = new Float32Array(parts.reduce((a, p) => a + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

/** One PNG per run (rows = prompts in order, columns = images 0 … n−1); needs keepImages. */
export function t2iGrids(result: T2iBenchResult): Map<string, Buffer> {
  const out = new Map<string, Buffer>();
  for (const r of result.runs) {
    if (!r.images) throw new InvalidOptionError('grids need the images: run with keepImages');
    out.set(gridName(r), gridPng(r.images, { scale: defaultScale(r.images[0].shape[2]) }));
  }
  return out;
}

/** FID vs w, adherence vs w (one line per method) and the Pareto plot FID vs adherence. */
export async function t2iPlots(result: T2iBenchResult): Promise<Map<string, string>> {
  const groups = [...byMethod(result.runs)];
  const out = new Map<string, string>();
  const floor = result.reference.floor;
  const curve = async (
    file: string,
    label: string,
    pick: (r: T2iRun) => number | null,
    floorValue?: number,
  ) => {
    const refs =
      floorValue === undefined ? [] : [{ name: 'real (train) floor', value: floorValue }];
    out.set(file, await metricVsW(result.runs, 'text-to-image', label, pick, refs));
  };
  await curve(
    'fid-vs-w.svg',
    'FID-style distance (lower is better)',
    (r) => r.metrics.fid,
    floor.fid,
  );
  await curve('adherence-vs-w.svg', 'digit adherence', (r) => r.metrics.adherence, floor.adherence);
  if (result.runs.some((r) => r.metrics.attributeAdherence !== null)) {
    await curve(
      'attribute-adherence-vs-w.svg',
      'attribute adherence',
      (r) => r.metrics.attributeAdherence,
    );
  }
  await curve('recall-vs-w.svg', 'k-NN recall', (r) => r.metrics.recall, floor.recall);
  await curve('gap-vs-w.svg', 'accumulated training gap', (r) => r.metrics.training);
  out.set(
    'pareto-fid-adherence.svg',
    await renderSvg(
      paretoChart({
        title: `text-to-image: FID-style distance vs adherence (NFE ${result.settings.nfe ?? 'by steps'})`,
        xLabel: 'digit adherence',
        yLabel: 'FID-style distance',
        series: groups.map(([name, rows]) => ({
          name,
          points: rows.map((r) => ({
            x: r.metrics.adherence,
            y: r.metrics.fid,
            label: `w=${r.w}`,
          })),
        })),
        legendTitle: 'method',
      }),
    ),
  );
  return out;
}
