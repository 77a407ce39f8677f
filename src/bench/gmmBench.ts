import type { Problem } from '../denoisers/problem.js';
import {
  modelMixtures,
  trueMixtures,
  type ModelMixtures,
  type TrueMixtures,
} from '../denoisers/gaussianMixture.js';
import { GmmDenoiser } from '../denoisers/gmmDenoiser.js';
import { MixtureNetDenoiser } from '../denoisers/mixtureNet.js';
import type { GapStep } from '../monitors/gapMonitor.js';
import { EnergyReference } from '../eval/energy.js';
import { gmmMetrics } from '../eval/gmmMetrics.js';
import { sampleGuidedTarget } from '../eval/guidedTarget.js';
import { KnnReference } from '../eval/knn.js';
import { resolveMethod, type MethodChoice, type ResolvedMethod } from '../methods/registry.js';
import type { OptionValue } from '../methods/types.js';
import { budgetOf, type Budget } from '../run/budget.js';
import { planMethod, type MethodPlan } from '../run/plan.js';
import { runSampling, type RunOutput } from '../run/runner.js';
import { checkGrid, runGrid } from './grid.js';
import { resolveSampler } from '../samplers/index.js';
import { scheduleConfigFor } from './problemSchedule.js';
import { BatchRandom } from '../core/random.js';
import { InvalidOptionError } from '../core/errors.js';

export interface GmmBenchOptions {
  readonly problem: Problem;
  readonly methods: readonly MethodChoice[];
  readonly ws: readonly number[];
  /** Exactly one of steps / nfe. */
  readonly steps?: number;
  readonly nfe?: number;
  readonly samples: number;
  readonly seed: number;
  /** Sampler name (default ddim). */
  readonly sampler?: string;
  /** Items used by the O(n²) KSD gap measures. */
  readonly ksdItems?: number;
  /** Keep each run's samples (for --samples-out and scatter plots). */
  readonly keepSamples?: boolean;
  readonly onRun?: (label: string) => void;
  readonly warn?: (message: string) => void;
  /** Ctrl-C: the run in progress stops with an AbortedError. */
  readonly signal?: AbortSignal;
}

export interface RunMetrics {
  readonly energy: number;
  readonly precision: number;
  readonly recall: number;
  readonly adherence: number;
  readonly nll: number;
  readonly coverage: number;
  readonly guidedEnergy: number;
  /** The accumulated per-sample training gap, mean over samples (the headline gap). */
  readonly training: number;
  readonly gap: number;
  readonly condGap: number;
  readonly driftGap: number;
  readonly trueGap: number;
  readonly evals: number;
}

export interface RunRow {
  readonly method: string;
  readonly options: Readonly<Record<string, OptionValue>>;
  readonly w: number;
  readonly steps: number;
  readonly nfe: number;
  readonly seed: number;
  readonly metrics: RunMetrics;
  readonly gapSteps: readonly GapStep[];
  samples?: number[][];
}

/** The exact guided target π₀ʷ of the model against the truth: what any sampler could reach. */
export interface TargetRow {
  readonly w: number;
  readonly energy: number;
  readonly precision: number;
  readonly recall: number;
  readonly adherence: number;
  readonly acceptance: number;
}

export interface GmmBenchResult {
  readonly problem: string;
  /** The --nfe budget (matched-cost runs) or undefined for a fixed --steps. */
  readonly nfeBudget?: number;
  readonly dim: number;
  readonly sampler: string;
  readonly samples: number;
  readonly seed: number;
  readonly estimators: Record<string, string>;
  readonly runs: RunRow[];
  readonly targets: TargetRow[];
  /** Physical floor: the best energy over w of the exact π₀ʷ. */
  readonly floor: number;
  /**
   * Resolution of the energy at this sample size: 2·E|Y − Y'|/n, the bias the diagonal
   * terms would add (the V-statistic's). Energies below it are indistinguishable from 0;
   * ratios of energies (sensitivity) use max(energy, resolution) as denominator.
   */
  readonly resolution: number;
}

/** Validated once, before any work. */
function check(opts: GmmBenchOptions): Budget {
  const budget = budgetOf(opts, undefined, ['--steps', '--nfe']);
  checkGrid(opts.methods, opts.ws);
  if (!Number.isInteger(opts.samples) || opts.samples < 10)
    throw new InvalidOptionError('--samples must be an integer ≥ 10');
  return budget;
}

/**
 * The references every run is measured against, drawn once from streams no run uses: an
 * exact sample of the true conditional, and per w (on demand, cached) a sample of the
 * guided target when the model mixture is known.
 */
function references(
  truth: TrueMixtures,
  model: ModelMixtures | undefined,
  n: number,
  seed: number,
  dim: number,
) {
  const refSamples = truth.cond.sample(n, new BatchRandom((seed ^ 0x5eed0001) >>> 0, n));
  const energyRef = new EnergyReference(refSamples, dim);
  const knnRef = new KnnReference(refSamples, dim);
  const targetCache = new Map<number, { ref: EnergyReference; row: TargetRow }>();
  const targetFor = (w: number) => {
    let hit = targetCache.get(w);
    if (!hit && model) {
      const t = sampleGuidedTarget(model, { w, n, seed: (seed ^ 0x5eed0002) >>> 0 });
      const pr = knnRef.evaluate(t.samples.data);
      const row: TargetRow = {
        w,
        energy: energyRef.distance(t.samples.data),
        precision: pr.precision,
        recall: pr.recall,
        adherence: gmmMetrics(t.samples.data, truth).adherence,
        acceptance: t.acceptance,
      };
      hit = { ref: new EnergyReference(t.samples.data, dim), row };
      targetCache.set(w, hit);
    }
    return hit;
  };
  return { energyRef, knnRef, targetFor };
}

