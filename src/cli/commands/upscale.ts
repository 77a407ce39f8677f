import { Command } from 'commander';
import { resolve } from 'node:path';
import { defaultScale, gridPng } from '../../image/png.js';
import { readPngImage } from '../../image/readPng.js';
import { nearestUpsample } from '../../image/resize.js';
import { jsonText } from '../../io/atomicWrite.js';
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
import { schedulerConfigJson } from '../../schedules/config.js';
import { concatBatch } from '../../core/tensor.js';
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
}

function sidecar(
  input: string,
  p: Awaited<ReturnType<typeof parseSamplingFlags>>,
  model: UpscalerModel,
  runs: UpscaleResult[],
  loadMs: number,
) {
  return {
    input,
    png: p.out,
    layout:
      'row 0 = the input (pixels repeated) and its bicubic upsampling; then one row per method (in order), columns = samples 0 … n−1',
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
    runs: runsJson(runs),
    timings: { loadMs },
  };
}

export function upscaleCommand(): Command {
  const cmd = new Command('upscale')
    .argument('<input>', 'low-resolution PNG (8-bit greyscale or RGB, no alpha, the model’s size)')
    .option(
      '--model <dir>',
      'upscaler folder in the diffusers x4-upscaler layout (default: the embedded models/mnist-sr)',
    )
    .option(
      '--noise-level <n>',
      'noise added to the input before the model reads it (class_labels)',
      String(DEFAULT_NOISE_LEVEL),
    )
    .option('--prompt <text>', 'prompt, for upscalers with a text side');
  addSamplingFlags(cmd, {
    method: 'cfg',
    nMeaning: 'outputs per method',
    n: '8',
    out: 'upscaled.png',
  });
  return cmd.action(async (input: string, flags: UpscaleFlags) => {
    const noiseLevel = parseInteger(flags.noiseLevel, '--noise-level', 0, 1000);
    const modelDir = resolve(flags.model ?? embeddedUpscalerDir());
    const p = await parseSamplingFlags(flags, [modelDir, resolve(input)]);
    await inspectModelFolder(modelDir, 'upscale');
    const tLoad = performance.now();
    const model = await loadUpscalerModel(modelDir, { threads: p.threads, warn });
    const loadMs = performance.now() - tLoad;
    try {
      checkBatchMemory(p.n, [model.unet.itemShape, model.outputShape]);
      checkNoiseLevel(model, noiseLevel);
      const lowRes = await readPngImage(resolve(input), model.inputShape[0] === 3 ? 3 : 1);
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
      const inputRow = concatBatch([nearestUpsample(lowRes, model.factor), runs[0].bicubic]);
      const png = gridPng([inputRow, ...runs.map((r) => r.images)], {
        scale: defaultScale(model.outputShape[1]),
      });
      printResult(runTable(runs));
      await writeOutputs([
        { path: p.out, content: png },
        { path: p.json, content: jsonText(sidecar(resolve(input), p, model, runs, loadMs)) },
      ]);
    } finally {
      await model.release();
    }
  });
}
