/**
 * The flags every sampling command shares (generate, upscale): methods, weight, budget,
 * batch, seed, sampler, outputs, runtime — declared once and checked once, before any work.
 */
import type { Command } from 'commander';
import { InvalidOptionError } from '../core/errors.js';
import { checkOutputs, outputPath } from '../io/atomicWrite.js';
import { interruptSignal } from './interrupt.js';
import { DEFAULT_GUIDANCE_WEIGHT } from '../guidance/index.js';
import { METHOD_NAMES, type MethodChoice } from '../methods/registry.js';
import { checkUnetCalls, DEFAULT_UNET_CALLS, UNET_CALLS } from '../denoisers/unetDenoiser.js';
import {
  DEFAULT_STEPS,
  planRun,
  settingsRecord,
  SUMMARY_HEAD,
  summaryRow,
  type RunPlan,
  type RunReport,
  type SamplingSettings,
} from '../pipelines/run.js';
import type { StepPayload } from '../core/observer.js';
import type { ScheduleConfig } from '../schedules/config.js';
import { COMFY_SCHEDULERS, parseSamplerName, samplerNames } from '../samplers/index.js';
import { checkSeed } from '../core/random.js';
import { addCountFlag } from './countFlag.js';
import { addMethodFlags, parseMethodsAndBudget } from './methodFlags.js';
import { parseInteger, parseNameList, parseNumber } from './parse.js';
import { MAX_THREADS } from './threads.js';
import { createProgress } from './progress.js';
import { formatTable } from './table.js';
import { DEFAULT_KSD_MAX_ITEMS } from '../monitors/ksd.js';

// The sidecar's runs block lives with the pipelines (the web page writes it too).
export { runsJson } from '../pipelines/run.js';

export interface SamplingFlags {
  model?: string;
  method: string;
  compare?: string;
  w: string;
  steps?: string;
  nfe?: string;
  n: string;
  seed: string;
  sampler?: string;
  out: string;
  json?: string;
  threads?: string;
  unetCalls: string;
  ksdItems: string;
  gap: boolean;
  progress: boolean;
  [flag: string]: unknown;
}

export interface SamplingFlagDefaults {
  /** What --n counts, e.g. "images per method". */
  readonly nMeaning: string;
  readonly n: string;
  readonly out: string;
}

/** Sampler, UNet call layout, KSD items and onnxruntime threads: every sampling command's. */
export function addRuntimeFlags(cmd: Command): Command {
  return cmd
    .option(
      '--sampler <name>',
      `sampler: ${samplerNames().join(', ')}; optionally :<ComfyUI scheduler> (${Object.keys(COMFY_SCHEDULERS).join(', ')}) or :key=value,… (default: the model's scheduler_config.json _class_name where supported, else ddim)`,
    )
    .option(
      '--unet-calls <mode>',
      `guided steps as ${UNET_CALLS.join(' or ')} UNet calls`,
      DEFAULT_UNET_CALLS,
    )
    .option('--ksd-items <n>', 'images used by the KSD gap measure', String(DEFAULT_KSD_MAX_ITEMS))
    .option('--threads <n>', 'onnxruntime threads per operator (default: the runtime’s)');
}

/** Declare the shared flags (and one flag per method option) on `cmd`. */
export function addSamplingFlags(cmd: Command, defaults: SamplingFlagDefaults): Command {
  cmd
    .option('--method <name>', `sampling method: ${METHOD_NAMES.join(', ')}`, 'cfg')
    .option('--compare <list>', 'comma-separated methods, one grid row each (replaces --method)')
    .option('--w <w>', 'guidance weight (1 = none)', String(DEFAULT_GUIDANCE_WEIGHT))
    .option('--steps <n>', `sampling steps (default ${DEFAULT_STEPS} when --nfe is not given)`)
    .option('--nfe <n>', 'network evaluations per image: each method gets the most steps that fit');
  addCountFlag(cmd, defaults.nMeaning, defaults.n)
    .option('--seed <n>', 'seed (the noise of image i is the same whatever --n is)', '0')
    .option('--out <file>', 'PNG grid', defaults.out)
    .option('--json <file>', 'JSON sidecar (default: the PNG name with .json)');
  addRuntimeFlags(cmd)
    .option('--no-gap', 'skip the gap monitor (the sidecar then has no gap figures)')
    .option('--no-progress', 'no progress on stderr');
  return addMethodFlags(cmd);
}

/** grid.png → grid.json (any other name gets ".json" appended). */
export function sidecarPath(out: string): string {
  return out.toLowerCase().endsWith('.png') ? `${out.slice(0, -4)}.json` : `${out}.json`;
}

/**
 * Parse and check the shared flags, output paths included (writable, distinct, none of them
 * one of the run's `inputs`: the model folder's files, an input image).
 */
