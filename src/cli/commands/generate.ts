import { Command } from 'commander';
import { resolve } from 'node:path';
import { defaultScale, labelledGridPng } from '../../image/png.js';
import { jsonText } from '../../io/atomicWrite.js';
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
} from '../samplingFlags.js';
import { printResult, warn, writeOutputs } from '../log.js';
import {
  addEditFlags,
  editInputFiles,
  parseEditFlags,
  readEditImages,
  type EditFlags,
} from '../editFlags.js';

type GenerateFlags = SamplingFlags & EditFlags;

/** Parse and check everything, outputs, input images and model files included, before any work. */
export async function prepareGenerate(prompt: string, flags: GenerateFlags) {
  checkPrompt(prompt);
  const modelDir = resolve(flags.model ?? embeddedModelDir());
  const edit = await parseEditFlags(flags);
  const setup = await parseSamplingFlags(flags, [modelDir, ...editInputFiles(edit)]);
  const folder = await inspectModelFolder(modelDir);
  return { ...setup, edit, prompt, folder, modelDir };
}

type GenerateSetup = Awaited<ReturnType<typeof prepareGenerate>>;

/** Everything needed to reproduce and read the grid: settings, methods, steps, gap figures, timings. */
function sidecar(
  p: GenerateSetup,
  recipe: Recipe,
  model: TextToImageModel,
  runs: TextToImageResult[],
  loadMs: number,
) {
  return {
    prompt: p.prompt,
    negativePrompt: p.edit.negativePrompt,
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
    edit: p.edit.initImage
      ? {
          initImage: p.edit.initImage,
          mask: p.edit.mask ?? null,
          strength: p.edit.strength,
          mode: runs[0].edit?.mode,
          // Per run (methods in order): the steps run of the planned ones.
          sampledSteps: runs.map((r) => r.edit?.sampledSteps),
        }
      : null,
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
  addEditFlags(cmd);
  addSamplingFlags(cmd, {
    method: 'cfg',
    nMeaning: 'images per method',
    n: '8',
    out: 'grid.png',
    outMeaning: 'PNG grid, labelled: one row per method, one column per sample',
  });
  return cmd.action(async (promptArg: string | undefined, _flags: unknown, self: Command) => {
    const { argument: prompt, from } = await applyFrom(self, promptArg);
    const flags = self.opts<GenerateFlags>();
    const p = await prepareGenerate(prompt, flags);
    const recipe = await recipeOf(self, prompt, p.modelDir);
    const changed = modelChangeWarning(from, recipe);
    if (changed) warn(changed);
    const tLoad = performance.now();
    const model = await loadTextToImageModel(p.folder, { threads: p.threads, warn });
    const loadMs = performance.now() - tLoad;
    try {
      checkBatchMemory(p.n, [model.unet.itemShape]);
      const images = await readEditImages(model, p.edit);
      const base = {
        prompt,
        w: p.w,
        steps: p.steps,
        nfe: p.nfe,
        n: p.n,
        seed: p.seed,
        sampler: p.sampler,
        strength: p.edit.strength,
      };
      // The prompt was checked by prepareGenerate.
      const embeddings = await embedPrompts(model, prompt, warn, p.edit.negativePrompt);
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
            ...images,
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
      printResult(runTable(runs));
      await writeOutputs([
        { path: p.out, content: pngWithRecipe(grid, recipe) },
        ...itemFiles(runs, p.items, recipe),
        { path: p.json, content: jsonText(sidecar(p, recipe, model, runs, loadMs)) },
      ]);
    } finally {
      await model.release();
    }
  });
}
