import { Command } from 'commander';
import { join } from 'node:path';
import { runGmmBench, type GmmBenchResult } from '../../bench/gmmBench.js';
import { gapCurves, metricCurves, paretoPlot, scatterPlot } from '../../bench/gmmPlots.js';
import { loadProblem } from '../../denoisers/problem.js';
import { trueMixtures } from '../../denoisers/gaussianMixture.js';
import {
  checkOutputs,
  checkWritable,
  commitOutputs,
  jsonText,
  type OutputFile,
} from '../../io/atomicWrite.js';
import { InvalidOptionError } from '../../core/errors.js';
import { withInterrupt } from '../samplingFlags.js';
import { createSampler, SAMPLER_NAMES } from '../../samplers/index.js';
import { checkSeed } from '../../core/random.js';
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
export async function prepareBench(flags: BenchGmmFlags, methodsFlag = '--methods') {
  const names = parseNameList(flags.methods, methodsFlag);
  const dup = names.find((n, i) => names.indexOf(n) !== i);
  if (dup !== undefined) throw new InvalidOptionError(`${methodsFlag} names ${dup} twice`);
  const { methods, steps, nfe } = parseMethodsAndBudget(names, methodsFlag, flags, {
    steps: 50,
  });
  const ws = parseNumberList(flags.w, '--w');
  const count = countFlag(flags, '--samples', DEFAULT_SAMPLES);
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
  await commitOutputs(files);
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
    const result = await withInterrupt((signal) =>
      runGmmBench({
        ...p,
        sampler: flags.sampler,
        keepSamples: Boolean(flags.samplesOut || flags.plots),
        signal,
        onRun: (label) => progress.tick(label),
        warn: (m) => process.stderr.write(`warning: ${m}\n`),
      }),
    );
    progress.stop();
    process.stdout.write(
      `${benchTable(result)}\n(${((performance.now() - t0) / 1000).toFixed(1)} s)\n`,
    );
    await writeBenchOutputs(result, { ...flags, problemPath: flags.problem });
  });
}
