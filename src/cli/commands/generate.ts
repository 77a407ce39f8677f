import { Command } from 'commander';
import { resolve } from 'node:path';
import { defaultScale, gridPng } from '../../image/png.js';
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
  type SamplingSetup,
} from '../samplingFlags.js';
import { printResult, warn, writeOutputs } from '../log.js';

/** Parse and check everything, outputs and model files included, before any work. */
export async function prepareGenerate(prompt: string, flags: SamplingFlags) {
  checkPrompt(prompt);
  const modelDir = resolve(flags.model ?? embeddedModelDir());
  const setup = await parseSamplingFlags(flags, [modelDir]);
  const folder = await inspectModelFolder(modelDir);
  return { ...setup, prompt, folder };
}

/** Everything needed to reproduce and read the grid: settings, methods, steps, gap figures, timings. */
function sidecar(
  p: SamplingSetup & { prompt: string },
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
    model: {
      dir: model.folder.dir,
      className: model.folder.className,
      sampleShape: model.unet.itemShape,
      latent: model.vae !== undefined,
      unetTimestep: model.unet.timestepKind,
      scheduler: schedulerConfigJson(model.schedule),
    },
    settings: settingsJson(p),
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
  addSamplingFlags(cmd, { method: 'cfg', nMeaning: 'images per method', n: '8', out: 'grid.png' });
  return cmd.action(async (prompt: string, flags: SamplingFlags) => {
    const p = await prepareGenerate(prompt, flags);
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
      const png = gridPng(
        runs.map((r) => r.images),
        { scale: defaultScale(runs[0].images.shape[2]) },
      );
      printResult(runTable(runs));
      await writeOutputs([
        { path: p.out, content: png },
        { path: p.json, content: jsonText(sidecar(p, model, runs, loadMs)) },
      ]);
    } finally {
      await model.release();
    }
  });
}
