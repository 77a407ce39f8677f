/**
 * Speed and cost (docs/results.md §5), measured side by side in one run:
 *
 * (a) Sampler overhead = time outside the network calls ÷ time inside them, per method, on
 *     a real model (the embedded one by default) and the library's own time per step on a
 *     synthetic large latent (a stand-in denoiser that answers in closed form, so almost all
 *     of the step is the library's arithmetic: guidance, sampler, DiffIER, gap monitor).
 * (b) UNet throughput: time per call at batch 1 and batch 2 (a batched cond/uncond pair),
 *     achieved FLOP/s from an analytic count of the exported architecture
 *     (training/nets.py, TinyCrossAttnUNet: 2 × the multiply-adds of its convolutions,
 *     linear layers and attention products; normalisations and activations not counted),
 *     next to this machine's measured float32 matrix-multiply rate: onnxruntime itself
 *     timing C = A·B on models/bench/matmul.onnx (training/make_matmul.py).
 * (c) Time per image of the README command, `generate "a thick slanted seven" --compare
 *     cfg,diffier` (encode, both methods' sampling, decode, grid encoding; not model load).
 *
 * Absolute times mean something only with the machine named: the result carries the CPU
 * model, core count and the load average at the start.
 */
import type { Denoiser, PredictionRequest, Predictions } from '../core/denoiser.js';
import type { NoiseLevel } from '../core/noiseLevel.js';
import { AbortedError, InvalidOptionError } from '../core/errors.js';
import { defaultScale, gridPng } from '../image/png.js';
import { resolveMethod, type MethodChoice } from '../methods/registry.js';
import type { TextToImageModel } from '../models/load.js';
import {
  encodePrompt,
  textToImage,
  type TextToImageOptions,
  type TextToImageResult,
} from '../pipelines/textToImage.js';
import { planMethod } from '../run/plan.js';
import { runSampling } from '../run/runner.js';
import { SD15_SCHEDULE } from '../schedules/config.js';
import { schedulePlan } from '../schedules/plan.js';
import { createSampler } from '../samplers/index.js';
import { concatBatch, Tensor } from '../core/tensor.js';
import { measureGemm, matmulModelPath, type GemmResult } from './gemm.js';
import { machineInfo, type MachineInfo } from './machine.js';
import { median, randomTensor, timeRepeated, type TimingStats } from './timing.js';
import { EMBEDDED_UNET_ARCH, matchesEmbeddedArch, tinyUnetCost } from './unetCost.js';

// ---------------------------------------------------------------------------
// (b) UNet time per call
// ---------------------------------------------------------------------------

export interface UnetCallResult {
  readonly batch: number;
  readonly timing: TimingStats;
  /** Achieved FLOP/s at the median time (null when the FLOP count is unknown). */
  readonly flops: number | null;
  /** Achieved FLOP/s at the fastest call (a loaded machine spreads the times). */
  readonly flopsBest: number | null;
  /** flops ÷ the measured GEMM peak. */
  readonly fractionOfPeak: number | null;
}

async function timeUnet(
  model: TextToImageModel,
  context: Tensor,
  batch: number,
  reps: number,
): Promise<TimingStats> {
  const x = randomTensor([batch, ...model.unet.itemShape], 3 + batch);
  const ctx = concatBatch(new Array<Tensor>(batch / context.batch).fill(context));
  return timeRepeated(() => model.unet.run(x, 500, ctx), 2, reps);
}

// ---------------------------------------------------------------------------
// (a) synthetic large latent
// ---------------------------------------------------------------------------

/**
 * A stand-in denoiser that answers in closed form: data x0 ~ N(μ, σ_d² I) per element with
 * μ = 0.5 (conditional) or 0 (unconditional) and σ_d = 0.5, for which
 * E[ε | x_t] = s·(x − a·μ) / (a²σ_d² + s²). One pass over the data per prediction, so the
 * sampling loop's time is almost all the library's own; the time inside is measured too.
 */
export class StandInDenoiser implements Denoiser {
  ms = 0;
  calls = 0;

  constructor(readonly itemShape: readonly number[]) {}

  private eps(x: Tensor, level: NoiseLevel, mu: number): Tensor {
    const { a, s } = level;
    const scale = s / (a * a * 0.25 + s * s);
    const shift = a * mu;
    const out = new Float32Array(x.data.length);
    for (let i = 0; i < out.length; i++) out[i] = scale * (x.data[i] - shift);
    return x.like(out);
  }

