/**
 * What every pipeline does the same way once it has the two sides of guidance for its UNet:
 * plan the run (method, weight, step count from --steps or --nfe, sampler), draw the
 * initial noise per item from the seed, sample with the gap monitor watching, time the loop
 * and the network inside it, and report the run.
 */
import type { GapStep, GapSummary } from '../monitors/gapMonitor.js';
import { InvalidOptionError } from '../core/errors.js';
import { DEFAULT_GUIDANCE_WEIGHT } from '../guidance/index.js';
import { resolveMethod, type MethodChoice } from '../methods/registry.js';
import type { OptionValue } from '../methods/types.js';
import type { UnetModel } from '../models/unet.js';
import { UnetDenoiser, type UnetCalls, type UnetCondition } from '../denoisers/unetDenoiser.js';
import { stepsForStrength } from '../schedules/strength.js';
import { budgetOf } from '../run/budget.js';
import { planMethod } from '../run/plan.js';
import { runSampling, type RunInputs } from '../run/runner.js';
import { type StepPayload } from '../core/observer.js';
import type { ScheduleConfig } from '../schedules/config.js';
import { resolveSampler, type SamplerOptions, type SamplerRecord } from '../samplers/index.js';
import { checkSeed } from '../core/random.js';
import type { Tensor } from '../core/tensor.js';

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
  /**
   * Sampler name (samplers/names.ts: project, diffusers class or ComfyUI names). Default: the
   * schedule's `_class_name` where supported, else ddim.
   */
  readonly sampler?: string;
  readonly samplerOptions?: SamplerOptions;
  /**
   * Image-to-image: run only the last ⌊steps·strength⌋ steps of the schedule (diffusers'
   * strength, in [0, 1]). Undefined: the whole schedule from pure noise.
   */
  readonly strength?: number;
}

export function positiveInteger(v: number | undefined, name: string): void {
  if (v !== undefined && !(Number.isInteger(v) && v >= 1)) {
    throw new InvalidOptionError(`${name} must be an integer ≥ 1, got ${v}`);
  }
}

/** The method, sampler and step count of a run (steps from `nfe` by counting, methods/nfe.ts). */
export async function planRun(schedule: ScheduleConfig, opts: SamplingSettings) {
  const w = opts.w ?? DEFAULT_GUIDANCE_WEIGHT;
  const budget = budgetOf(opts, { steps: DEFAULT_STEPS });
  if (!Number.isFinite(w)) throw new InvalidOptionError(`w must be a finite number, got ${w}`);
  const resolved = resolveMethod(opts.method ?? { name: 'cfg' });
  const chosen = resolveSampler(opts.sampler, schedule, opts.samplerOptions);
  const planned = await planMethod(resolved, w, chosen.schedule, chosen.step(1), budget);
  const base = {
    w,
    resolved,
    samplerName: chosen.name,
    samplerRecord: chosen.record(),
    // The step of this run's length (DPM-Solver's last-step order depends on it; image to
    // image keeps the whole schedule's length, as diffusers' set_timesteps does).
    sampler: chosen.step(planned.steps),
    strength: opts.strength,
  };
  if (opts.strength === undefined) return { ...base, ...planned };
  // The budget plans the whole schedule (diffusers' num_inference_steps); the method is then
  // rebuilt on the part that runs, so its schedule-dependent settings see those levels.
  const run = stepsForStrength(planned.steps, opts.strength);
  const whole = chosen.schedule.forSteps(planned.steps);
  const skip = planned.steps - run;
  const part = { levels: whole.levels.slice(skip), landings: whole.landings?.slice(skip) };
  // A run of no steps never calls its method: keep the one built on the whole schedule.
  const method =
    run > 0 ? resolved.spec.build(w, resolved.options, { ...whole, ...part }) : planned.method;
  // The start (the noised image) replaces the initial noise, so no initial scale.
  return { ...base, ...planned, ...part, initialScale: undefined, method };
}

export type RunPlan = Awaited<ReturnType<typeof planRun>>;

/** What every pipeline takes besides its inputs. */
export interface PipelineOptions extends SamplingSettings {
  /**
   * The run's plan, when the caller made it already (`planRun` with these settings): the
   * pipeline samples with it and does not plan again.
   */
  readonly plan?: RunPlan;
  /** Outputs; item i is the same whatever n is. Default 1. */
  readonly n?: number;
  readonly seed?: number;
  readonly unetCalls?: UnetCalls;
  /** Items used by the gap monitor's O(n²) KSD. */
  readonly ksdItems?: number;
  /** Measure the gap at every step (default true); false saves the monitor's time. */
  readonly gapMonitor?: boolean;
  readonly signal?: AbortSignal;
  /** After every sampling step (progress bars, previews). */
  readonly onStep?: (payload: StepPayload) => void;
  /** Each step's gap measures as soon as they are known (live plots). */
  readonly onGap?: (step: GapStep) => void;
  /** Truncated prompts, unknown words, ignored options. Default: console.warn. */
  readonly warn?: (message: string) => void;
}

