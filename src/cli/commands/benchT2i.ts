import { Command } from 'commander';
import { resolve } from 'node:path';
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
import { loadMnist } from '../../data/mnist.js';
import { InvalidOptionError } from '../../core/errors.js';
import { EvalClassifier } from '../../eval/classifier.js';
import { embeddedModelDir } from '../../models/embedded.js';
import { inspectModelFolder } from '../../models/folder.js';
import { loadTextToImageModel } from '../../models/load.js';
import { addBenchFlags, parseBenchFlags, type BenchFlags } from '../benchFlags.js';
import { BenchOutputs } from '../benchOutputs.js';
import { createProgress } from '../progress.js';
import { withInterrupt } from '../samplingFlags.js';
import { formatTable } from '../table.js';

export interface BenchT2iFlags extends BenchFlags {
  prompts: string;
}

export const DEFAULT_T2I_NFE = 60;

/** Parse and check everything (outputs, model, evaluator, data) before any work. */
export async function prepareBenchT2i(flags: BenchT2iFlags) {
  const modelDir = resolve(flags.model ?? embeddedModelDir());
  const shared = await parseBenchFlags(flags, DEFAULT_T2I_NFE, modelDir);
  const prompts = selectPrompts(flags.prompts);
  if (prompts.length * shared.n <= 5) {
    throw new InvalidOptionError(
      `k-NN precision/recall (k = 5) need more than 5 images per run; prompts × --n = ${prompts.length * shared.n}`,
    );
  }
  await inspectModelFolder(modelDir);
  return { ...shared, prompts, modelDir };
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
    .option('--model <dir>', 'model folder (default: the embedded models/mnist-t2i)')
    .option(
      '--prompts <spec>',
      `all, digits, attributes, or comma-separated ids (${T2I_PROMPTS.map((p) => p.id).join(', ')})`,
      'all',
    );
  addBenchFlags(cmd, {
    defaultNfe: DEFAULT_T2I_NFE,
    nMeaning: 'images per prompt (prompt p’s noise is keyed by the seed and p)',
    n: '16',
    grids: 'rows = prompts, columns = images',
    plots: 'FID and adherence vs w, Pareto FID vs adherence',
  });
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
    try {
      classifier = await EvalClassifier.load(p.evaluator, { threads: p.threads });
      const mnist = await loadMnist({ dir: p.mnistDir, digits: p.prompts.map((q) => q.digit) });
      const progress = createProgress(flags.progress);
      progress.start(p.methods.length * p.ws.length * p.prompts.length, 'bench t2i');
      const result = await withInterrupt((signal) =>
        runT2iBench({
          model,
          classifier: classifier!,
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
          signal,
          onPrompt: (label) => progress.tick(label),
          warn,
        }),
      );
      progress.stop();
      process.stdout.write(
        `${benchT2iTable(result)}\n(${((performance.now() - t0) / 1000).toFixed(1)} s)\n`,
      );
      const outputs = new BenchOutputs(p.inputs);
      outputs.addJson(p.json, () => t2iJson(result));
      if (p.grids) outputs.addAll(p.grids, t2iGrids(result));
      if (p.plots) outputs.addAll(p.plots, await t2iPlots(result));
      await outputs.commit();
    } finally {
      await classifier?.release();
      await model.release();
    }
  });
}
