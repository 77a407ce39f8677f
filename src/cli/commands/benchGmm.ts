import { Command } from 'commander';
import { join } from 'node:path';
import { runGmmBench, type GmmBenchResult } from '../../bench/gmmBench.js';
import { gapCurves, metricCurves, paretoPlot, scatterPlot } from '../../bench/gmmPlots.js';
import { loadProblem } from '../../denoisers/problem.js';
import { trueMixtures } from '../../denoisers/gaussianMixture.js';
import { checkWritable, writeFileAtomic, writeJsonAtomic } from '../../io/atomicWrite.js';
import { createSampler, SAMPLER_NAMES } from '../../samplers/index.js';
import { checkSeed } from '../../tensor/random.js';
import { addCountFlag, countFlag } from '../countFlag.js';
import { addMethodFlags, parseMethodsAndBudget } from '../methodFlags.js';
import { parseInteger, parseNameList, parseNumberList } from '../parse.js';
import { createProgress } from '../progress.js';
import { formatTable } from '../table.js';
import { DEFAULT_KSD_MAX_ITEMS } from '../../monitors/ksd.js';

export interface BenchGmmFlags {
  problem: string;
  methods: string;
  w: string;
  steps?: string;
  nfe?: string;
  n?: string;
  /** The old spelling of --n. */
  samples?: string;
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
  const { methods, steps, nfe } = parseMethodsAndBudget(
    parseNameList(flags.methods, '--methods'),
    '--methods',
    flags,
    { steps: 50 },
  );
  const ws = parseNumberList(flags.w, '--w');
  const count = countFlag(flags, '--samples', DEFAULT_SAMPLES);
  const samples = parseInteger(count.text, count.name, 10, 1_000_000);
  const seed = checkSeed(parseInteger(flags.seed, '--seed', 0, 0xffffffff));
  const ksdItems = parseInteger(flags.ksdItems, '--ksd-items', 2, 100000);
  createSampler(flags.sampler);
  const problem = await loadProblem(flags.problem);
  for (const path of [flags.json, flags.samplesOut]) if (path) await checkWritable(path);
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

export function benchTable(result: GmmBenchResult): string {
  const rows = result.runs.map((r) => [
    r.method,
    r.w,
    r.steps,
    r.nfe,
    r.metrics.energy,
    r.metrics.guidedEnergy,
    r.metrics.precision,
    r.metrics.recall,
    r.metrics.adherence,
    r.metrics.coverage,
    r.metrics.training,
    r.metrics.gap,
    r.metrics.condGap,
    r.metrics.driftGap,
    r.metrics.trueGap,
  ]);
  for (const t of result.targets)
    rows.push([
      'exact π₀ʷ',
      t.w,
      0,
      0,
      t.energy,
      0,
      t.precision,
      t.recall,
      t.adherence,
      NaN,
      NaN,
      NaN,
      NaN,
      NaN,
      NaN,
    ]);
  const header = [
    'method',
    'w',
    'steps',
    'nfe',
    'energy',
    'guidedE',
    'prec',
    'recall',
    'adher',
    'cover',
    'gap',
    'ksd G',
    'cond gap',
    'drift A_r',
    'true gap',
  ];
  return `${result.problem} (${result.dim}-D, ${result.samples} samples, seed ${result.seed}, ${result.sampler}); physical floor ${result.floor.toFixed(4)}\n${formatTable(header, rows)}`;
}

export async function writeBenchOutputs(
  result: GmmBenchResult,
  flags: { json?: string; samplesOut?: string; plots?: string; problemPath: string },
) {
  const runsOnly = result.runs.map(({ samples: _s, ...rest }) => rest);
  if (flags.json) await writeJsonAtomic(flags.json, { ...result, runs: runsOnly });
  if (flags.samplesOut) {
    await writeJsonAtomic(flags.samplesOut, {
      runs: result.runs.map((r) => ({
        method: r.method,
        w: r.w,
        steps: r.steps,
        nfe: r.nfe,
        samples: r.samples,
      })),
    });
  }
  if (flags.plots) {
    const files = new Map([...(await metricCurves(result)), ...(await gapCurves(result))]);
    files.set('pareto.svg', await paretoPlot(result));
    const problem = await loadProblem(flags.problemPath);
    const scatter = await scatterPlot(result, trueMixtures(problem).cond);
    if (scatter) files.set('samples.svg', scatter);
    for (const [name, svg] of files) await writeFileAtomic(join(flags.plots, name), svg);
  }
}

export function benchGmmCommand(): Command {
  const cmd = new Command('gmm')
    .requiredOption('--problem <file>', 'problem file (JSON, docs/benchmark.md)')
    .option('--methods <list>', 'comma-separated methods (diffier methods list them)', 'cfg')
    .option('--w <list>', 'comma-separated guidance weights', '1,1.5,2,3,5,7.5,10')
    .option('--steps <n>', 'sampling steps (default 50 when --nfe is not given)')
    .option('--nfe <n>', 'evaluation budget per sample: each method gets the most steps that fit');
  addCountFlag(cmd, 'samples per run', DEFAULT_SAMPLES, '--samples')
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
    const result = await runGmmBench({
      ...p,
      sampler: flags.sampler,
      keepSamples: Boolean(flags.samplesOut || flags.plots),
      onRun: (label) => progress.tick(label),
      warn: (m) => process.stderr.write(`warning: ${m}\n`),
    });
    progress.stop();
    process.stdout.write(
      `${benchTable(result)}\n(${((performance.now() - t0) / 1000).toFixed(1)} s)\n`,
    );
    await writeBenchOutputs(result, { ...flags, problemPath: flags.problem });
  });
}
