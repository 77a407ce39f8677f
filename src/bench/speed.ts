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
import { readFileSync } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { arch, availableParallelism, cpus, loadavg, platform, release, totalmem } from 'node:os';
import { dirname, join } from 'node:path';
import { feed, type SessionOptions, type Signature, loadSession } from '../backends/onnx.js';
import type { Denoiser, PredictionRequest, Predictions } from '../core/denoiser.js';
import { InvalidOptionError } from '../errors.js';
import { defaultScale, gridPng } from '../image/png.js';
import { resolveMethod, type MethodChoice } from '../methods/registry.js';
import { packageRoot } from '../models/embedded.js';
import type { TextToImageModel } from '../models/load.js';
import {
  encodePrompt,
  textToImage,
  type TextToImageOptions,
  type TextToImageResult,
} from '../pipelines/textToImage.js';
import type { NoiseLevel } from '../core/noiseLevel.js';
import { schedulePlan } from '../schedules/plan.js';
import { planMethod } from '../run/plan.js';
import { runSampling } from '../run/runner.js';
import { SD15_SCHEDULE } from '../schedules/config.js';
import { createSampler } from '../samplers/index.js';
import { RandomStream } from '../tensor/random.js';
import { concatBatch, Tensor } from '../tensor/tensor.js';

// ---------------------------------------------------------------------------
// Machine
// ---------------------------------------------------------------------------

export interface MachineInfo {
  readonly cpu: string;
  /** Logical cores as the OS reports them. */
  readonly cores: number;
  readonly availableParallelism: number;
  /** 1, 5 and 15 minute load averages at the start (a loaded machine measures slow). */
  readonly loadAverage: readonly number[];
  readonly memoryGiB: number;
  readonly os: string;
  readonly node: string;
  readonly onnxruntime: string;
  /** onnxruntime intra-op threads (null: the runtime's default, one per physical core). */
  readonly threads: number | null;
}

function onnxruntimeVersion(): string {
  try {
    const pkg = createRequire(import.meta.url).resolve('onnxruntime-node/package.json');
    return (JSON.parse(readFileSync(pkg, 'utf8')) as { version?: string }).version ?? 'unknown';
  } catch {
    return 'unknown';
  }
}

export function machineInfo(threads?: number): MachineInfo {
  const list = cpus();
  return {
    cpu: list[0]?.model.trim() ?? 'unknown',
    cores: list.length,
    availableParallelism: availableParallelism(),
    loadAverage: loadavg().map((v) => Math.round(v * 100) / 100),
    memoryGiB: Math.round((totalmem() / 2 ** 30) * 10) / 10,
    os: `${platform()} ${release()} ${arch()}`,
    node: process.version,
    onnxruntime: onnxruntimeVersion(),
    threads: threads ?? null,
  };
}

// ---------------------------------------------------------------------------
// Timing helpers
// ---------------------------------------------------------------------------

export interface TimingStats {
  readonly reps: number;
  readonly medianMs: number;
  readonly minMs: number;
}

function stats(times: readonly number[]): TimingStats {
  const s = [...times].sort((a, b) => a - b);
  const mid = s.length >> 1;
  const median = s.length % 2 ? s[mid] : 0.5 * (s[mid - 1] + s[mid]);
  return { reps: s.length, medianMs: median, minMs: s[0] };
}

async function timeRepeated(
  fn: () => Promise<unknown>,
  warmup: number,
  reps: number,
): Promise<TimingStats> {
  for (let i = 0; i < warmup; i++) await fn();
  const times: number[] = [];
  for (let i = 0; i < reps; i++) {
    const t0 = performance.now();
    await fn();
    times.push(performance.now() - t0);
  }
  return stats(times);
}

function randomTensor(shape: readonly number[], key: number): Tensor {
  const t = Tensor.zeros(shape);
  const rng = new RandomStream(key);
  for (let i = 0; i < t.data.length; i++) t.data[i] = rng.normal();
  return t;
}

// ---------------------------------------------------------------------------
// (b) analytic cost of the embedded UNet
// ---------------------------------------------------------------------------

/** Multiply-adds and parameters of a network (or a part of one). */
export interface NetCost {
  readonly macs: number;
  readonly params: number;
}

const add = (...parts: NetCost[]): NetCost => ({
  macs: parts.reduce((a, p) => a + p.macs, 0),
  params: parts.reduce((a, p) => a + p.params, 0),
});
/** k×k convolution (with bias) producing h×w outputs. */
const conv = (cin: number, cout: number, k: number, h: number, w = h): NetCost => ({
  macs: h * w * cout * cin * k * k,
  params: cout * cin * k * k + cout,
});
/** nn.Linear applied to `rows` vectors. */
const linear = (cin: number, cout: number, rows = 1): NetCost => ({
  macs: rows * cin * cout,
  params: cin * cout + cout,
});
const groupNorm = (c: number): NetCost => ({ macs: 0, params: 2 * c });