  async predict(x: Tensor, level: NoiseLevel, request: PredictionRequest): Promise<Predictions> {
    const t0 = performance.now();
    this.calls++;
    const cond = this.eps(x, level, 0.5);
    const out = request === 'both' ? { cond, uncond: this.eps(x, level, 0) } : { cond };
    this.ms += performance.now() - t0;
    return out;
  }
}

// ---------------------------------------------------------------------------
// The whole benchmark
// ---------------------------------------------------------------------------

export interface OverheadRow {
  /** "model" (the loaded model) or "synthetic". */
  readonly target: 'model' | 'synthetic';
  readonly shape: readonly number[];
  readonly batch: number;
  readonly method: string;
  /** Whether the gap monitor watched the run (the README command's default) or not. */
  readonly gapMonitor: boolean;
  readonly steps: number;
  /** Network evaluations per image. */
  readonly nfe: number;
  readonly networkCalls: number;
  readonly sampleMs: number;
  /** Inside the network (the stand-in's own time for the synthetic latent). */
  readonly networkMs: number;
  readonly outsideMs: number;
  /** outside ÷ inside (for the synthetic latent this divides by a near-free stand-in: read libraryMsPerStep). */
  readonly overhead: number;
  readonly libraryMsPerStep: number;
  readonly networkMsPerCall: number;
  /** Of libraryMsPerStep, the gap monitor's share (synthetic runs only, where it is timed). */
  readonly monitorMsPerStep: number | null;
}

export interface SpeedOptions {
  readonly model: TextToImageModel;
  /** The README command's settings. */
  readonly prompt: string;
  readonly methods: readonly MethodChoice[];
  readonly w: number;
  readonly steps: number;
  readonly n: number;
  readonly seed: number;
  /** Repetitions of the README command (medians are reported). Default 1. */
  readonly repeats?: number;
  /** UNet and GEMM timing repetitions. Default 20. */
  readonly reps?: number;
  readonly gemmSize?: number;
  readonly matmulPath?: string;
  readonly synthetic?: { readonly shape: readonly number[]; readonly batch: number };
  /** FLOPs per image of the UNet, when it is not the embedded architecture. */
  readonly unetFlops?: number;
  readonly threads?: number;
  /** How long loading the model took (reported, not part of the time per image). */
  readonly loadMs?: number;
  readonly onProgress?: (label: string) => void;
  readonly warn?: (message: string) => void;
  /** Cancels the run between timed sections and inside the README runs. */
  readonly signal?: AbortSignal;
}

export interface SpeedResult {
  readonly benchmark: 'speed';
  readonly machine: MachineInfo;
  readonly model: { readonly dir: string; readonly sampleShape: readonly number[] };
  readonly settings: {
    readonly prompt: string;
    readonly methods: readonly string[];
    readonly w: number;
    readonly steps: number;
    readonly n: number;
    readonly seed: number;
    readonly repeats: number;
    readonly reps: number;
  };
  readonly overhead: readonly OverheadRow[];
  readonly unet: {
    readonly flopsPerImage: number | null;
    readonly flopsSource: string | null;
    readonly analyticParams: number;
    readonly weightBytes: number;
    readonly calls: readonly UnetCallResult[];
  };
  readonly gemm: GemmResult;
  readonly readme: {
    readonly command: string;
    readonly images: number;
    readonly msPerImage: number;
    readonly totalMs: readonly number[];
    /** Model loading, when the caller timed it (not in msPerImage). */
    readonly loadMs: number | null;
  };
}

function overheadRow(
  target: OverheadRow['target'],
  shape: readonly number[],
  batch: number,
  method: string,
  gapMonitor: boolean,
  steps: number,
  nfe: number,
  networkCalls: number,
  sampleMs: number,
  networkMs: number,
): OverheadRow {
  const outsideMs = Math.max(0, sampleMs - networkMs);
  return {
    target,
    shape,
    batch,
    method,
    gapMonitor,
    steps,
    nfe,
    networkCalls,
    sampleMs,
    networkMs,
    outsideMs,
    overhead: outsideMs / networkMs,
    libraryMsPerStep: outsideMs / steps,
    networkMsPerCall: networkMs / Math.max(1, networkCalls),
    monitorMsPerStep: null,
  };
}

/** The synthetic-latent run of one method: library time per step with a near-free denoiser. */
async function syntheticRun(
  method: MethodChoice,
  w: number,
  steps: number,
  shape: readonly number[],
  batch: number,
  seed: number,
): Promise<OverheadRow> {
  const resolved = resolveMethod(method);
  const sampler = createSampler('ddim');
  const plan = await planMethod(resolved, w, schedulePlan(SD15_SCHEDULE), sampler, { steps });
  const denoiser = new StandInDenoiser(shape);
  const result = await runSampling({
    denoiser,
    method: plan.method,
    sampler,
    levels: plan.levels,
    landings: plan.landings,
    initialScale: plan.initialScale,
    n: batch,
    seed,
    gap: {},
  });
  const row = overheadRow(
    'synthetic',
    shape,
    batch,
    resolved.spec.name,
    true,
    steps,
    result.nfe,
    denoiser.calls,
    result.sampleMs,
    denoiser.ms,
  );
  return { ...row, monitorMsPerStep: result.monitorMs / steps };
}

