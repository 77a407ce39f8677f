import { Command } from 'commander';
import { resolve } from 'node:path';
import { InvalidOptionError } from '../../core/errors.js';
import { defaultScale, labelledGridPng } from '../../image/png.js';
import { readPngImage } from '../../image/readPng.js';
import { nearestUpsample } from '../../image/resize.js';
import { jsonText, outputPath, type OutputFile } from '../../io/atomicWrite.js';
import { embeddedUpscalerDir } from '../../models/embedded.js';
import { inspectModelFolder } from '../../models/folder.js';
import { loadUpscalerModel, type UpscalerModel } from '../../models/upscaler.js';
import {
  checkLowRes,
  checkNoiseLevel,
  DEFAULT_NOISE_LEVEL,
  upscale,
  type UpscaleResult,
} from '../../pipelines/upscale.js';
import { pngWithRecipe } from '../../pipelines/recipeFile.js';
import type { Recipe } from '../../recipe/recipe.js';
import { schedulerConfigJson } from '../../schedules/config.js';
import { applyFrom, modelChangeWarning, recipeOf } from '../recipeFlags.js';
import { itemFiles, itemPng, rowLabel } from '../imageOutputs.js';
import { concatBatch } from '../../core/tensor.js';
import { methodFlag } from '../aliasedFlags.js';
import { parseInteger } from '../parse.js';
import {
  addSamplingFlags,
  checkBatchMemory,
  parseSamplingFlags,
  settingsJson,
  runsJson,
  runTable,
  runEachMethod,
  type SamplingFlags,
} from '../samplingFlags.js';
import { printResult, warn, writeOutputs } from '../log.js';

interface UpscaleFlags extends SamplingFlags {
  noiseLevel: string;
  prompt?: string;
  sheet?: string | boolean;
}

/** up.png → up-sheet.png: the contact sheet's default name. */
export function sheetPath(out: string): string {
  return out.toLowerCase().endsWith('.png') ? `${out.slice(0, -4)}-sheet.png` : `${out}-sheet.png`;
}

/** The contact sheet's path: with --sheet FILE that file; with --sheet or --compare, OUT-sheet.png. */
function sheetOf(flags: UpscaleFlags): string | undefined {
  if (typeof flags.sheet === 'string') return outputPath(flags.sheet, '--sheet');
  const wanted = flags.sheet === true || methodFlag(flags).text.includes(',');
  return wanted ? sheetPath(outputPath(flags.out, '--out')) : undefined;
}

function sidecar(
  input: string,
  p: Awaited<ReturnType<typeof parseSamplingFlags>>,
  sheet: string | undefined,
  recipe: Recipe,
  model: UpscalerModel,
  runs: UpscaleResult[],
  loadMs: number,
) {
  return {
    input,
    png: p.out,
    pngIs: 'output 0 of the first method',
    sheet: sheet ?? null,
    sheetLayout:
      'row 0 = the input (pixels repeated) and its bicubic upsampling; then one row per method (in order), columns = samples 0 … n−1',
    images: p.items ?? null,
    model: {
      dir: model.folder.dir,
      className: model.folder.className,
      inputShape: model.inputShape,
      outputShape: model.outputShape,
      factor: model.factor,
      latent: model.vae !== undefined,
      guidedOn: runs[0].guidedOn,
      maxNoiseLevel: model.maxNoiseLevel,
      scheduler: schedulerConfigJson(model.schedule),
      lowResScheduler: schedulerConfigJson(model.lowResSchedule),
    },
    settings: { ...settingsJson(p), noiseLevel: runs[0].noiseLevel },
    recipe,
    runs: runsJson(runs),
    timings: { loadMs },
  };
}

export function upscaleCommand(): Command {
  const cmd = new Command('upscale')
    .argument(
      '[input]',
      'low-resolution PNG (8-bit greyscale or RGB, no alpha, the model’s size; with --from: the recorded one)',
    )
    .option(
      '--model <dir>',
      'upscaler folder in the diffusers x4-upscaler layout (default: the embedded models/mnist-sr)',
    )
    .option(
      '--noise-level <n>',
      'noise added to the input before the model reads it (class_labels)',
      String(DEFAULT_NOISE_LEVEL),
    )
    .option('--prompt <text>', 'prompt, for upscalers with a text side')
    .option(
      '--sheet [file]',
      'also write the contact sheet (input, bicubic, every output); default file OUT-sheet.png, written by default when --method names several methods',
    );
  addSamplingFlags(cmd, {
    method: 'cfg',
    nMeaning: 'outputs per method',
    n: '1',
    out: 'upscaled.png',
    outMeaning: 'the upscaled image (output 0 of the first method)',
  });
  return cmd.action(async (inputArg: string | undefined, _flags: unknown, self: Command) => {
    const { argument, from } = await applyFrom(self, inputArg);
    const input = resolve(argument);
    const flags = self.opts<UpscaleFlags>();
    const noiseLevel = parseInteger(flags.noiseLevel, '--noise-level', 0, 1000);
    const modelDir = resolve(flags.model ?? embeddedUpscalerDir());
    const sheet = sheetOf(flags);
    const p = await parseSamplingFlags(flags, [modelDir, input], sheet ? [sheet] : []);
    if (sheet === p.out || sheet === p.json) {
      throw new InvalidOptionError('--sheet names the same file as --out or --json');
    }
    await inspectModelFolder(modelDir, 'upscale');
    const recipe = await recipeOf(self, input, modelDir);
    const changed = modelChangeWarning(from, recipe);
    if (changed) warn(changed);
    const tLoad = performance.now();
    const model = await loadUpscalerModel(modelDir, { threads: p.threads, warn });
    const loadMs = performance.now() - tLoad;
    try {
      checkBatchMemory(p.n, [model.unet.itemShape, model.outputShape]);
      checkNoiseLevel(model, noiseLevel);
      const lowRes = await readPngImage(input, model.inputShape[0] === 3 ? 3 : 1);
      checkLowRes(model, lowRes);
      const base = {
        w: p.w,
        steps: p.steps,
        nfe: p.nfe,
        n: p.n,
        seed: p.seed,
        sampler: p.sampler,
        noiseLevel,
        prompt: flags.prompt,
      };
      const runs = await runEachMethod(
        model.schedule,
        base,
        p.methods,
        flags.progress,
        `upscale ×${p.n}`,
        ({ method, steps, signal, onStep }) =>
          upscale(model, lowRes, {
            ...base,
            method,
            steps,
            nfe: undefined,
            unetCalls: p.unetCalls,
            ksdItems: p.ksdItems,
            gapMonitor: p.gapMonitor,
            signal,
            onStep,
            warn,
          }),
      );
      const first = runs[0];
      const files: OutputFile[] = [
        { path: p.out, content: itemPng(first, 0, recipe) },
        ...itemFiles(runs, p.items, recipe),
      ];
      if (sheet) {
        const inputRow = concatBatch([nearestUpsample(lowRes, model.factor), first.bicubic]);
        const png = labelledGridPng(
          [inputRow, ...runs.map((r) => r.images)],
          { rows: ['input, bicubic', ...runs.map(rowLabel)] },
          { scale: defaultScale(model.outputShape[1]) },
        );
        files.push({ path: sheet, content: pngWithRecipe(png, recipe) });
      }
      const side = sidecar(input, p, sheet, recipe, model, runs, loadMs);
      files.push({ path: p.json, content: jsonText(side) });
      printResult(runTable(runs));
      await writeOutputs(files);
    } finally {
      await model.release();
    }
  });
}
