/**
 * The super-resolution benchmark (docs/results.md §4b) on an
 * upscaler of MNIST digits (the embedded models/mnist-sr, or any folder making 1×28×28
 * images from 7×7): held-out digits reduced 4× by block means are the inputs, their
 * originals the ground truth. Methods × w at a matched budget, `n` outputs per input:
 *
 * - psnr, ssim: fidelity to the ground truth (eval/imageQuality.ts), mean over outputs;
 * - consistency: PSNR between the output reduced 4× the same way and the input — whether
 *   the output explains what was observed;
 * - fid: Fréchet distance (eval/frechet.ts) of the shipped classifier's features of the
 *   first output of every input vs the held-out digits that are not inputs (realism). One
 *   image per input, so that every row — methods, bicubic, ground truth — is scored on the
 *   same number of images (the distance is biased by the sample size);
 * - digitAccuracy: the classifier reads the input's true digit in the output;
 * - training, gap, driftGap: the accumulated training gap (the headline), the KSD gap A and
 *   drift A_r of the gap monitor, mean over inputs.
 *
 * Reference rows score the bicubic upsampling (the classic baseline) and the ground truth
 * itself (its FID is the floor a perfect upscaler would reach with this many images: the
 * inputs' originals are not in the FID reference).
 *
 * Inputs: image i is digit i mod 10, the ⌊i/10⌋-th held-out image of that digit. Input i's
 * noise is keyed by (seed, i), the same for every method and w (common random numbers).
 */
import { takeImages, type MnistSplit } from '../data/mnist.js';
import { InvalidOptionError, ShapeError } from '../core/errors.js';
import { CLASSIFIER_ITEM_SHAPE, type EvalClassifier } from '../eval/classifier.js';
import { frechetDistance, moments, type Moments } from '../eval/frechet.js';
import { psnr, ssimGrey } from '../eval/imageQuality.js';
import { defaultScale, gridPng } from '../image/png.js';
import { boxDownsample, nearestUpsample } from '../image/resize.js';
import type { MethodChoice } from '../methods/registry.js';
import type { OptionValue } from '../methods/types.js';
import type { UnetCalls } from '../denoisers/unetDenoiser.js';
import type { UpscalerModel } from '../models/upscaler.js';
import { planRun, type RunPlan } from '../pipelines/run.js';
import { checkGrid, runGrid } from './grid.js';
import { DEFAULT_NOISE_LEVEL, upscale } from '../pipelines/upscale.js';
import { paretoChart } from '../plot/charts.js';
import { renderSvg } from '../plot/render.js';
import { streamKey } from '../core/random.js';
import { concatBatch, type Tensor } from '../core/tensor.js';
import { byMethod, gridName, metricVsW } from './wCurves.js';
import { budgetOf } from '../run/budget.js';
import { defaultSamplerName } from '../samplers/index.js';

export interface SrMetrics {
  readonly psnr: number;
  readonly ssim: number;
  readonly consistency: number;
  readonly fid: number;
  readonly digitAccuracy: number;
  /** Mean over inputs of the accumulated training gap, gap A and drift A_r (null for reference rows). */
  readonly training: number | null;
  readonly gap: number | null;
  readonly driftGap: number | null;
}

export interface SrRun {
  readonly method: string;
  readonly options: Readonly<Record<string, OptionValue>>;
  readonly w: number;
  readonly steps: number;
  readonly nfe: number;
  readonly metrics: SrMetrics;
  readonly timings: {
    readonly sampleMs: number;
    readonly networkMs: number;
    readonly msPerImage: number;
  };
  /** Per input [n, 1, 28, 28] in [0, 1], when asked for (grids). */
  readonly images?: readonly Tensor[];
}