/** The repetition counts and the synthetic latent, defaults filled in, checked before any work. */
function speedSettings(opts: SpeedOptions) {
  const repeats = opts.repeats ?? 1;
  const reps = opts.reps ?? 20;
  const gemmSize = opts.gemmSize ?? 1024;
  const synthetic = opts.synthetic ?? { shape: [4, 64, 64], batch: 2 };
  for (const [v, name] of [
    [repeats, 'repeats'],
    [reps, 'reps'],
    [gemmSize, 'gemm size'],
    [synthetic.batch, 'synthetic batch'],
    [opts.n, 'n'],
    [opts.steps, 'steps'],
  ] as const) {
    if (!(Number.isInteger(v) && v >= 1))
      throw new InvalidOptionError(`${name} must be an integer ≥ 1, got ${v}`);
  }
  return { repeats, reps, gemmSize, synthetic };
}

type SpeedSettings = ReturnType<typeof speedSettings>;
type ReadmeRun = (
  method: MethodChoice,
  extra?: Partial<TextToImageOptions>,
) => Promise<TextToImageResult>;

/** Append r to its method's list. */
function collect(into: Map<string, TextToImageResult[]>, r: TextToImageResult): void {
  into.set(r.method, [...(into.get(r.method) ?? []), r]);
}

/**
 * (c) + (a, model): the README command `repeats` times (encode, every method, the grid's
 * PNG), then every method once more per repeat without the gap monitor (the sampler's own
 * overhead).
 */
async function readmeRuns(
  opts: SpeedOptions,
  readmeRun: ReadmeRun,
  repeats: number,
  warn: (m: string) => void,
  progress: (label: string) => void,
) {
  const totals: number[] = [];
  const monitored = new Map<string, TextToImageResult[]>();
  for (let rep = 0; rep < repeats; rep++) {
    const t0 = performance.now();
    const embeddings = await encodePrompt(opts.model, opts.prompt, warn);
    const runs: TextToImageResult[] = [];
    for (const method of opts.methods) {
      const r = await readmeRun(method, { embeddings });
      runs.push(r);
      collect(monitored, r);
      progress(`README command ${r.method} (${rep + 1}/${repeats})`);
    }
    gridPng(
      runs.map((r) => r.images),
      { scale: defaultScale(runs[0].images.shape[2]) },
    );
    totals.push(performance.now() - t0);
  }
  const bare = new Map<string, TextToImageResult[]>();
  for (let rep = 0; rep < repeats; rep++) {
    for (const method of opts.methods)
      collect(bare, await readmeRun(method, { gapMonitor: false }));
  }
  return { totals, monitored, bare };
}

/** The model's overhead rows: per method, the median of its repeats, with and without the monitor. */
function modelOverheadRows(
  opts: SpeedOptions,
  monitored: Map<string, TextToImageResult[]>,
  bare: Map<string, TextToImageResult[]>,
): OverheadRow[] {
  const rows: OverheadRow[] = [];
  for (const [gapMonitor, runs] of [
    [true, monitored],
    [false, bare],
  ] as const) {
    for (const [name, rs] of runs) {
      rows.push(
        overheadRow(
          'model',
          opts.model.unet.itemShape,
          opts.n,
          name,
          gapMonitor,
          rs[0].steps,
          rs[0].nfe,
          rs[0].networkCalls,
          median(rs.map((r) => r.timings.sampleMs)),
          median(rs.map((r) => r.timings.networkMs)),
        ),
      );
    }
  }
  return rows;
}

/** (a, synthetic): per method, the median run of `repeats` on the synthetic latent. */
async function syntheticRows(
  opts: SpeedOptions,
  { synthetic, repeats }: SpeedSettings,
  progress: (label: string) => void,
): Promise<OverheadRow[]> {
  const rows: OverheadRow[] = [];
  for (const method of opts.methods) {
    const rs: OverheadRow[] = [];
    for (let rep = 0; rep < repeats; rep++) {
      rs.push(
        await syntheticRun(method, opts.w, opts.steps, synthetic.shape, synthetic.batch, opts.seed),
      );
    }
    const pick = rs.sort((a, b) => a.sampleMs - b.sampleMs)[rs.length >> 1];
    rows.push(pick);
    progress(`synthetic latent ${pick.method}`);
  }
  return rows;
}

