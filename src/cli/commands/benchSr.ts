import { Command } from 'commander';
import { resolve } from 'node:path';
import {
  MAX_INPUTS,
  runSrBench,
  SR_TABLE_HEADER,
  srGrids,
  srPlots,
  srTableRows,
  srJson,
  type SrBenchResult,
} from '../../bench/srBench.js';
import { loadMnist } from '../../data/mnist.js';
import { EvalClassifier } from '../../eval/classifier.js';
import { embeddedUpscalerDir } from '../../models/embedded.js';
import { inspectModelFolder } from '../../models/folder.js';
import { loadUpscalerModel } from '../../models/upscaler.js';
import { checkNoiseLevel, DEFAULT_NOISE_LEVEL } from '../../pipelines/upscale.js';
import { addBenchFlags, parseBenchFlags, type BenchFlags } from '../benchFlags.js';
import { BenchOutputs } from '../benchOutputs.js';
import { parseInteger } from '../parse.js';
import { createProgress } from '../progress.js';
import { withInterrupt } from '../samplingFlags.js';
import { formatTable } from '../table.js';

interface BenchSrFlags extends BenchFlags {
  inputs: string;
  noiseLevel: string;
}

export const DEFAULT_SR_NFE = 60;

export function benchSrTable(result: SrBenchResult): string {
  const s = result.settings;
  const budget = s.nfe !== null ? `NFE ≤ ${s.nfe}` : `${s.steps} steps`;
  return (
    `super-resolution ×${result.model.factor} on ${result.model.dir}: ${s.inputs} held-out digits × ${s.n} outputs, ${budget}, noise level ${s.noiseLevel}, seed ${s.seed}, ${s.sampler}\n` +
    `PSNR/SSIM vs the original digit; consistency = PSNR of the output reduced ×${result.model.factor} vs the input; FID-style distance of the first output per input in the evaluation network's ${result.evaluator.featureDim}-d features vs ${result.data.fidReferenceSize} other held-out digits; digit acc = the evaluator reads the input's digit\n` +
    formatTable(SR_TABLE_HEADER, srTableRows(result))
  );
}

export function benchSrCommand(): Command {
  const cmd = new Command('sr')
    .option('--model <dir>', 'upscaler folder (default: the embedded models/mnist-sr)')
    .option('--inputs <n>', 'held-out digits to upscale (input i is digit i mod 10)', '100')
    .option(
      '--noise-level <n>',
      'noise added to each input before the model reads it',
      String(DEFAULT_NOISE_LEVEL),
    );
  addBenchFlags(cmd, {
    defaultNfe: DEFAULT_SR_NFE,
    nMeaning: 'outputs per input (input i’s noise is keyed by the seed and i)',
    n: '8',
    grids: 'columns = inputs; rows = original, input, bicubic, three outputs',
    plots: 'PSNR, SSIM, consistency, FID and gap vs w, Pareto FID vs PSNR',
  });
  return cmd.action(async (flags: BenchSrFlags) => {
    const modelDir = resolve(flags.model ?? embeddedUpscalerDir());
    const p = await parseBenchFlags(flags, DEFAULT_SR_NFE, modelDir);
    const inputs = parseInteger(flags.inputs, '--inputs', 2, MAX_INPUTS);
    const noiseLevel = parseInteger(flags.noiseLevel, '--noise-level', 0, 1000);
    await inspectModelFolder(modelDir, 'upscale');
    const warn = (m: string) => process.stderr.write(`warning: ${m}\n`);
    const t0 = performance.now();
    const model = await loadUpscalerModel(modelDir, { threads: p.threads, warn });
    let classifier: EvalClassifier | undefined;
    try {
      checkNoiseLevel(model, noiseLevel);
      classifier = await EvalClassifier.load(p.evaluator, { threads: p.threads });
      const mnist = await loadMnist({ dir: p.mnistDir });
      const progress = createProgress(flags.progress);
      progress.start(p.methods.length * p.ws.length * inputs, 'bench sr');
      const result = await withInterrupt((signal) =>
        runSrBench({
          model,
          classifier: classifier!,
          mnist,
          methods: p.methods,
          ws: p.ws,
          nfe: p.nfe,
          steps: p.steps,
          inputs,
          n: p.n,
          seed: p.seed,
          noiseLevel,
          sampler: p.sampler,
          unetCalls: p.unetCalls,
          keepImages: p.grids !== undefined,
          signal,
          onInput: (label) => progress.tick(label),
          warn,
        }),
      );
      progress.stop();
      process.stdout.write(
        `${benchSrTable(result)}\n(${((performance.now() - t0) / 1000).toFixed(1)} s)\n`,
      );
      const outputs = new BenchOutputs(p.inputs);
      outputs.addJson(p.json, () => srJson(result));
      if (p.grids) outputs.addAll(p.grids, srGrids(result));
      if (p.plots) outputs.addAll(p.plots, await srPlots(result));
      await outputs.commit();
    } finally {
      await classifier?.release();
      await model.release();
    }
  });
}