export interface SrBenchResult {
  readonly benchmark: 'sr';
  readonly model: { readonly dir: string; readonly className: string; readonly factor: number };
  readonly evaluator: { readonly path: string; readonly featureDim: number };
  readonly settings: {
    readonly methods: readonly string[];
    readonly ws: readonly number[];
    readonly nfe: number | null;
    readonly steps: number | null;
    readonly inputs: number;
    readonly n: number;
    readonly seed: number;
    readonly noiseLevel: number;
    readonly sampler: string;
    readonly unetCalls: UnetCalls | null;
  };
  readonly data: {
    readonly dir: string;
    readonly split: string;
    readonly fidReferenceSize: number;
  };
  readonly reference: { readonly bicubic: SrMetrics; readonly groundTruth: SrMetrics };
  readonly runs: readonly SrRun[];
  /** Ground truth, input (pixels repeated) and bicubic of the first inputs, for grids. */
  readonly inputsPreview?: {
    readonly truth: Tensor;
    readonly input: Tensor;
    readonly bicubic: Tensor;
  };
}

export interface SrBenchOptions {
  readonly model: UpscalerModel;
  readonly classifier: EvalClassifier;
  readonly mnist: MnistSplit;
  readonly methods: readonly MethodChoice[];
  readonly ws: readonly number[];
  /** Exactly one of nfe and steps. */
  readonly nfe?: number;
  readonly steps?: number;
  /** Held-out digits to upscale (image i is digit i mod 10). */
  readonly inputs: number;
  /** Outputs per input. */
  readonly n: number;
  readonly seed: number;
  readonly noiseLevel?: number;
  readonly sampler?: string;
  readonly unetCalls?: UnetCalls;
  /** Keep the images of every run (for grids). */
  readonly keepImages?: boolean;
  readonly signal?: AbortSignal;
  readonly onInput?: (label: string) => void;
  readonly warn?: (message: string) => void;
}

/** At most this many inputs: half the held-out digits, the other half is the FID reference. */
export const MAX_INPUTS = 500;

/** The seed of input i: keyed by its index, so the same for every method and w. */
export function inputSeed(seed: number, i: number): number {
  return streamKey(seed, 0x5a000000 + i);
}

interface Truth {
  readonly digits: readonly number[];
  /** [inputs, 1, 28, 28] ground truth and [inputs, 1, 7, 7] inputs. */
  readonly hr: Tensor;
  readonly lr: Tensor;
}

function benchInputs(mnist: MnistSplit, count: number, factor: number): Truth {
  const digits: number[] = [];
  const parts: Tensor[] = [];
  for (let i = 0; i < count; i++) {
    const d = i % 10;
    const set = mnist.heldOut.get(d);
    if (!set) throw new ShapeError(`no held-out images of digit ${d} were loaded`);
    const k = Math.floor(i / 10);
    if (k >= set.count) {
      throw new InvalidOptionError(
        `${count} inputs need more than the ${set.count} held-out images of digit ${d}`,
      );
    }
    digits.push(d);
    parts.push(takeImages(set, k, 1));
  }
  const hr = concatBatch(parts);
  return { digits, hr, lr: boxDownsample(hr, factor) };
}

/** Scores of outputs laid out as `perInput` consecutive images per input. */
async function scoreOutputs(
  images: Tensor,
  perInput: number,
  truth: Truth,
  factor: number,
  classifier: EvalClassifier,
  fidRef: Moments,
): Promise<Omit<SrMetrics, 'training' | 'gap' | 'driftGap'>> {
  const [, , h, w] = images.shape;
  const plane = h * w;
  const small = boxDownsample(images, factor);
  const lrPlane = small.itemSize;
  const out = await classifier.classify(images);
  const dim = out.featureDim;
  const firsts = new Float32Array((images.batch / perInput) * dim);
  let p = 0;
  let s = 0;
  let c = 0;
  let right = 0;
  for (let k = 0; k < images.batch; k++) {
    const i = Math.floor(k / perInput);
    const img = images.data.subarray(k * plane, (k + 1) * plane);
    const gt = truth.hr.data.subarray(i * plane, (i + 1) * plane);
    p += psnr(img, gt);
    s += ssimGrey(img, gt, w, h);
    c += psnr(
      small.data.subarray(k * lrPlane, (k + 1) * lrPlane),
      truth.lr.data.subarray(i * lrPlane, (i + 1) * lrPlane),
    );
    right += out.digit[k] === truth.digits[i] ? 1 : 0;
    if (k % perInput === 0) firsts.set(out.features.subarray(k * dim, (k + 1) * dim), i * dim);
  }
  const count = images.batch;
  return {
    psnr: p / count,
    ssim: s / count,
    consistency: c / count,
    fid: frechetDistance(moments(firsts, dim, 'output features'), fidRef),
    digitAccuracy: right / count,
  };
}