/** (b) The UNet's time per call at batch 1 and 2, its FLOP count and the GEMM peak. */
async function unetThroughput(
  opts: SpeedOptions,
  { gemmSize, reps }: SpeedSettings,
  warn: (m: string) => void,
  progress: (label: string) => void,
) {
  const { model } = opts;
  const arch = await matchesEmbeddedArch(model);
  const flopsPerImage =
    opts.unetFlops ?? (arch.matches ? 2 * tinyUnetCost(EMBEDDED_UNET_ARCH).macs : null);
  const flopsSource =
    opts.unetFlops !== undefined
      ? 'given (--unet-flops)'
      : arch.matches
        ? 'analytic: training/nets.py TinyCrossAttnUNet, 2 × multiply-adds of convolutions, linear layers and attention products'
        : null;
  const gemm = await measureGemm(opts.matmulPath ?? matmulModelPath(), gemmSize, reps, {
    threads: opts.threads,
  });
  progress('GEMM peak');
  const emb = await encodePrompt(model, opts.prompt, warn);
  const calls: UnetCallResult[] = [];
  for (const [batch, context] of [
    [1, emb.cond],
    [2, concatBatch([emb.uncond, emb.cond])],
  ] as const) {
    const timing = await timeUnet(model, context, batch, reps);
    const flops =
      flopsPerImage === null ? null : (flopsPerImage * batch) / (timing.medianMs / 1000);
    calls.push({
      batch,
      timing,
      flops,
      flopsBest: flopsPerImage === null ? null : (flopsPerImage * batch) / (timing.minMs / 1000),
      fractionOfPeak: flops === null ? null : flops / gemm.peakFlops,
    });
    progress(`UNet batch ${batch}`);
  }
  const unet = {
    flopsPerImage,
    flopsSource,
    analyticParams: arch.analyticParams,
    weightBytes: arch.weightBytes,
    calls,
  };
  return { unet, gemm };
}

export async function runSpeedBench(opts: SpeedOptions): Promise<SpeedResult> {
  const { model } = opts;
  const warn = opts.warn ?? ((m: string) => console.warn(m));
  const settings = speedSettings(opts);
  const { repeats, reps, synthetic } = settings;
  const machine = machineInfo(opts.threads);
  const progress = (label: string) => {
    if (opts.signal?.aborted) throw new AbortedError();
    opts.onProgress?.(label);
  };

  // Warm-up (untimed): the JIT, the runtime's first-call allocations, every method once.
  const warmEmb = await encodePrompt(model, opts.prompt, warn);
  // The README command's settings for one method; warm-up and the monitor-off runs vary them.
  const readmeRun: ReadmeRun = (method, extra = {}) =>
    textToImage(model, {
      prompt: opts.prompt,
      method,
      w: opts.w,
      steps: opts.steps,
      n: opts.n,
      seed: opts.seed,
      embeddings: warmEmb,
      warn,
      signal: opts.signal,
      ...extra,
    });
  for (const method of opts.methods) {
    if (opts.signal?.aborted) throw new AbortedError();
    await readmeRun(method, { steps: Math.min(opts.steps, 3) });
    await syntheticRun(
      method,
      opts.w,
      Math.min(opts.steps, 3),
      synthetic.shape,
      synthetic.batch,
      opts.seed,
    );
  }

  const { totals, monitored, bare } = await readmeRuns(opts, readmeRun, repeats, warn, progress);
  const overhead = [
    ...modelOverheadRows(opts, monitored, bare),
    ...(await syntheticRows(opts, settings, progress)),
  ];
  const { unet, gemm } = await unetThroughput(opts, settings, warn, progress);

  const images = opts.n * opts.methods.length;
  const methods = opts.methods.map((m) => m.name);
  return {
    benchmark: 'speed',
    machine,
    model: { dir: model.folder.dir, sampleShape: model.unet.itemShape },
    settings: {
      prompt: opts.prompt,
      methods,
      w: opts.w,
      steps: opts.steps,
      n: opts.n,
      seed: opts.seed,
      repeats,
      reps,
    },
    overhead,
    unet,
    gemm,
    readme: {
      command: `diffier generate "${opts.prompt}" --compare ${methods.join(',')} --w ${opts.w} --steps ${opts.steps} --n ${opts.n} --seed ${opts.seed}`,
      images,
      msPerImage: median(totals) / images,
      totalMs: totals,
      loadMs: opts.loadMs ?? null,
    },
  };
}