/** One run's row: its samples and gap figures measured against the truth. */
function gmmRow(
  m: ResolvedMethod,
  w: number,
  steps: number,
  seed: number,
  result: RunOutput,
  refs: ReturnType<typeof references> & { truth: TrueMixtures },
  keepSamples: boolean | undefined,
): RunRow {
  const monitor = result.monitor!;
  const x = result.x.data;
  const pr = refs.knnRef.evaluate(x);
  const gm = gmmMetrics(x, refs.truth);
  const gap = monitor.summary();
  const row: RunRow = {
    method: m.spec.name,
    options: m.options,
    w,
    steps,
    nfe: result.nfe,
    seed,
    metrics: {
      energy: refs.energyRef.distance(x),
      precision: pr.precision,
      recall: pr.recall,
      adherence: gm.adherence,
      nll: gm.nll,
      coverage: gm.coverage,
      guidedEnergy: refs.targetFor(w)?.ref.distance(x) ?? NaN,
      training: gap.training,
      gap: gap.gap,
      condGap: gap.condGap,
      driftGap: gap.driftGap,
      trueGap: gap.trueGap ?? NaN,
      evals: result.evals,
    },
    gapSteps: monitor.steps,
  };
  if (keepSamples) row.samples = result.x.toRows();
  return row;
}

/** The problem's denoiser: its model mixture in closed form, or its trained network. */
function problemDenoiser(problem: Problem) {
  return problem.model.kind === 'onnx'
    ? MixtureNetDenoiser.load(
        problem.model.path,
        problem.dim,
        problem.target,
        problem.classes.length,
      )
    : Promise.resolve(GmmDenoiser.forModel(problem));
}

/** Runs every method × w on one problem (the grid runner) and measures each run against the truth. */
export async function runGmmBench(opts: GmmBenchOptions): Promise<GmmBenchResult> {
  const budget = check(opts);
  const { problem, samples: n, seed } = opts;
  const dim = problem.dim;
  const chosen = resolveSampler(opts.sampler, scheduleConfigFor(problem, opts.warn));
  const samplerName = chosen.name;
  const schedule = chosen.schedule;
  const resolved = new Map(opts.methods.map((m) => [m, resolveMethod(m)])); // validates names and options first
  const truth = trueMixtures(problem);
  // A trained network has no closed-form density: no guided target, no fidelity, no floor.
  const model = problem.model.kind === 'onnx' ? undefined : modelMixtures(problem);
  const denoiser = await problemDenoiser(problem);
  const measure = { truth, ...references(truth, model, n, seed, dim) };
  const { energyRef, targetFor } = measure;

  return runGrid<MethodPlan, RunOutput, RunRow, GmmBenchResult>(
    {
      methods: opts.methods,
      ws: opts.ws,
      plan: ({ method, w }) =>
        planMethod(resolved.get(method)!, w, schedule, chosen.step(1), budget),
      runOne: async ({ method, w }, plan, tick) => {
        const result = await runSampling({
          denoiser,
          method: plan.method,
          sampler: chosen.step(plan.steps),
          levels: plan.levels,
          landings: plan.landings,
          initialScale: plan.initialScale,
          n,
          seed,
          gap: {
            ksdItems: opts.ksdItems,
            trueScore: (x, level) => truth.cond.marginal(level).score(x.data),
          },
          signal: opts.signal,
        });
        tick(`${resolved.get(method)!.spec.name} w=${w}`);
        return result;
      },
      score: ({ method, w }, plan, result) =>
        gmmRow(resolved.get(method)!, w, plan.steps, seed, result, measure, opts.keepSamples),
      report: (runs) => {
        const targets = model ? opts.ws.map((w) => (targetFor(w) as { row: TargetRow }).row) : [];
        return {
          problem: problem.name,
          nfeBudget: opts.nfe,
          dim,
          sampler: samplerName,
          samples: n,
          seed,
          estimators: ESTIMATORS,
          runs,
          targets,
          floor: targets.length ? Math.min(...targets.map((t) => t.energy)) : NaN,
          resolution: (2 * energyRef.within) / n,
        };
      },
    },
    { signal: opts.signal, onProgress: opts.onRun },
  );
}

const ESTIMATORS = {
  energy:
    'D² = 2E|X−Y| − E|X−X′| − E|Y−Y′|, within terms as U-statistics, vs an exact sample of the true conditional of the same size',
  guidedEnergy:
    'the same D² vs a sample of the model’s guided target π₀ʷ ∝ p_c^w p_u^(1−w) (SIR + MALA)',
  precisionRecall: 'Kynkäänniemi et al. 2019, k = 5',
  training:
    'Σ_t mean_i g_t(i), g = mean over elements of (ε_c(x) − ε̂)² at the landing point of each guided step, ε̂ the noise the step left in it (monitors/trainingGap.ts)',
  gap: 'A = Σ_{t>0} s_t²·KSD²(p_t, π_t^w), IMQ kernel, median bandwidth, U-statistic on the first ksdItems samples',
  condGap:
    'Σ_{t>0} s_t²·KSD²(p_t, q_t^model(·|c)) with the conditional model’s score −ε_c/s_t (same estimator)',
  driftGap: 'A_r = Σ_{t>0} mean_i max(0, r_t − 1)',
  trueGap: 'Σ_{t>0} s_t²·KSD²(p_t, q_t(·|c)) with the exact score of the true conditional',
};

export type { TrueMixtures };
