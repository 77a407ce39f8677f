import { Command } from 'commander';
import { resolve } from 'node:path';
import { InvalidOptionError } from '../../errors.js';
import { defaultScale, gridPng } from '../../image/png.js';
import { checkWritable, writeFileAtomic, writeJsonAtomic } from '../../io/atomicWrite.js';
import { METHOD_NAMES, resolveMethod } from '../../methods/registry.js';
import { embeddedModelDir } from '../../models/embedded.js';
import { inspectModelFolder } from '../../models/folder.js';
import { loadTextToImageModel } from '../../models/load.js';
import { checkUnetCalls, DEFAULT_UNET_CALLS, UNET_CALLS } from '../../models/unetDenoiser.js';
import {
  checkPrompt,
  encodePrompt,
  textToImage,
  type TextToImageResult,
} from '../../pipelines/textToImage.js';
import { DEFAULT_STEPS, planRun } from '../../pipelines/run.js';
import { schedulerConfigJson } from '../../sampling/schedule.js';
import { createSampler, SAMPLER_NAMES } from '../../sampling/steps/index.js';
import { checkSeed } from '../../tensor/random.js';
import { addMethodFlags, methodChoices } from '../methodFlags.js';
import { parseInteger, parseNameList, parseNumber } from '../parse.js';
import { createProgress } from '../progress.js';
import { formatTable } from '../table.js';

export interface GenerateFlags {
  model?: string;
  method: string;
  compare?: string;
  w: string;
  steps?: string;
  nfe?: string;
  n: string;
  seed: string;
  sampler: string;
  out: string;
  json?: string;
  threads?: string;
  unetCalls: string;
  ksdItems: string;
  gap: boolean;
  progress: boolean;
  [flag: string]: unknown;
}

/** grid.png → grid.json (any other name gets ".json" appended). */
export function sidecarPath(out: string): string {
  return out.toLowerCase().endsWith('.png') ? `${out.slice(0, -4)}.json` : `${out}.json`;
}

/** Parse and check everything, outputs and model files included, before any work. */
export async function prepareGenerate(prompt: string, flags: GenerateFlags) {
  checkPrompt(prompt);
  const names = flags.compare ? parseNameList(flags.compare, '--compare') : [flags.method];
  if (new Set(names).size !== names.length) {
    throw new InvalidOptionError(`--compare names a method twice: "${flags.compare}"`);
  }
  const methods = methodChoices(names, flags);
  methods.forEach((m) => resolveMethod(m));
  if (flags.steps !== undefined && flags.nfe !== undefined) {
    throw new InvalidOptionError('give --steps or --nfe, not both');
  }
  const steps =
    flags.steps === undefined ? undefined : parseInteger(flags.steps, '--steps', 1, 100_000);
  const nfe = flags.nfe === undefined ? undefined : parseInteger(flags.nfe, '--nfe', 1, 1_000_000);
  const threads =
    flags.threads === undefined ? undefined : parseInteger(flags.threads, '--threads', 1, 1024);
  createSampler(flags.sampler);
  const out = resolve(flags.out);
  const json = resolve(flags.json ?? sidecarPath(flags.out));
  if (json === out) throw new InvalidOptionError('--json and --out name the same file');
  await checkWritable(out);
  await checkWritable(json);
  const modelDir = resolve(flags.model ?? embeddedModelDir());
  await inspectModelFolder(modelDir);
  return {
    prompt,
    methods,
    w: parseNumber(flags.w, '--w'),
    steps: nfe === undefined ? (steps ?? DEFAULT_STEPS) : undefined,
    nfe,
    n: parseInteger(flags.n, '--n', 1, 4096),
    seed: checkSeed(parseInteger(flags.seed, '--seed', 0, 0xffffffff)),
    sampler: flags.sampler,
    threads,
    unetCalls: checkUnetCalls(flags.unetCalls),
    ksdItems: parseInteger(flags.ksdItems, '--ksd-items', 2, 100_000),
    gapMonitor: flags.gap !== false,
    out,
    json,
    modelDir,
  };
}

type Prepared = Awaited<ReturnType<typeof prepareGenerate>>;

/** Everything needed to reproduce and read the grid: settings, methods, steps, gap figures, timings. */
function sidecar(
  p: Prepared,
  model: Awaited<ReturnType<typeof loadTextToImageModel>>,
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
    settings: {
      w: p.w,
      steps: p.steps ?? null,
      nfe: p.nfe ?? null,
      n: p.n,
      seed: p.seed,
      sampler: p.sampler,
      threads: p.threads ?? null,
      unetCalls: p.unetCalls,
      ksdItems: p.ksdItems,
      gapMonitor: p.gapMonitor,
    },
    runs: runs.map((r) => ({
      method: r.method,
      options: r.options,
      w: r.w,
      steps: r.steps,
      nfe: r.nfe,
      networkCalls: r.networkCalls,
      gap: r.gap,
      gapSteps: r.gapSteps,
      timings: r.timings,
    })),
    timings: { loadMs },
  };
}