/** Every option checked once, before any work. */
function checkSrOptions(opts: SrBenchOptions): void {
  const { model, n } = opts;
  checkGrid(opts.methods, opts.ws);
  budgetOf(opts); // exactly one of steps and nfe
  if (!(Number.isInteger(n) && n >= 1)) throw new InvalidOptionError(`n must be ≥ 1, got ${n}`);
  if (!(Number.isInteger(opts.inputs) && opts.inputs >= 2 && opts.inputs <= MAX_INPUTS))
    throw new InvalidOptionError(
      `inputs must be an integer in [2, ${MAX_INPUTS}] (the rest of the held-out digits is the FID reference), got ${opts.inputs}`,
    );
  const out = model.outputShape;
  if (out.some((d, i) => d !== CLASSIFIER_ITEM_SHAPE[i]) || model.inputShape[0] !== 1) {
    throw new ShapeError(
      `the evaluation network reads ${CLASSIFIER_ITEM_SHAPE.join('×')} images; this upscaler makes [${out.join(', ')}]: use an MNIST upscaler (e.g. the embedded one)`,
    );
  }
}

/** The realism reference: the held-out images of the inputs' digits that are not inputs. */
async function srReference(opts: SrBenchOptions, truth: Truth) {
  const digits = [...new Set(truth.digits)].sort((a, b) => a - b);
  const used = Math.ceil(opts.inputs / 10);
  const refImages = concatBatch(
    digits.map((d) => {
      const set = opts.mnist.heldOut.get(d)!;
      return takeImages(set, used, set.count - used);
    }),
  );
  const refOut = await opts.classifier.classify(refImages);
  const fidRef = moments(refOut.features, refOut.featureDim, 'held-out features');
  return { size: refImages.batch, featureDim: refOut.featureDim, fidRef };
}

/** One cell's sampling: n outputs of every input, and the sums of its gap figures. */
interface SrCellRun {
  readonly images: Tensor[];
  readonly bicubics: Tensor[];
  readonly training: number;
  readonly gap: number;
  readonly driftGap: number;
  readonly sampleMs: number;
  readonly networkMs: number;
  readonly nfe: number;
}

/** Upscale every input with one cell's plan. */
async function srCell(
  opts: SrBenchOptions,
  truth: Truth,
  plan: RunPlan,
  tick: (label: string) => void,
): Promise<SrCellRun> {
  const warn = opts.warn ?? ((m: string) => console.warn(m));
  const run = { images: [] as Tensor[], bicubics: [] as Tensor[] };
  let [training, gap, driftGap, sampleMs, networkMs, nfe] = [0, 0, 0, 0, 0, 0];
  for (let i = 0; i < opts.inputs; i++) {
    const r = await upscale(opts.model, truth.lr.sliceBatch(i, i + 1), {
      plan,
      n: opts.n,
      seed: inputSeed(opts.seed, i),
      noiseLevel: opts.noiseLevel,
      unetCalls: opts.unetCalls,
      signal: opts.signal,
      warn,
    });
    run.images.push(r.images);
    run.bicubics.push(r.bicubic);
    training += r.gap?.training ?? NaN;
    gap += r.gap?.gap ?? NaN;
    driftGap += r.gap?.driftGap ?? NaN;
    sampleMs += r.timings.sampleMs;
    networkMs += r.timings.networkMs;
    nfe = Math.max(nfe, r.nfe);
    tick(`${r.method} w=${plan.w} input ${i + 1}/${opts.inputs}`);
  }
  return { ...run, training, gap, driftGap, sampleMs, networkMs, nfe };
}

