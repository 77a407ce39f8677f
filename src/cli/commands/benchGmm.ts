import { Command } from 'commander';
import { join } from 'node:path';
import { runGmmBench, type GmmBenchResult } from '../../bench/gmmBench.js';
import { gapCurves, metricCurves, paretoPlot, scatterPlot } from '../../bench/gmmPlots.js';
import { loadProblem } from '../../denoisers/problem.js';
import { trueMixtures } from '../../denoisers/gaussianMixture.js';
import { checkOutputs, checkWritable, jsonText, type OutputFile } from '../../io/atomicWrite.js';
import { withInterrupt } from '../samplingFlags.js';
import { createSampler, SAMPLER_NAMES } from '../../samplers/index.js';
import { checkSeed } from '../../core/random.js';
import { addCountFlag, addMethodFlag, countFlag } from '../aliasedFlags.js';
import { addMethodFlags, parseMethodFlags } from '../methodFlags.js';
import { parseInteger, parseNumberList } from '../parse.js';
import { createProgress } from '../progress.js';
import { fixed, formatFigure, renderTable, type Cell } from '../table.js';
import {
  COND_GAP,
  DRIFT,
  KSD_GAP,
  METHOD,
  NFE,
  STEPS,
  TRAINING_GAP,
  TRUE_GAP,
  W,
} from '../columns.js';
import { printResult, warn, writeOutputs } from '../log.js';
import { DEFAULT_KSD_MAX_ITEMS } from '../../monitors/ksd.js';

export interface BenchGmmFlags {
  problem: string;
  w: string;
  steps?: string;
  nfe?: string;
  n: string;
  seed: string;
  sampler: string;
  ksdItems: string;
  json?: string;
  samplesOut?: string;
  plots?: string;
  progress: boolean;
  [flag: string]: unknown;
}

/** Samples per run of bench gmm and sweep. */
export const DEFAULT_SAMPLES = '2000';

/** Parse and check everything before any work, so a bad option writes nothing. */
export async function prepareBench(flags: BenchGmmFlags) {
  const { methods, steps, nfe } = parseMethodFlags(flags, { steps: 50 });
  const ws = parseNumberList(flags.w, '--w');
  const count = countFlag(flags, ['--samples']);
  const samples = parseInteger(count.text, count.name, 10, 1_000_000);
  const seed = checkSeed(parseInteger(flags.seed, '--seed', 0, 0xffffffff));
  const ksdItems = parseInteger(flags.ksdItems, '--ksd-items', 2, 100000);
  createSampler(flags.sampler);
  const problem = await loadProblem(flags.problem);
  const inputs = [problemInputs(flags.problem, problem)].flat();
  await checkOutputs(
    [flags.json, flags.samplesOut].filter((p): p is string => Boolean(p)),
    inputs,
  );
  if (flags.plots) await checkWritable(join(flags.plots, 'x.svg'));
  return {
    problem,
    methods,
    ws,
    steps,
    nfe,
    samples,
    seed,
    ksdItems,
  };
}

/** The files a run reads: the problem file and its ONNX network, if any. */
function problemInputs(path: string, problem: { model: { kind: string; path?: string } }) {
  return problem.model.kind === 'onnx' && problem.model.path ? [path, problem.model.path] : [path];
}

/**
 * Write a bench run's outputs together (commitOutputs), after checking again that none is
 * an input of the run (plot names are known only now).
 */
export async function commitBenchOutputs(
  files: readonly OutputFile[],
  problemPath: string,
): Promise<void> {
  const problem = await loadProblem(problemPath);
  await checkOutputs(
    files.map((f) => f.path),
    problemInputs(problemPath, problem),
  );
  await writeOutputs(files);
}

/**
 * Energy distances are unbiased estimates, which fall below 0 when two samples are closer
 * than the estimate resolves: the tables show them clamped at 0 (the JSON keeps the signed
 * estimate).
 */
function distance(v: number): number {
  return Math.max(0, v);
}

const QUALITY_COLUMNS = [
  METHOD,
  W,
  STEPS,
  NFE,
  fixed('energy', 4),
  fixed('guided\nenergy', 4),
  fixed('precision', 3),
  fixed('recall', 3),
  fixed('adherence', 3),
  fixed('coverage', 3),
];

const GAP_TABLE_COLUMNS = [METHOD, W, TRAINING_GAP, KSD_GAP, COND_GAP, DRIFT, TRUE_GAP];

/**
 * The result as two tables, quality then gaps (one would be 130 columns wide); the exact
 * guided target π₀ʷ closes the quality table, with — where a figure does not apply to it.
 */