/** n and seed of a run, checked. */
export function batchOf(opts: PipelineOptions): { n: number; seed: number } {
  const n = opts.n ?? 1;
  positiveInteger(n, 'n');
  return { n, seed: checkSeed(opts.seed ?? 0) };
}

/** What every pipeline reports about its sampling. */
export interface RunReport {
  readonly method: string;
  /** Every option of the method, defaults filled in. */
  readonly options: Readonly<Record<string, OptionValue>>;
  readonly w: number;
  readonly steps: number;
  /** Network evaluations per output (a cond + uncond pair counts 2). */
  readonly nfe: number;
  readonly seed: number;
  readonly n: number;
  readonly sampler: string;
  /** What ran: the registry entry, the diffusers class and every key it read, resolved. */
  readonly samplerRun: SamplerRecord;
  readonly unetCalls: UnetCalls;
  readonly networkCalls: number;
  /** Null when the run was made without the gap monitor. */
  readonly gap: GapSummary | null;
  readonly gapSteps: readonly GapStep[];
}

export interface UnetRun {
  /** The final sample [n, …itemShape]. */
  readonly x: Tensor;
  readonly report: RunReport;
  readonly sampleMs: number;
  /** Time inside the network during sampling. */
  readonly networkMs: number;
}

/**
 * Sample n items with a UNet between two conditions — item i from the stream keyed by
 * (seed, i), whatever n is — with the gap monitor watching.
 */
export async function sampleUnet(
  model: { readonly schedule: ScheduleConfig; readonly unet: UnetModel },
  plan: RunPlan,
  sides: { readonly cond: UnetCondition; readonly uncond: UnetCondition },
  opts: PipelineOptions,
  start?: RunInputs['start'],
): Promise<UnetRun> {
  const { n, seed } = batchOf(opts);
  const note = plan.resolved.spec.batchNote?.(n, plan.resolved.options);
  if (note) (opts.warn ?? ((m: string) => console.warn(m)))(note);
  const { unet } = model;
  const denoiser = new UnetDenoiser(unet, sides.cond, sides.uncond, {
    predictionType: model.schedule.predictionType,
    calls: opts.unetCalls,
  });
  const netBefore = unet.networkMs;
  const result = await runSampling({
    denoiser,
    method: plan.method,
    sampler: plan.sampler,
    levels: plan.levels,
    landings: plan.landings,
    initialScale: plan.initialScale,
    n,
    seed,
    gap: opts.gapMonitor === false ? false : { ksdItems: opts.ksdItems, onGap: opts.onGap },
    onStep: opts.onStep ? [opts.onStep] : [],
    signal: opts.signal,
    start,
  });
  const monitor = result.monitor;
  return {
    x: result.x,
    report: {
      method: plan.resolved.spec.name,
      options: plan.resolved.options,
      w: plan.w,
      steps: plan.steps,
      nfe: result.nfe,
      seed,
      n,
      sampler: plan.samplerName,
      samplerRun: plan.samplerRecord,
      unetCalls: denoiser.calls,
      networkCalls: denoiser.networkCalls,
      gap: monitor?.summary() ?? null,
      gapSteps: monitor?.steps ?? [],
    },
    sampleMs: result.sampleMs,
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
  sampler?: string;
}) {
  return {
    w: s.w,
    steps: s.steps ?? null,
    nfe: s.nfe ?? null,
    n: s.n,
    seed: s.seed,
    sampler: s.sampler ?? null,
  };
}

/** The sidecar's "runs" block: each method's report and timings. */
export function runsJson(runs: readonly (RunReport & { timings: object })[]) {
  return runs.map((r) => ({
    method: r.method,
    options: r.options,
    w: r.w,
    steps: r.steps,
    nfe: r.nfe,
    networkCalls: r.networkCalls,
    sampler: r.samplerRun,
    gap: r.gap,
    gapSteps: r.gapSteps,
    timings: r.timings,
  }));
}

/** The one-line-per-method summary the CLI prints and the page shows. */
export const SUMMARY_HEAD = ['method', 'w', 'steps', 'nfe', 'gap', 'ksd G', 'drift A_r', 'seconds'];

export function summaryRow(r: RunReport & { timings: { totalMs: number } }): (string | number)[] {
  return [
    r.method,
    r.w,
    r.steps,
    r.nfe,
    r.gap?.training ?? NaN,
    r.gap?.gap ?? NaN,
    r.gap?.driftGap ?? NaN,
    r.timings.totalMs / 1000,
  ];
}