/** What every cell is scored against: the inputs' truth and the realism reference. */
interface SrRefs {
  readonly truth: Truth;
  readonly ref: Awaited<ReturnType<typeof srReference>>;
  score(images: Tensor, perInput: number): ReturnType<typeof scoreOutputs>;
}

/** Score one cell's outputs: its row of the result. */
async function scoreSrCell(
  opts: SrBenchOptions,
  refs: SrRefs,
  plan: RunPlan,
  r: SrCellRun,
): Promise<SrRun> {
  const { n, inputs } = opts;
  return {
    method: plan.resolved.spec.name,
    options: plan.resolved.options,
    w: plan.w,
    steps: plan.steps,
    nfe: r.nfe,
    metrics: {
      ...(await refs.score(concatBatch(r.images), n)),
      training: r.training / inputs,
      gap: r.gap / inputs,
      driftGap: r.driftGap / inputs,
    },
    timings: {
      sampleMs: r.sampleMs,
      networkMs: r.networkMs,
      msPerImage: r.sampleMs / (n * inputs),
    },
    ...(opts.keepImages ? { images: r.images } : {}),
  };
}

/** The result: the reference rows (bicubic, ground truth) scored, the settings and the rows. */
async function srResult(
  opts: SrBenchOptions,
  refs: SrRefs,
  bicubic: Tensor,
  runs: SrRun[],
): Promise<SrBenchResult> {
  const { model } = opts;
  const { truth } = refs;
  const reference = {
    bicubic: { ...(await refs.score(bicubic, 1)), training: null, gap: null, driftGap: null },
    groundTruth: { ...(await refs.score(truth.hr, 1)), training: null, gap: null, driftGap: null },
  };
  const preview = Math.min(opts.inputs, 10);
  return {
    benchmark: 'sr',
    model: { dir: model.folder.dir, className: model.folder.className, factor: model.factor },
    evaluator: { path: opts.classifier.path, featureDim: refs.ref.featureDim },
    settings: {
      methods: opts.methods.map((m) => m.name),
      ws: opts.ws,
      nfe: opts.nfe ?? null,
      steps: opts.steps ?? null,
      inputs: opts.inputs,
      n: opts.n,
      seed: opts.seed,
      noiseLevel: opts.noiseLevel ?? DEFAULT_NOISE_LEVEL,
      // What ran: without a name the model's scheduler class picks it (samplers/names.ts).
      sampler: opts.sampler ?? defaultSamplerName(opts.model.schedule),
      unetCalls: opts.unetCalls ?? null,
    },
    data: {
      dir: opts.mnist.dir,
      split:
        'per digit, the last 100 images of <d>.json are held out (training/mnist_data.py); input i = digit i mod 10, held-out image ⌊i/10⌋',
      fidReferenceSize: refs.ref.size,
    },
    reference,
    runs,
    ...(opts.keepImages
      ? {
          inputsPreview: {
            truth: truth.hr.sliceBatch(0, preview),
            input: nearestUpsample(truth.lr.sliceBatch(0, preview), model.factor),
            bicubic: bicubic.sliceBatch(0, preview),
          },
        }
      : {}),
  };
}