/** nets.py ResBlock at h×h. */
function resBlock(cin: number, cout: number, emb: number, h: number): NetCost {
  return add(
    groupNorm(cin),
    conv(cin, cout, 3, h),
    linear(emb, cout),
    groupNorm(cout),
    conv(cout, cout, 3, h),
    cin !== cout ? conv(cin, cout, 1, h) : { macs: 0, params: 0 },
  );
}

/** nets.py CrossAttn: L = h·h queries of width c attend to S text states of width ctx. */
function crossAttn(c: number, ctx: number, h: number, s: number): NetCost {
  const l = h * h;
  return add(
    groupNorm(c),
    linear(c, c, l), // q projection
    linear(ctx, c, s), // k projection
    linear(ctx, c, s), // v projection
    { macs: 2 * l * s * c, params: 0 }, // q·kᵀ and softmax(·)·v
    linear(c, c, l), // attention out_proj
    linear(c, c, l), // CrossAttn.proj
  );
}

export interface TinyUnetArch {
  readonly channels: readonly [number, number, number];
  readonly ctxDim: number;
  readonly ctxLen: number;
  readonly embDim: number;
  readonly tDim: number;
  readonly size: number;
}

/** training/nets.py TinyCrossAttnUNet() defaults, as exported by training/export_onnx.py. */
export const EMBEDDED_UNET_ARCH: TinyUnetArch = {
  channels: [16, 32, 64],
  ctxDim: 64,
  ctxLen: 16,
  embDim: 128,
  tDim: 64,
  size: 28,
};

/** Multiply-adds per image and parameters of TinyCrossAttnUNet (training/nets.py, `trunk`). */
export function tinyUnetCost(a: TinyUnetArch = EMBEDDED_UNET_ARCH): NetCost {
  const [c1, c2, c3] = a.channels;
  const { ctxDim: ctx, ctxLen: s, embDim: e, tDim } = a;
  const h1 = a.size;
  const h2 = Math.ceil(h1 / 2);
  const h3 = Math.ceil(h2 / 2);
  return add(
    linear(tDim, e),
    linear(e, e), // t_mlp (once per call; counted per image, 0.06 % of the total)
    linear(ctx, e),
    linear(e, e), // pool_proj
    conv(1, c1, 3, h1), // inp
    resBlock(c1, c1, e, h1), // d1
    conv(c1, c2, 3, h2), // down1 (stride 2)
    resBlock(c2, c2, e, h2),
    crossAttn(c2, ctx, h2, s), // d2, a2
    conv(c2, c3, 3, h3), // down2 (stride 2)
    resBlock(c3, c3, e, h3),
    crossAttn(c3, ctx, h3, s), // d3, a3
    resBlock(c3, c3, e, h3),
    crossAttn(c3, ctx, h3, s), // m, ma
    resBlock(2 * c3, c3, e, h3),
    crossAttn(c3, ctx, h3, s), // u3, ua3
    conv(c3, c2, 3, h3), // up2 (then nearest ×2)
    resBlock(2 * c2, c2, e, h2),
    crossAttn(c2, ctx, h2, s), // u2, ua2
    conv(c2, c1, 3, h2), // up1 (then nearest ×2)
    resBlock(2 * c1, c1, e, h1), // u1
    groupNorm(c1),
    conv(c1, 1, 3, h1), // out_norm, out
  );
}

/** Bytes of every file in a folder (an .onnx and its external data). */
async function folderBytes(dir: string): Promise<number> {
  let total = 0;
  for (const name of await readdir(dir)) {
    const st = await stat(join(dir, name));
    if (st.isFile()) total += st.size;
  }
  return total;
}

/**
 * Whether a loaded UNet is the embedded architecture: the same sample and context shapes,
 * and weight files within 15 % of 4 bytes × the analytic parameter count.
 */
export async function matchesEmbeddedArch(model: TextToImageModel): Promise<{
  matches: boolean;
  weightBytes: number;
  analyticParams: number;
}> {
  const a = EMBEDDED_UNET_ARCH;
  const weightBytes = await folderBytes(dirname(model.folder.unet));
  const analyticParams = tinyUnetCost(a).params;
  const [ctxLen, ctxDim] = model.unet.contextShape;
  const shape = model.unet.itemShape;
  const matches =
    shape.length === 3 &&
    shape[0] === 1 &&
    shape[1] === a.size &&
    shape[2] === a.size &&
    ctxLen === a.ctxLen &&
    ctxDim === a.ctxDim &&
    Math.abs(weightBytes - 4 * analyticParams) <= 0.15 * 4 * analyticParams;
  return { matches, weightBytes, analyticParams };
}

// ---------------------------------------------------------------------------
// (b) SGEMM peak through onnxruntime
// ---------------------------------------------------------------------------

export const MATMUL_SIGNATURE: Signature = {
  inputs: [
    { name: 'a', types: ['float32'], ranks: [2] },
    { name: 'b', types: ['float32'], ranks: [2] },
  ],
  outputs: [{ name: 'c', types: ['float32'], ranks: [2] }],
};

export function matmulModelPath(): string {
  return join(packageRoot(), 'models', 'bench', 'matmul.onnx');
}

