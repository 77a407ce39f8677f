import { Command } from 'commander';
import { stat } from 'node:fs/promises';
import { resolve } from 'node:path';
import { matmulModelPath } from '../../bench/gemm.js';
import { runSpeedBench, type SpeedResult } from '../../bench/speed.js';
import { InvalidOptionError, ModelFolderError } from '../../core/errors.js';
import { DEFAULT_GUIDANCE_WEIGHT } from '../../guidance/index.js';
import { resolveMethod } from '../../methods/registry.js';
import { embeddedModelDir } from '../../models/embedded.js';
import { inspectModelFolder } from '../../models/folder.js';
import { loadTextToImageModel } from '../../models/load.js';
import { DEFAULT_STEPS } from '../../pipelines/run.js';
import { checkPrompt } from '../../pipelines/textToImage.js';
import { checkSeed } from '../../core/random.js';
import { BenchOutputs, checkBenchOutputs } from '../benchOutputs.js';
import { addCountFlag } from '../countFlag.js';
import { addMethodFlags, methodChoices } from '../methodFlags.js';
import { parseInteger, parseNameList, parseNumber } from '../parse.js';
import { MAX_THREADS } from '../threads.js';
import { createProgress } from '../progress.js';
import { withInterrupt } from '../samplingFlags.js';
import { formatNumber, formatTable } from '../table.js';

export interface BenchSpeedFlags {
  model?: string;
  prompt: string;
  methods: string;
  w: string;
  steps: string;
  n: string;
  seed: string;
  repeats: string;
  reps: string;
  gemmSize: string;
  matmul?: string;
  syntheticShape: string;
  syntheticBatch: string;
  unetFlops?: string;
  threads?: string;
  json?: string;
  progress: boolean;
  [flag: string]: unknown;
}

export const README_PROMPT = 'a thick slanted seven';

/** Parse and check everything before any work. */
export async function prepareBenchSpeed(flags: BenchSpeedFlags) {
  checkPrompt(flags.prompt);
  const names = parseNameList(flags.methods, '--methods');
  if (new Set(names).size !== names.length)
    throw new InvalidOptionError(`--methods names a method twice: "${flags.methods}"`);
  const methods = methodChoices(names, flags);
  methods.forEach((m) => resolveMethod(m));
  const shape = parseNameList(flags.syntheticShape, '--synthetic-shape').map((v) =>
    parseInteger(v, '--synthetic-shape', 1, 4096),
  );
  if (shape.length !== 3)
    throw new InvalidOptionError(`--synthetic-shape is C,H,W, got "${flags.syntheticShape}"`);
  const unetFlops =
    flags.unetFlops === undefined ? undefined : parseNumber(flags.unetFlops, '--unet-flops');
  if (unetFlops !== undefined && !(unetFlops > 0))
    throw new InvalidOptionError(`--unet-flops must be > 0, got ${flags.unetFlops}`);
  const json = flags.json === undefined ? undefined : resolve(flags.json);
  const modelDir = resolve(flags.model ?? embeddedModelDir());
  await inspectModelFolder(modelDir);
  const matmul = resolve(flags.matmul ?? matmulModelPath());
  if (!(await stat(matmul).catch(() => undefined))?.isFile())
    throw new ModelFolderError(
      `matmul probe ${matmul} does not exist (made by training/make_matmul.py)`,
    );
  await checkBenchOutputs({ files: [json] }, [modelDir, matmul]);
  return {
    prompt: flags.prompt,
    methods,
    w: parseNumber(flags.w, '--w'),
    steps: parseInteger(flags.steps, '--steps', 1, 100_000),
    n: parseInteger(flags.n, '--n', 1, 4096),
    seed: checkSeed(parseInteger(flags.seed, '--seed', 0, 0xffffffff)),
    repeats: parseInteger(flags.repeats, '--repeats', 1, 1000),
    reps: parseInteger(flags.reps, '--reps', 1, 100_000),
    gemmSize: parseInteger(flags.gemmSize, '--gemm-size', 1, 16_384),
    matmul,
    synthetic: { shape, batch: parseInteger(flags.syntheticBatch, '--synthetic-batch', 1, 4096) },
    unetFlops,
    threads:
      flags.threads === undefined
        ? undefined
        : parseInteger(flags.threads, '--threads', 1, MAX_THREADS),
    json,
    modelDir,
  };
}

const g = (flops: number | null) => (flops === null ? 'n/a' : `${formatNumber(flops / 1e9)}`);

