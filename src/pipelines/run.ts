/**
 * What every pipeline does the same way once its conditions are bound into a denoiser:
 * plan the run (method, weight, step count from --steps or --nfe, sampler), draw the
 * initial noise per item from the seed, sample with the gap monitor watching, and time the
 * loop and the network inside it.
 */
import { GapMonitor, type GapStep, type GapSummary } from '../diffier/gapMonitor.js';
import type { Denoiser } from '../denoisers/types.js';
import { InvalidOptionError } from '../errors.js';
import { stepsForNfe } from '../methods/nfe.js';
import { resolveMethod, type MethodChoice } from '../methods/registry.js';
import type { OptionValue } from '../methods/types.js';
import type { UnetModel } from '../models/unet.js';
import { schedulePlan } from '../sampling/plan.js';
import { sample, type StepPayload } from '../sampling/sample.js';
import type { ScheduleConfig } from '../sampling/schedule.js';
import { createSampler, type SamplerOptions } from '../sampling/steps/index.js';
import { BatchRandom } from '../tensor/random.js';
import type { Tensor } from '../tensor/tensor.js';

export const DEFAULT_STEPS = 30;

/** The sampling settings every pipeline takes. */
export interface SamplingSettings {
  /** Default cfg. */
  readonly method?: MethodChoice;
  /** Guidance weight (1 = no guidance). Default 3. */
  readonly w?: number;
  /** At most one of steps and nfe; default DEFAULT_STEPS. */
  readonly steps?: number;
  /** Evaluation budget per image: the most steps whose cost fits (methods/nfe.ts). */
  readonly nfe?: number;
  /** Sampler name (sampling/steps). Default ddim. */
  readonly sampler?: string;
  readonly samplerOptions?: SamplerOptions;
}

export function positiveInteger(v: number | undefined, name: string): void {
  if (v !== undefined && !(Number.isInteger(v) && v >= 1)) {
    throw new InvalidOptionError(`${name} must be an integer ≥ 1, got ${v}`);
  }
}

/** The method, sampler and step count of a run (steps from `nfe` by counting, methods/nfe.ts). */
export async function planRun(schedule: ScheduleConfig, opts: SamplingSettings) {
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
  const plan = schedulePlan(schedule);
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

export type RunPlan = Awaited<ReturnType<typeof planRun>>;

export interface WatchedRunOptions {
  readonly plan: RunPlan;
  readonly denoiser: Denoiser;
  /** The network, for the time spent inside it. */
  readonly unet: UnetModel;
  readonly n: number;
  readonly seed: number;
  /** Measure the gap at every step (default true). */
  readonly gapMonitor?: boolean;
  /** Items used by the gap monitor's O(n²) KSD. */
  readonly ksdItems?: number;
  readonly onStep?: (payload: StepPayload) => void;
  /** Each step's gap measures as soon as they are known (live plots). */
  readonly onGap?: (step: GapStep) => void;
  readonly signal?: AbortSignal;
}

export interface WatchedRun {
  /** The final sample [n, …itemShape]. */
  readonly x: Tensor;
  /** Network evaluations per item (a cond + uncond pair counts 2). */
  readonly nfe: number;
  /** Null when the run was made without the gap monitor. */
  readonly gap: GapSummary | null;
  readonly gapSteps: readonly GapStep[];
  readonly sampleMs: number;
  /** Time inside the network during sampling. */
  readonly networkMs: number;
}

/** Sample n items from the seed — item i from the stream keyed by (seed, i), whatever n is. */
export async function runWatched(opts: WatchedRunOptions): Promise<WatchedRun> {
  const { plan, denoiser, unet } = opts;
  const rng = new BatchRandom(opts.seed, opts.n);
  const x = rng.normal([opts.n, ...denoiser.itemShape]);
  const monitor =
    opts.gapMonitor === false
      ? null
      : new GapMonitor({ ksdItems: opts.ksdItems, onGap: opts.onGap });
  const observers = [monitor?.observe, opts.onStep].filter((f) => f !== undefined);
  const netBefore = unet.networkMs;
  const t0 = performance.now();
  const result = await sample({
    denoiser,
    rule: plan.method.rule,
    sampler: plan.sampler,
    levels: plan.levels,
    x,
    rng,
    wrappers: plan.method.wrappers,
    onStep: observers,
    signal: opts.signal,
  });
  return {
    x: result.x,
    nfe: result.nfe,
    gap: monitor?.summary() ?? null,
    gapSteps: monitor?.steps ?? [],
    sampleMs: performance.now() - t0,
    networkMs: unet.networkMs - netBefore,
  };
}

/** The settings every sampling sidecar records (CLI commands and web page alike). */
export function settingsRecord(s: {
  w: number;
  steps?: number;
  nfe?: number;
  n: number;
  seed: number;
  sampler: string;
}) {
  return {
    w: s.w,
    steps: s.steps ?? null,
    nfe: s.nfe ?? null,
    n: s.n,
    seed: s.seed,
    sampler: s.sampler,
  };
}

/** One method's run as the JSON sidecars record it: everything but the images. */
export function runRecord<T extends object>(r: {
  method: string;
  options: Readonly<Record<string, OptionValue>>;
  w: number;
  steps: number;
  nfe: number;
  networkCalls: number;
  gap: GapSummary | null;
  gapSteps: readonly GapStep[];
  timings: T;
}) {
  return {
    method: r.method,
    options: r.options,
    w: r.w,
    steps: r.steps,
    nfe: r.nfe,
    networkCalls: r.networkCalls,
    gap: r.gap,
    gapSteps: r.gapSteps,
    timings: r.timings,
  };
}

/** The one-line-per-method summary the CLI prints and the page shows. */
export const SUMMARY_HEAD = ['method', 'w', 'steps', 'nfe', 'gap A', 'drift A_r', 'seconds'];

export function summaryRow(r: {
  method: string;
  w: number;
  steps: number;
  nfe: number;
  gap: GapSummary | null;
  timings: { totalMs: number };
}): (string | number)[] {
  return [
    r.method,
    r.w,
    r.steps,
    r.nfe,
    r.gap?.gap ?? NaN,
    r.gap?.driftGap ?? NaN,
    r.timings.totalMs / 1000,
  ];
}

/** Each method's step count, planned up front so the progress bar knows the total. */
export async function stepsPerMethod(
  schedule: ScheduleConfig,
  settings: SamplingSettings,
  methods: readonly MethodChoice[],
): Promise<{ method: MethodChoice; steps: number }[]> {
  const plans: { method: MethodChoice; steps: number }[] = [];
  for (const method of methods) {
    plans.push({ method, steps: (await planRun(schedule, { ...settings, method })).steps });
  }
  return plans;
}
