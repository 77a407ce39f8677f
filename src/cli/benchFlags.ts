/**
 * The flags the real-model benchmarks share (bench t2i, bench sr): methods × w at a matched
 * budget, batch, seed, sampler, runtime, evaluation network and outputs — declared once and
 * checked once, before any work.
 */
import type { Command } from 'commander';
import { stat } from 'node:fs/promises';
import { resolve } from 'node:path';
import { checkMnist, mnistDigitsDir } from '../data/mnist.js';
import { ModelFolderError } from '../core/errors.js';
import { evalModelDir } from '../eval/classifier.js';
import { checkUnetCalls } from '../denoisers/unetDenoiser.js';
import { parseSamplerName } from '../samplers/index.js';
import { checkSeed } from '../core/random.js';
import { checkBenchOutputs } from './benchOutputs.js';
import { addCountFlag } from './countFlag.js';
import { addMethodFlags, parseMethodsAndBudget } from './methodFlags.js';
import { parseInteger, parseNameList, parseNumberList } from './parse.js';
import { MAX_THREADS } from './threads.js';
import { addRuntimeFlags } from './samplingFlags.js';

export interface BenchFlags {
  model?: string;
  evaluator?: string;
  methods: string;
  w: string;
  steps?: string;
  nfe?: string;
  n: string;
  seed: string;
  sampler?: string;
  unetCalls: string;
  ksdItems: string;
  threads?: string;
  json?: string;
  grids?: string;
  plots?: string;
  progress: boolean;
  [flag: string]: unknown;
}

export interface BenchFlagDefaults {
  readonly defaultNfe: number;
  /** What --n counts, e.g. "images per prompt". */
  readonly nMeaning: string;
  readonly n: string;
  /** What a grid shows, for --grids' help. */
  readonly grids: string;
  /** What the plots show, for --plots' help. */
  readonly plots: string;
}

export function addBenchFlags(cmd: Command, d: BenchFlagDefaults): Command {
  cmd
    .option('--evaluator <path>', 'evaluation network folder or .onnx (default: models/mnist-eval)')
    .option('--methods <list>', 'comma-separated methods', 'cfg,apg,pcg,diffier')
    .option('--w <list>', 'comma-separated guidance weights', '1,2,3,5,7.5')
    .option(
      '--nfe <n>',
      `evaluation budget per image; each method gets the most steps that fit (default ${d.defaultNfe} unless --steps)`,
    )
    .option('--steps <n>', 'sampling steps for every method (instead of --nfe)');
  addCountFlag(cmd, d.nMeaning, d.n).option('--seed <n>', 'seed', '0');
  addRuntimeFlags(cmd)
    .option('--json <file>', 'write every run as JSON')
    .option('--grids <dir>', `write a PNG per method × w (${d.grids})`)
    .option('--plots <dir>', `write SVG plots (${d.plots})`)
    .option('--no-progress', 'no progress on stderr');
  return addMethodFlags(cmd);
}

/**
 * Parse and check the shared flags, the evaluator, the data and the outputs (none may be an
 * input of the run: the model folder, the evaluator, the data).
 */
export async function parseBenchFlags(flags: BenchFlags, defaultNfe: number, modelDir: string) {
  const { methods, steps, nfe } = parseMethodsAndBudget(
    parseNameList(flags.methods, '--methods'),
    '--methods',
    flags,
    { nfe: defaultNfe },
  );
  const ws = parseNumberList(flags.w, '--w');
  const threads =
    flags.threads === undefined
      ? undefined
      : parseInteger(flags.threads, '--threads', 1, MAX_THREADS);
  if (flags.sampler !== undefined) parseSamplerName(flags.sampler);
  const json = flags.json === undefined ? undefined : resolve(flags.json);
  const grids = flags.grids === undefined ? undefined : resolve(flags.grids);
  const plots = flags.plots === undefined ? undefined : resolve(flags.plots);
  const evaluator = resolve(flags.evaluator ?? evalModelDir());
  if (!(await stat(evaluator).catch(() => undefined))) {
    throw new ModelFolderError(`evaluation network ${evaluator} does not exist`);
  }
  const mnistDir = await checkMnist(mnistDigitsDir());
  const inputs = [modelDir, evaluator, mnistDir];
  await checkBenchOutputs({ files: [json], dirs: [grids, plots] }, inputs);
  return {
    methods,
    ws,
    steps,
    nfe,
    n: parseInteger(flags.n, '--n', 1, 4096),
    seed: checkSeed(parseInteger(flags.seed, '--seed', 0, 0xffffffff)),
    threads,
    sampler: flags.sampler,
    unetCalls: checkUnetCalls(flags.unetCalls),
    ksdItems: parseInteger(flags.ksdItems, '--ksd-items', 2, 100_000),
    json,
    grids,
    plots,
    evaluator,
    mnistDir,
    inputs,
  };
}