export function generateCommand(): Command {
  const cmd = new Command('generate')
    .description(
      'text to image on an ONNX model folder (default: the embedded MNIST model); writes a PNG grid and a JSON sidecar',
    )
    .argument('<prompt>', 'what to draw, e.g. "a thick slanted seven"')
    .option(
      '--model <dir>',
      'model folder in the diffusers/optimum ONNX layout (default: the embedded models/mnist-t2i)',
    )
    .option('--method <name>', `sampling method: ${METHOD_NAMES.join(', ')}`, 'cfg')
    .option('--compare <list>', 'comma-separated methods, one grid row each (replaces --method)')
    .option('--w <w>', 'guidance weight (1 = none)', '3')
    .option('--steps <n>', `sampling steps (default ${DEFAULT_STEPS} when --nfe is not given)`)
    .option('--nfe <n>', 'network evaluations per image: each method gets the most steps that fit')
    .option('--n <n>', 'images per method', '8')
    .option('--seed <n>', 'seed (the noise of image i is the same whatever --n is)', '0')
    .option('--sampler <name>', `sampler: ${SAMPLER_NAMES.join(', ')}`, 'ddim')
    .option('--out <file>', 'PNG grid', 'grid.png')
    .option('--json <file>', 'JSON sidecar (default: the PNG name with .json)')
    .option('--threads <n>', 'onnxruntime threads per operator (default: the runtime’s)')
    .option(
      '--unet-calls <mode>',
      `guided steps as ${UNET_CALLS.join(' or ')} UNet calls`,
      DEFAULT_UNET_CALLS,
    )
    .option('--ksd-items <n>', 'images used by the KSD gap measure', '256')
    .option('--no-gap', 'skip the gap monitor (the sidecar then has no gap figures)')
    .option('--no-progress', 'no progress on stderr');
  addMethodFlags(cmd);
  return cmd.action(async (prompt: string, flags: GenerateFlags) => {
    const p = await prepareGenerate(prompt, flags);
    const warn = (m: string) => process.stderr.write(`warning: ${m}\n`);
    const tLoad = performance.now();
    const model = await loadTextToImageModel(p.modelDir, { threads: p.threads, warn });
    const loadMs = performance.now() - tLoad;
    const controller = new AbortController();
    const onInterrupt = () => controller.abort();
    process.once('SIGINT', onInterrupt);
    try {
      const base = {
        prompt,
        w: p.w,
        steps: p.steps,
        nfe: p.nfe,
        n: p.n,
        seed: p.seed,
        sampler: p.sampler,
      };
      const plans = [];
      for (const method of p.methods)
        plans.push({ method, steps: (await planRun(model.schedule, { ...base, method })).steps });
      const embeddings = await encodePrompt(model, prompt, warn);
      const progress = createProgress(flags.progress);
      progress.start(
        plans.reduce((a, r) => a + r.steps, 0),
        `generate ×${p.n}`,
      );
      const runs: TextToImageResult[] = [];
      for (const { method, steps } of plans) {
        runs.push(
          await textToImage(model, {
            ...base,
            method,
            steps,
            nfe: undefined,
            unetCalls: p.unetCalls,
            ksdItems: p.ksdItems,
            gapMonitor: p.gapMonitor,
            embeddings,
            signal: controller.signal,
            onStep: (s) => progress.tick(`${method.name} ${s.i + 1}/${s.numSteps}`),
            warn,
          }),
        );
      }
      progress.stop();
      const png = gridPng(
        runs.map((r) => r.images),
        { scale: defaultScale(runs[0].images.shape[2]) },
      );
      await writeFileAtomic(p.out, png);
      await writeJsonAtomic(p.json, sidecar(p, model, runs, loadMs));
      const rows = runs.map((r) => [
        r.method,
        r.w,
        r.steps,
        r.nfe,
        r.gap?.gap ?? NaN,
        r.gap?.driftGap ?? NaN,
        r.timings.totalMs / 1000,
      ]);
      process.stdout.write(
        `${formatTable(['method', 'w', 'steps', 'nfe', 'gap A', 'drift A_r', 'seconds'], rows)}\nwrote ${p.out} and ${p.json}\n`,
      );
    } finally {
      process.removeListener('SIGINT', onInterrupt);
      await model.release();
    }
  });
}