export function speedReport(r: SpeedResult): string {
  const m = r.machine;
  const lines = [
    `machine: ${m.cpu}, ${m.cores} logical cores, ${m.memoryGiB} GiB, ${m.os}; node ${m.node}, onnxruntime ${m.onnxruntime}, threads ${m.threads ?? 'runtime default'}; load average at start ${m.loadAverage.join(' / ')}`,
    '',
    '(a) sampler overhead: time outside the network ÷ time inside',
    formatTable(
      [
        'target',
        'method',
        'gap monitor',
        'batch',
        'steps',
        'nfe',
        'calls',
        'sample ms',
        'network ms',
        'outside ms',
        'overhead',
        'lib ms/step',
        'monitor ms/step',
        'net ms/call',
      ],
      r.overhead.map((o) => [
        o.target === 'model' ? `model ${o.shape.join('×')}` : `synthetic ${o.shape.join('×')}`,
        o.method,
        o.gapMonitor ? 'yes' : 'no',
        o.batch,
        o.steps,
        o.nfe,
        o.networkCalls,
        o.sampleMs,
        o.networkMs,
        o.outsideMs,
        o.target === 'model' ? o.overhead : NaN,
        o.libraryMsPerStep,
        o.monitorMsPerStep ?? NaN,
        o.networkMsPerCall,
      ]),
    ),
    '(synthetic: a closed-form stand-in denoiser, so "lib ms/step" is the library’s own time per step at that size; "monitor ms/step" is the gap monitor’s part of it)',
    '',
    `(b) UNet throughput vs ${r.gemm.size}³ float32 matmul through onnxruntime (${formatNumber(r.gemm.timing.minMs)} ms best, ${formatNumber(r.gemm.timing.medianMs)} ms median)`,
    formatTable(
      ['what', 'batch', 'median ms', 'best ms', 'GFLOP/s (median)', 'GFLOP/s (best)', 'of peak'],
      [
        [
          'GEMM peak',
          1,
          r.gemm.timing.medianMs,
          r.gemm.timing.minMs,
          g(r.gemm.medianFlops),
          g(r.gemm.peakFlops),
          1,
        ],
        ...r.unet.calls.map((c) => [
          'UNet call',
          c.batch,
          c.timing.medianMs,
          c.timing.minMs,
          g(c.flops),
          g(c.flopsBest),
          c.fractionOfPeak ?? NaN,
        ]),
      ],
    ),
    '("of peak" = UNet GFLOP/s at the median call ÷ the GEMM peak at its best call)',
    r.unet.flopsPerImage === null
      ? `UNet FLOPs unknown (not the embedded architecture: ${r.unet.weightBytes} weight bytes vs ${4 * r.unet.analyticParams} expected); give --unet-flops`
      : `UNet: ${formatNumber(r.unet.flopsPerImage / 1e6)} MFLOP per image (${r.unet.flopsSource})`,
    '',
    `(c) README command: ${r.readme.command}`,
    `    ${formatNumber(r.readme.msPerImage)} ms per image (${r.readme.images} images; median of ${r.readme.totalMs.length} run(s); model load ${r.readme.loadMs === null ? 'n/a' : `${formatNumber(r.readme.loadMs)} ms`}, not included)`,
  ];
  return lines.join('\n');
}

export function benchSpeedCommand(): Command {
  const cmd = new Command('speed')
    .option('--model <dir>', 'model folder (default: the embedded models/mnist-t2i)')
    .option('--prompt <text>', 'prompt of the README command', README_PROMPT)
    .option('--methods <list>', 'methods compared (the README command’s --compare)', 'cfg,diffier')
    .option('--w <w>', 'guidance weight', String(DEFAULT_GUIDANCE_WEIGHT))
    .option('--steps <n>', 'sampling steps', String(DEFAULT_STEPS));
  addCountFlag(cmd, 'images per method', '8')
    .option('--seed <n>', 'seed', '0')
    .option('--repeats <n>', 'runs of the README command and the synthetic latent (medians)', '1')
    .option('--reps <n>', 'timed calls of the UNet and of the matmul probe', '20')
    .option('--gemm-size <n>', 'N of the N×N×N float32 matmul probe', '1024')
    .option('--matmul <file>', 'matmul probe (default: models/bench/matmul.onnx)')
    .option('--synthetic-shape <c,h,w>', 'latent shape of the synthetic run', '4,64,64')
    .option('--synthetic-batch <n>', 'batch of the synthetic run', '2')
    .option(
      '--unet-flops <n>',
      'FLOPs per image of the UNet when it is not the embedded architecture',
    )
    .option('--threads <n>', 'onnxruntime threads per operator (default: the runtime’s)')
    .option('--json <file>', 'write the results as JSON')
    .option('--no-progress', 'no progress on stderr');
  addMethodFlags(cmd);
  return cmd.action(async (flags: BenchSpeedFlags) => {
    const p = await prepareBenchSpeed(flags);
    const warn = (m: string) => process.stderr.write(`warning: ${m}\n`);
    const tLoad = performance.now();
    const model = await loadTextToImageModel(p.modelDir, { threads: p.threads, warn });
    const loadMs = performance.now() - tLoad;
    try {
      const progress = createProgress(flags.progress);
      progress.start(p.methods.length * (p.repeats + 1) + 3, 'bench speed');
      const result = await withInterrupt((signal) =>
        runSpeedBench({
          model,
          prompt: p.prompt,
          methods: p.methods,
          w: p.w,
          steps: p.steps,
          n: p.n,
          seed: p.seed,
          repeats: p.repeats,
          reps: p.reps,
          gemmSize: p.gemmSize,
          matmulPath: p.matmul,
          synthetic: p.synthetic,
          unetFlops: p.unetFlops,
          threads: p.threads,
          loadMs,
          onProgress: (label) => progress.tick(label),
          warn,
          signal,
        }),
      );
      progress.stop();
      process.stdout.write(`${speedReport(result)}\n`);
      const outputs = new BenchOutputs([p.modelDir, p.matmul]);
      outputs.addJson(p.json, () => result);
      for (const path of await outputs.commit()) process.stdout.write(`wrote ${path}\n`);
    } finally {
      await model.release();
    }
  });
}
