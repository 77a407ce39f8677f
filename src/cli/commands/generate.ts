import { Command } from 'commander';
import { resolve } from 'node:path';
import { defaultScale, gridPng } from '../../image/png.js';
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
import { schedulerConfigJson } from '../../schedules/config.js';
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
  return { ...setup, edit, prompt, folder };
}

type GenerateSetup = Awaited<ReturnType<typeof prepareGenerate>>;

/** Everything needed to reproduce and read the grid: settings, methods, steps, gap figures, timings. */
function sidecar(
  p: GenerateSetup,
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
    runs: runsJson(runs),
    timings: { loadMs },
  };
}

export function generateCommand(): Command {
  const cmd = new Command('generate')
    .argument('<prompt>', 'what to draw, e.g. "a thick slanted seven"')
    .option(
      '--model <dir>',
      'model folder in the diffusers/optimum ONNX layout (default: the embedded models/mnist-t2i)',
    );
  addEditFlags(cmd);
  addSamplingFlags(cmd, { nMeaning: 'images per method', n: '8', out: 'grid.png' });
  return cmd.action(async (prompt: string, flags: GenerateFlags) => {
    const p = await prepareGenerate(prompt, flags);
    const warn = (m: string) => process.stderr.write(`warning: ${m}\n`);
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
      const png = gridPng(
        runs.map((r) => r.images),
        { scale: defaultScale(runs[0].images.shape[2]) },
      );
      await commitOutputs([
        { path: p.out, content: png },
        { path: p.json, content: jsonText(sidecar(p, model, runs, loadMs)) },
      ]);
      process.stdout.write(`${runTable(runs)}\nwrote ${p.out} and ${p.json}\n`);
    } finally {
      await model.release();
    }
  });
}
