import { Command } from 'commander';
import { stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import {
  runT2iBench,
  selectPrompts,
  T2I_PROMPTS,
  T2I_TABLE_HEADER,
  t2iGrids,
  t2iPlots,
  t2iTableRows,
  type T2iBenchResult,
} from '../../bench/t2iBench.js';
import { checkMnist, loadMnist, mnistDigitsDir } from '../../data/mnist.js';
import { InvalidOptionError, ModelFolderError } from '../../errors.js';
import { EvalClassifier, evalModelDir } from '../../eval/classifier.js';
import { checkWritable, writeFileAtomic, writeJsonAtomic } from '../../io/atomicWrite.js';
import { resolveMethod } from '../../methods/registry.js';
import { embeddedModelDir } from '../../models/embedded.js';
import { inspectModelFolder } from '../../models/folder.js';
import { loadTextToImageModel } from '../../models/load.js';
import { checkUnetCalls, DEFAULT_UNET_CALLS, UNET_CALLS } from '../../models/unetDenoiser.js';
import { createSampler, SAMPLER_NAMES } from '../../sampling/steps/index.js';
import { checkSeed } from '../../tensor/random.js';
import { addMethodFlags, methodChoices } from '../methodFlags.js';
import { parseInteger, parseNameList, parseNumberList } from '../parse.js';
import { createProgress } from '../progress.js';
import { formatTable } from '../table.js';

export interface BenchT2iFlags {
  model?: string;
  evaluator?: string;
  methods: string;
  w: string;
  steps?: string;
  nfe?: string;
  n: string;
  seed: string;
  prompts: string;
  sampler: string;
  unetCalls: string;
  ksdItems: string;
  threads?: string;
  json?: string;
  grids?: string;
  plots?: string;
  progress: boolean;
  [flag: string]: unknown;
}

export const DEFAULT_T2I_NFE = 60;

/** Parse and check everything (outputs, model, evaluator, data) before any work. */
export async function prepareBenchT2i(flags: BenchT2iFlags) {
  const names = parseNameList(flags.methods, '--methods');
  if (new Set(names).size !== names.length)
    throw new InvalidOptionError(`--methods names a method twice: "${flags.methods}"`);
  const methods = methodChoices(names, flags);
  methods.forEach((m) => resolveMethod(m));
  const ws = parseNumberList(flags.w, '--w');
  if (flags.steps !== undefined && flags.nfe !== undefined)
    throw new InvalidOptionError('give --steps or --nfe, not both');
  const steps =
    flags.steps === undefined ? undefined : parseInteger(flags.steps, '--steps', 1, 100_000);
  const nfe =
    flags.nfe === undefined
      ? steps === undefined
        ? DEFAULT_T2I_NFE
        : undefined
      : parseInteger(flags.nfe, '--nfe', 1, 1_000_000);
  const n = parseInteger(flags.n, '--n', 1, 4096);
  const seed = checkSeed(parseInteger(flags.seed, '--seed', 0, 0xffffffff));
  const prompts = selectPrompts(flags.prompts);
  const threads =
    flags.threads === undefined ? undefined : parseInteger(flags.threads, '--threads', 1, 1024);
  createSampler(flags.sampler);
  const unetCalls = checkUnetCalls(flags.unetCalls);
  const ksdItems = parseInteger(flags.ksdItems, '--ksd-items', 2, 100_000);
  if (prompts.length * n <= 5) {
    throw new InvalidOptionError(
      `k-NN precision/recall (k = 5) need more than 5 images per run; prompts × --n = ${prompts.length * n}`,
    );
  }
  const json = flags.json === undefined ? undefined : resolve(flags.json);
  const grids = flags.grids === undefined ? undefined : resolve(flags.grids);
  const plots = flags.plots === undefined ? undefined : resolve(flags.plots);
  if (json) await checkWritable(json);
  if (grids) await checkWritable(join(grids, 'x.png'));
  if (plots) await checkWritable(join(plots, 'x.svg'));
  const modelDir = resolve(flags.model ?? embeddedModelDir());
  await inspectModelFolder(modelDir);
  const evaluator = resolve(flags.evaluator ?? evalModelDir());
  if (!(await stat(evaluator).catch(() => undefined))) {
    throw new ModelFolderError(`evaluation network ${evaluator} does not exist`);
  }
  const mnistDir = await checkMnist(mnistDigitsDir());
  return {
    methods,
    ws,
    steps,
    nfe,
    n,
    seed,
    prompts,
    threads,
    sampler: flags.sampler,
    unetCalls,
    ksdItems,
    json,
    grids,
    plots,
    modelDir,
    evaluator,
    mnistDir,
  };
}

export function benchT2iTable(result: T2iBenchResult): string {
  const s = result.settings;
  const budget = s.nfe !== null ? `NFE ≤ ${s.nfe}` : `${s.steps} steps`;
  return (
    `text-to-image on ${result.model.dir}: ${result.prompts.length} prompts × ${s.n} images, ${budget}, seed ${s.seed}, ${s.sampler}\n` +
    `FID-style distance and k-NN (k = ${result.evaluator.k}) precision/recall in the evaluation network's ${result.evaluator.featureDim}-d features vs held-out real digits; ` +
    `digit/attr/joint = adherence; "real (train)" = TRAIN digits scored the same way (the floor)\n` +
    formatTable(T2I_TABLE_HEADER, t2iTableRows(result))
  );
}

/** JSON without the images (the grids hold them). */
export function t2iJson(result: T2iBenchResult) {
  return { ...result, runs: result.runs.map(({ images: _images, ...rest }) => rest) };
}

export function benchT2iCommand(): Command {
  const cmd = new Command('t2i')
    .description(
      'text-to-image guidance benchmark: methods × w at matched NFE on an MNIST model (default: the embedded one), scored by the shipped evaluation network against held-out real digits',
    )
    .option('--model <dir>', 'model folder (default: the embedded models/mnist-t2i)')
    .option('--evaluator <path>', 'evaluation network folder or .onnx (default: models/mnist-eval)')
    .option('--methods <list>', 'comma-separated methods', 'cfg,apg,pcg,diffier')
    .option('--w <list>', 'comma-separated guidance weights', '1,2,3,5,7.5')
    .option(
      '--nfe <n>',
      `evaluation budget per image; each method gets the most steps that fit (default ${DEFAULT_T2I_NFE} unless --steps)`,
    )
    .option('--steps <n>', 'sampling steps for every method (instead of --nfe)')
    .option('--n <n>', 'images per prompt', '16')
    .option('--seed <n>', 'seed (prompt p’s noise is keyed by the seed and p)', '0')
    .option(
      '--prompts <spec>',
      `all, digits, attributes, or comma-separated ids (${T2I_PROMPTS.map((p) => p.id).join(', ')})`,
      'all',
    )
    .option('--sampler <name>', `sampler: ${SAMPLER_NAMES.join(', ')}`, 'ddim')
    .option(
      '--unet-calls <mode>',
      `guided steps as ${UNET_CALLS.join(' or ')} UNet calls`,
      DEFAULT_UNET_CALLS,
    )
    .option('--ksd-items <n>', 'images used by the KSD gap measure', '256')
    .option('--threads <n>', 'onnxruntime threads per operator (default: the runtime’s)')
    .option('--json <file>', 'write every run as JSON')
    .option('--grids <dir>', 'write a PNG per method × w (rows = prompts, columns = images)')
    .option('--plots <dir>', 'write SVG plots (FID and adherence vs w, Pareto FID vs adherence)')
    .option('--no-progress', 'no progress on stderr');
  addMethodFlags(cmd);
  return cmd.action(async (flags: BenchT2iFlags) => {
    const p = await prepareBenchT2i(flags);
    const warnings = new Set<string>();
    // Each prompt's warnings (unknown words …) once, not once per run.
    const warn = (m: string) => {
      if (!warnings.has(m)) process.stderr.write(`warning: ${m}\n`);
      warnings.add(m);
    };
    const t0 = performance.now();
    const model = await loadTextToImageModel(p.modelDir, { threads: p.threads, warn });
    let classifier: EvalClassifier | undefined;
    const controller = new AbortController();
    const onInterrupt = () => controller.abort();
    process.once('SIGINT', onInterrupt);
    try {
      classifier = await EvalClassifier.load(p.evaluator, { threads: p.threads });
      const mnist = await loadMnist({ dir: p.mnistDir, digits: p.prompts.map((q) => q.digit) });
      const progress = createProgress(flags.progress);
      progress.start(p.methods.length * p.ws.length * p.prompts.length, 'bench t2i');
      const result = await runT2iBench({
        model,
        classifier,
        mnist,
        prompts: p.prompts,
        methods: p.methods,
        ws: p.ws,
        nfe: p.nfe,
        steps: p.steps,
        n: p.n,
        seed: p.seed,
        sampler: p.sampler,
        unetCalls: p.unetCalls,
        ksdItems: p.ksdItems,
        keepImages: p.grids !== undefined,
        signal: controller.signal,
        onPrompt: (label) => progress.tick(label),
        warn,
      });
      progress.stop();
      process.stdout.write(
        `${benchT2iTable(result)}\n(${((performance.now() - t0) / 1000).toFixed(1)} s)\n`,
      );
      if (p.json) await writeJsonAtomic(p.json, t2iJson(result));
      if (p.grids) {
        for (const [name, png] of t2iGrids(result)) await writeFileAtomic(join(p.grids, name), png);
      }
      if (p.plots) {
        for (const [name, svg] of await t2iPlots(result))
          await writeFileAtomic(join(p.plots, name), svg);
      }
    } finally {
      process.removeListener('SIGINT', onInterrupt);
      await classifier?.release();
      await model.release();
    }
  });
}