export function benchTable(result: GmmBenchResult): string {
  const quality: Cell[][] = result.runs.map((r) => [
    r.method,
    r.w,
    r.steps,
    r.nfe,
    distance(r.metrics.energy),
    distance(r.metrics.guidedEnergy),
    r.metrics.precision,
    r.metrics.recall,
    r.metrics.adherence,
    r.metrics.coverage,
  ]);
  for (const t of result.targets)
    quality.push([
      'exact π₀ʷ',
      t.w,
      null,
      null,
      distance(t.energy),
      null,
      t.precision,
      t.recall,
      t.adherence,
      null,
    ]);
  const gaps = result.runs.map((r) => [
    r.method,
    r.w,
    r.metrics.training,
    r.metrics.gap,
    r.metrics.condGap,
    r.metrics.driftGap,
    r.metrics.trueGap,
  ]);
  const title = `${result.problem} (${result.dim}-D, ${result.samples} samples, seed ${result.seed}, ${result.sampler})`;
  return [
    renderTable(QUALITY_COLUMNS, quality, {
      title: [`${title}: quality against the true conditional`],
      notes: [
        `energy = energy distance to the true conditional, guided energy = to the guided target; ` +
          `unbiased estimates, shown clamped at 0 (resolution at this sample size ${formatFigure(result.resolution, 4)}; signed values in the JSON). ` +
          `Physical floor (best energy of the exact π₀ʷ over w): ${formatFigure(distance(result.floor), 4)}.`,
      ],
    }),
    renderTable(GAP_TABLE_COLUMNS, gaps, {
      title: ['', 'gaps accumulated over the steps (docs/diffier.md)'],
    }),
  ].join('\n');
}

export async function writeBenchOutputs(
  result: GmmBenchResult,
  flags: { json?: string; samplesOut?: string; plots?: string; problemPath: string },
) {
  const runsOnly = result.runs.map(({ samples: _s, ...rest }) => rest);
  const out: OutputFile[] = [];
  if (flags.json) out.push({ path: flags.json, content: jsonText({ ...result, runs: runsOnly }) });
  if (flags.samplesOut) {
    out.push({
      path: flags.samplesOut,
      content: jsonText({
        runs: result.runs.map((r) => ({
          method: r.method,
          w: r.w,
          steps: r.steps,
          nfe: r.nfe,
          samples: r.samples,
        })),
      }),
    });
  }
  if (flags.plots) {
    const files = new Map([...(await metricCurves(result)), ...(await gapCurves(result))]);
    files.set('pareto.svg', await paretoPlot(result));
    const problem = await loadProblem(flags.problemPath);
    const scatter = await scatterPlot(result, trueMixtures(problem).cond);
    if (scatter) files.set('samples.svg', scatter);
    for (const [name, svg] of files) out.push({ path: join(flags.plots, name), content: svg });
  }
  await commitBenchOutputs(out, flags.problemPath);
}

export function benchGmmCommand(): Command {
  const cmd = new Command('gmm').requiredOption(
    '--problem <file>',
    'problem file (JSON, docs/benchmark.md)',
  );
  addMethodFlag(cmd, 'comma-separated methods (diffier methods lists them)', 'cfg')
    .option('--w <list>', 'comma-separated guidance weights', '1,1.5,2,3,5,7.5,10')
    .option('--steps <n>', 'sampling steps (default 50 when --nfe is not given)')
    .option('--nfe <n>', 'evaluation budget per sample: each method gets the most steps that fit');
  addCountFlag(cmd, 'samples per run', DEFAULT_SAMPLES, ['--samples'])
    .option('--seed <n>', 'seed', '1')
    .option('--sampler <name>', `sampler: ${SAMPLER_NAMES.join(', ')}`, 'ddim')
    .option(
      '--ksd-items <n>',
      'samples used by the O(n²) KSD gap measures',
      String(DEFAULT_KSD_MAX_ITEMS),
    )
    .option('--json <file>', 'write every run as JSON')
    .option('--samples-out <file>', 'write the samples as JSON')
    .option('--plots <dir>', 'write SVG plots')
    .option('--no-progress', 'no progress on stderr');
  addMethodFlags(cmd);
  return cmd.action(async (flags: BenchGmmFlags) => {
    const p = await prepareBench(flags);
    const progress = createProgress(flags.progress);
    progress.start(p.methods.length * p.ws.length, 'bench gmm');
    const t0 = performance.now();
    const result = await withInterrupt((signal) =>
      runGmmBench({
        ...p,
        sampler: flags.sampler,
        keepSamples: Boolean(flags.samplesOut || flags.plots),
        signal,
        onRun: (label) => progress.tick(label),
        warn,
      }),
    );
    progress.stop();
    printResult(`${benchTable(result)}\n(${((performance.now() - t0) / 1000).toFixed(1)} s)`);
    await writeBenchOutputs(result, { ...flags, problemPath: flags.problem });
  });
}