export interface GemmResult {
  readonly size: number;
  readonly flopsPerCall: number;
  readonly timing: TimingStats;
  /** 2·N³ ÷ the fastest call: the peak as the runtime reaches it. */
  readonly peakFlops: number;
  readonly medianFlops: number;
}

export async function measureGemm(
  path: string,
  size: number,
  reps: number,
  opts: SessionOptions = {},
): Promise<GemmResult> {
  const session = await loadSession(path, 'matmul probe', MATMUL_SIGNATURE, opts);
  try {
    const a = randomTensor([size, size], 1);
    const b = randomTensor([size, size], 2);
    const feeds = {
      a: feed(session.input('a')!, a.data, [size, size]),
      b: feed(session.input('b')!, b.data, [size, size]),
    };
    const timing = await timeRepeated(() => session.run(feeds, ['c']), 2, reps);
    const flopsPerCall = 2 * size ** 3;
    return {
      size,
      flopsPerCall,
      timing,
      peakFlops: flopsPerCall / (timing.minMs / 1000),
      medianFlops: flopsPerCall / (timing.medianMs / 1000),
    };
  } finally {
    await session.release();
  }
}

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

function median(v: readonly number[]): number {
  return stats(v).medianMs;
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

export async function runSpeedBench(opts: SpeedOptions): Promise<SpeedResult> {
  const { model } = opts;
  const warn = opts.warn ?? ((m: string) => console.warn(m));
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
  const machine = machineInfo(opts.threads);
  const progress = opts.onProgress ?? (() => undefined);

  // Warm-up (untimed): the JIT, the runtime's first-call allocations, every method once.
  const warmEmb = await encodePrompt(model, opts.prompt, warn);
  // The README command's settings for one method; warm-up and the monitor-off runs vary them.
  const readmeRun = (method: MethodChoice, extra: Partial<TextToImageOptions> = {}) =>
    textToImage(model, {
      prompt: opts.prompt,
      method,
      w: opts.w,
      steps: opts.steps,
      n: opts.n,
      seed: opts.seed,
      embeddings: warmEmb,
      warn,
      ...extra,
    });
  for (const method of opts.methods) {
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

  // (c) + (a, model): the README command, `repeats` times.
  const totals: number[] = [];
  const perMethod = new Map<string, TextToImageResult[]>();
  for (let rep = 0; rep < repeats; rep++) {
    const t0 = performance.now();
    const embeddings = await encodePrompt(model, opts.prompt, warn);
    const runs: TextToImageResult[] = [];
    for (const method of opts.methods) {
      const r = await readmeRun(method, { embeddings });
      runs.push(r);
      perMethod.set(r.method, [...(perMethod.get(r.method) ?? []), r]);
      progress(`README command ${r.method} (${rep + 1}/${repeats})`);
    }
    gridPng(
      runs.map((r) => r.images),
      { scale: defaultScale(runs[0].images.shape[2]) },
    );
    totals.push(performance.now() - t0);
  }
  // (a, model) once more without the gap monitor: the sampler's own overhead.
  const bare = new Map<string, TextToImageResult[]>();
  for (let rep = 0; rep < repeats; rep++) {
    for (const method of opts.methods) {
      const r = await readmeRun(method, { gapMonitor: false });
      bare.set(r.method, [...(bare.get(r.method) ?? []), r]);
    }
  }
  const overhead: OverheadRow[] = [];
  for (const [gapMonitor, runs] of [
    [true, perMethod],
    [false, bare],
  ] as const) {
    for (const [name, rs] of runs) {
      overhead.push(
        overheadRow(
          'model',
          model.unet.itemShape,
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
  // (a, synthetic)
  for (const method of opts.methods) {
    const rs: OverheadRow[] = [];
    for (let rep = 0; rep < repeats; rep++) {
      rs.push(
        await syntheticRun(method, opts.w, opts.steps, synthetic.shape, synthetic.batch, opts.seed),
      );
    }
    const pick = rs.sort((a, b) => a.sampleMs - b.sampleMs)[rs.length >> 1];
    overhead.push(pick);
    progress(`synthetic latent ${pick.method}`);
  }

  // (b) UNet per call and the GEMM peak.
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

  const images = opts.n * opts.methods.length;
  return {
    benchmark: 'speed',
    machine,
    model: { dir: model.folder.dir, sampleShape: model.unet.itemShape },
    settings: {
      prompt: opts.prompt,
      methods: opts.methods.map((m) => m.name),
      w: opts.w,
      steps: opts.steps,
      n: opts.n,
      seed: opts.seed,
      repeats,
      reps,
    },
    overhead,
    unet: {
      flopsPerImage,
      flopsSource,
      analyticParams: arch.analyticParams,
      weightBytes: arch.weightBytes,
      calls,
    },
    gemm,
    readme: {
      command: `diffier generate "${opts.prompt}" --compare ${opts.methods.map((m) => m.name).join(',')} --w ${opts.w} --steps ${opts.steps} --n ${opts.n} --seed ${opts.seed}`,
      images,
      msPerImage: median(totals) / images,
      totalMs: totals,
      loadMs: opts.loadMs ?? null,
    },
  };
}
