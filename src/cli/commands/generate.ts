import { Command } from 'commander';
import { dirname, resolve } from 'node:path';
import { defaultScale, labelledGridPng } from '../../image/png.js';
import { commitOutputs, jsonText } from '../../io/atomicWrite.js';
import { embeddedModelDir } from '../../models/embedded.js';
import { inspectModelFolder } from '../../models/folder.js';
import { loadTextToImageModel, type TextToImageModel } from '../../models/load.js';
import {
  checkPrompt,
  embedPrompts,
  textToImage,
  type TextToImageResult,
} from '../../pipelines/textToImage.js';
import { pngWithRecipe } from '../../pipelines/recipeFile.js';
import type { Recipe } from '../../recipe/recipe.js';
import { schedulerConfigJson } from '../../schedules/config.js';
import { itemFiles, rowLabel } from '../imageOutputs.js';
import { applyFrom, modelChangeWarning, recipeOf } from '../recipeFlags.js';
import {
  addSamplingFlags,
  checkBatchMemory,
  parseSamplingFlags,
  settingsJson,
  runsJson,
  runTable,
  runEachMethod,
  type SamplingFlags,
  type SamplingSetup,
} from '../samplingFlags.js';

/** Parse and check everything, outputs and model files included, before any work. */
export async function prepareGenerate(prompt: string, flags: SamplingFlags) {
  checkPrompt(prompt);
  const modelDir = resolve(flags.model ?? embeddedModelDir());
  const setup = await parseSamplingFlags(flags, [modelDir]);
  const folder = await inspectModelFolder(modelDir);
  return { ...setup, prompt, folder, modelDir };
}

/** Everything needed to reproduce and read the grid: settings, methods, steps, gap figures, timings. */
function sidecar(
  p: SamplingSetup & { prompt: string },
  recipe: Recipe,
  model: TextToImageModel,
  runs: TextToImageResult[],
  loadMs: number,
) {
  return {
    prompt: p.prompt,
    tokens: {
      length: runs[0].tokens.length,
      dropped: runs[0].tokens.dropped,
      unknown: runs[0].tokens.unknown,
    },
    png: p.out,
    layout: 'rows = methods (in order), columns = samples 0 … n−1',
    images: p.items ?? null,
    model: {
      dir: model.folder.dir,
      className: model.folder.className,
      sampleShape: model.unet.itemShape,
      latent: model.vae !== undefined,
      unetTimestep: model.unet.timestepKind,
      scheduler: schedulerConfigJson(model.schedule),
    },
    settings: settingsJson(p),
    recipe,
    runs: runsJson(runs),
    timings: { loadMs },
  };
}

export function generateCommand(): Command {
  const cmd = new Command('generate')
    .argument(
      '[prompt]',
      'what to draw, e.g. "a thick slanted seven" (with --from: the recorded one)',
    )
    .option(
      '--model <dir>',
      'model folder in the diffusers/optimum ONNX layout (default: the embedded models/mnist-t2i)',
    );
  addSamplingFlags(cmd, {
    nMeaning: 'images per method',
    n: '8',
    out: 'grid.png',
    outMeaning: 'PNG grid, labelled: one row per method, one column per sample',
  });
  return cmd.action(async (promptArg: string | undefined, _flags: unknown, self: Command) => {
    const { argument: prompt, from } = await applyFrom(self, promptArg);
    const flags = self.opts<SamplingFlags>();
    const p = await prepareGenerate(prompt, flags);
    const warn = (m: string) => process.stderr.write(`warning: ${m}\n`);
    const recipe = await recipeOf(self, prompt, p.modelDir);
    const changed = modelChangeWarning(from, recipe);
    if (changed) warn(changed);
    const tLoad = performance.now();
    const model = await loadTextToImageModel(p.folder, { threads: p.threads, warn });
    const loadMs = performance.now() - tLoad;
    try {
      checkBatchMemory(p.n, [model.unet.itemShape]);
      const base = {
        prompt,
        w: p.w,
        steps: p.steps,
        nfe: p.nfe,
        n: p.n,
        seed: p.seed,
        sampler: p.sampler,
      };
      // The prompt was checked by prepareGenerate.
      const embeddings = await embedPrompts(model, prompt, warn);
      const runs = await runEachMethod(
        model.schedule,
        base,
        p.methods,
        flags.progress,
        `generate ×${p.n}`,
        ({ plan, signal, onStep }) =>
          textToImage(model, {
            ...base,
            plan,
            unetCalls: p.unetCalls,
            ksdItems: p.ksdItems,
            gapMonitor: p.gapMonitor,
            embeddings,
            signal,
            onStep,
            warn,
          }),
      );
      const grid = labelledGridPng(
        runs.map((r) => r.images),
        {
          rows: runs.map(rowLabel),
          columns: Array.from({ length: p.n }, (_, i) => `#${i}`),
        },
        { scale: defaultScale(runs[0].images.shape[2]) },
      );
      const files = [
        { path: p.out, content: pngWithRecipe(grid, recipe) },
        ...itemFiles(runs, p.items, recipe),
      ];
      files.push({ path: p.json, content: jsonText(sidecar(p, recipe, model, runs, loadMs)) });
      await commitOutputs(files);
      const dir = p.items ? ` and ${p.n * runs.length} images in ${dirname(p.items[0][0])}` : '';
      process.stdout.write(`${runTable(runs)}\nwrote ${p.out}, ${p.json}${dir}\n`);
    } finally {
      await model.release();
    }
  });
}