export async function parseSamplingFlags(flags: SamplingFlags, inputs: readonly string[] = []) {
  const names =
    flags.compare !== undefined ? parseNameList(flags.compare, '--compare') : [flags.method];
  const { methods, steps, nfe } = parseMethodsAndBudget(names, '--compare', flags, {
    steps: DEFAULT_STEPS,
  });
  const threads =
    flags.threads === undefined
      ? undefined
      : parseInteger(flags.threads, '--threads', 1, MAX_THREADS);
  if (flags.sampler !== undefined) parseSamplerName(flags.sampler);
  const out = outputPath(flags.out, '--out');
  const json = outputPath(flags.json ?? sidecarPath(out), '--json');
  if (json === out) throw new InvalidOptionError('--json and --out name the same file');
  await checkOutputs([out, json], inputs);
  return {
    methods,
    w: parseNumber(flags.w, '--w'),
    steps,
    nfe,
    n: parseInteger(flags.n, '--n', 1, 4096),
    seed: checkSeed(parseInteger(flags.seed, '--seed', 0, 0xffffffff)),
    sampler: flags.sampler,
    threads,
    unetCalls: checkUnetCalls(flags.unetCalls),
    ksdItems: parseInteger(flags.ksdItems, '--ksd-items', 2, 100_000),
    gapMonitor: flags.gap !== false,
    out,
    json,
  };
}

export type SamplingSetup = Awaited<ReturnType<typeof parseSamplingFlags>>;

/** The sidecar's "settings" block: what a run needs to be repeated. */
export function settingsJson(p: SamplingSetup) {
  return {
    ...settingsRecord(p),
    threads: p.threads ?? null,
    unetCalls: p.unetCalls,
    ksdItems: p.ksdItems,
    gapMonitor: p.gapMonitor,
  };
}

/**
 * --n is bounded by memory, once the model's item shape is known (before sampling): the
 * estimate is bytes per element × elements per item × BATCH_MEMORY_FACTOR, the peak ratio
 * measured on the embedded 28×28 model (--n 1000 peaked at 1.9 GB, the UNet's activations
 * dominating), against MAX_BATCH_BYTES.
 */
export const BATCH_MEMORY_FACTOR = 640;
export const MAX_BATCH_BYTES = 4 * 1024 ** 3;

export function checkBatchMemory(n: number, itemShapes: readonly (readonly number[])[]): void {
  const elements = Math.max(...itemShapes.map((s) => s.reduce((a, b) => a * b, 1)));
  const perItem = 4 * elements * BATCH_MEMORY_FACTOR;
  if (n * perItem > MAX_BATCH_BYTES) {
    const gb = (b: number) => (b / 1024 ** 3).toFixed(1);
    throw new InvalidOptionError(
      `--n ${n} would need about ${gb(n * perItem)} GB for items of ${elements} values; at most ${Math.floor(MAX_BATCH_BYTES / perItem)} fit in ${gb(MAX_BATCH_BYTES)} GB`,
    );
  }
}

/** Run `work` with Ctrl-C turned into an abort of the signal it is given. */
export async function withInterrupt<T>(work: (signal: AbortSignal) => Promise<T>): Promise<T> {
  return work(interruptSignal());
}

/** What one method's run gets: its step count, Ctrl-C's signal and the progress tick. */
export interface MethodRun {
  readonly method: MethodChoice;
  readonly steps: number;
  /** The method's one plan for this run (pass it on to the pipeline: it is not planned again). */
  readonly plan: RunPlan;
  readonly signal: AbortSignal;
  /** One tick per sampling step, labelled "<method> <step>/<steps>". */
  readonly onStep: (payload: StepPayload) => void;
  /** One tick with the caller's own label. */
  readonly tick: (detail: string) => void;
}

/**
 * Run each method in turn with one progress bar over all their steps (each method's step
 * count is planned up front — from --nfe it depends on the method — so the bar knows the
 * total) and Ctrl-C aborting the run in progress. A method's run may sample `repeats`
 * times (speak: once per sentence).
 */
export async function runEachMethod<R>(
  schedule: ScheduleConfig,
  settings: SamplingSettings,
  methods: readonly MethodChoice[],
  progressOn: boolean,
  label: string,
  run: (r: MethodRun) => Promise<R>,
  repeats = 1,
): Promise<R[]> {
  const plans: { method: MethodChoice; plan: RunPlan }[] = [];
  for (const method of methods)
    plans.push({ method, plan: await planRun(schedule, { ...settings, method }) });
  const progress = createProgress(progressOn);
  // The steps each plan runs (fewer than planned for image-to-image).
  progress.start(plans.reduce((a, r) => a + r.plan.levels.length - 1, 0) * repeats, label);
  const tick = (detail: string) => progress.tick(detail);
  const results = await withInterrupt(async (signal) => {
    const out: R[] = [];
    for (const { method, plan } of plans) {
      const onStep = (s: StepPayload) => tick(`${method.name} ${s.i + 1}/${s.numSteps}`);
      out.push(await run({ method, steps: plan.steps, plan, signal, onStep, tick }));
    }
    return out;
  });
  progress.stop();
  return results;
}

/** The summary table printed after a run, one row per method. */
export function runTable(runs: readonly (RunReport & { timings: { totalMs: number } })[]): string {
  return formatTable(SUMMARY_HEAD, runs.map(summaryRow));
}