/** methods × w on the grid runner: each cell upscales every input, then is scored at once. */
export async function runSrBench(opts: SrBenchOptions): Promise<SrBenchResult> {
  const { model, classifier } = opts;
  checkSrOptions(opts);
  const truth = benchInputs(opts.mnist, opts.inputs, model.factor);
  const ref = await srReference(opts, truth);
  const refs: SrRefs = {
    truth,
    ref,
    score: (images, perInput) =>
      scoreOutputs(images, perInput, truth, model.factor, classifier, ref.fidRef),
  };
  // The bicubic baseline does not depend on the method: the first cell's is kept.
  let bicubic: Tensor | undefined;
  return runGrid<RunPlan, SrCellRun, SrRun, SrBenchResult>(
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
      runOne: (_cell, plan, tick) => srCell(opts, truth, plan, tick),
      score: (_cell, plan, r) => {
        bicubic ??= concatBatch(r.bicubics);
        return scoreSrCell(opts, refs, plan, r);
      },
      report: (runs) => srResult(opts, refs, bicubic!, runs),
    },
    { signal: opts.signal, onProgress: opts.onInput },
  );
}

/** JSON without the images (the grids hold them). */
export function srJson(result: SrBenchResult) {
  return {
    ...result,
    inputsPreview: undefined,
    runs: result.runs.map((r) => ({ ...r, images: undefined })),
  };
}

/**
 * One PNG per run: columns = the first inputs; rows = ground truth, input (pixels repeated),
 * bicubic, then the run's first three outputs of each input. Needs keepImages.
 */
export function srGrids(result: SrBenchResult): Map<string, Buffer> {
  const preview = result.inputsPreview;
  if (!preview) throw new InvalidOptionError('grids need the images: run with keepImages');
  const out = new Map<string, Buffer>();
  const cols = preview.truth.batch;
  for (const r of result.runs) {
    if (!r.images) throw new InvalidOptionError('grids need the images: run with keepImages');
    const samples = Math.min(3, r.images[0].batch);
    const rows = [preview.truth, preview.input, preview.bicubic];
    for (let k = 0; k < samples; k++) {
      rows.push(concatBatch(r.images.slice(0, cols).map((t) => t.sliceBatch(k, k + 1))));
    }
    out.set(gridName(r), gridPng(rows, { scale: defaultScale(rows[0].shape[2]) }));
  }
  return out;
}

/** PSNR, SSIM, consistency, FID and gap against w, and the Pareto plot FID vs PSNR. */
export async function srPlots(result: SrBenchResult): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  const { bicubic, groundTruth } = result.reference;
  const curve = async (
    file: string,
    label: string,
    pick: (r: SrRun) => number | null,
    refs: { name: string; value: number }[] = [],
  ) => out.set(file, await metricVsW(result.runs, 'super-resolution', label, pick, refs));
  await curve('psnr-vs-w.svg', 'PSNR dB (higher is better)', (r) => r.metrics.psnr, [
    { name: 'bicubic', value: bicubic.psnr },
  ]);
  await curve('ssim-vs-w.svg', 'SSIM (higher is better)', (r) => r.metrics.ssim, [
    { name: 'bicubic', value: bicubic.ssim },
  ]);
  await curve('consistency-vs-w.svg', 'consistency PSNR dB', (r) => r.metrics.consistency, [
    { name: 'bicubic', value: bicubic.consistency },
  ]);
  await curve('fid-vs-w.svg', 'FID-style distance (lower is better)', (r) => r.metrics.fid, [
    { name: 'bicubic', value: bicubic.fid },
    { name: 'ground truth (floor)', value: groundTruth.fid },
  ]);
  await curve('gap-vs-w.svg', 'accumulated training gap', (r) => r.metrics.training);
  out.set(
    'pareto-fid-psnr.svg',
    await renderSvg(
      paretoChart({
        title: `super-resolution: FID-style distance vs PSNR (NFE ${result.settings.nfe ?? 'by steps'})`,
        xLabel: 'PSNR dB',
        yLabel: 'FID-style distance',
        series: [...byMethod(result.runs)].map(([name, rows]) => ({
          name,
          points: rows.map((r) => ({ x: r.metrics.psnr, y: r.metrics.fid, label: `w=${r.w}` })),
        })),
        legendTitle: 'method',
      }),
    ),
  );
  return out;
}
