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
import {
  addAliasedFlag,
  addCountFlag,
  addMethodFlag,
  flagValue,
  methodFlag,
} from '../aliasedFlags.js';
import { BenchOutputs, checkBenchOutputs } from '../benchOutputs.js';
import { addMethodFlags, methodChoices } from '../methodFlags.js';
import { parseInteger, parseNameList, parseNumber } from '../parse.js';
import { MAX_THREADS } from '../threads.js';
import { createProgress } from '../progress.js';
import { withInterrupt } from '../samplingFlags.js';
import { fixed, formatFigure, integer, renderTable, text, wrap } from '../table.js';
import { jsonNote, METHOD } from '../columns.js';
import { listWritten, printResult, warn } from '../log.js';

export interface BenchSpeedFlags {
  model?: string;
  prompt: string;
  w: string;
  steps: string;
  n: string;
  seed: string;
  repeats: string;
  timedCalls: string;
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

/** --timed-calls (or its old spelling --reps). */
function timedCalls(flags: BenchSpeedFlags): number {
  const v = flagValue(flags, '--timed-calls', ['--reps']);
  return parseInteger(v.text ?? '', v.name, 1, 100_000);
}

/** Parse and check everything before any work. */
export async function prepareBenchSpeed(flags: BenchSpeedFlags) {
  checkPrompt(flags.prompt);
  const given = methodFlag(flags);
  const names = parseNameList(given.text, given.name);
  if (new Set(names).size !== names.length)
    throw new InvalidOptionError(`${given.name} names a method twice: "${given.text}"`);
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
    reps: timedCalls(flags),
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

/** FLOP/s as GFLOP/s; null (—) when unknown. */
const giga = (flops: number | null) => (flops === null ? null : flops / 1e9);

const OVERHEAD_COLUMNS = [
  text('target', 18),
  METHOD,
  text('gap\nmonitor', 7),
  integer('batch'),
  integer('steps'),
  fixed('outside\n÷ inside', 3),
  fixed('library ms\nper step', 3),
  fixed('monitor ms\nper step', 3),
  fixed('network ms\nper call', 2),
];

const THROUGHPUT_COLUMNS = [
  text('what', 10),
  integer('batch'),
  fixed('median\nms', 2),
  fixed('best\nms', 2),
  fixed('GFLOP/s\n(median)', 2),
  fixed('GFLOP/s\n(best)', 2),
  fixed('of peak', 3),
];

export function speedReport(r: SpeedResult): string {
  const m = r.machine;
  const overhead = renderTable(
    OVERHEAD_COLUMNS,
    r.overhead.map((o) => [
      `${o.target === 'model' ? 'model' : 'synthetic'} ${o.shape.join('×')}`,
      o.method,
      o.gapMonitor ? 'yes' : 'no',
      o.batch,
      o.steps,
      o.target === 'model' ? o.overhead : null,
      o.libraryMsPerStep,
      o.monitorMsPerStep,
      o.networkMsPerCall,
    ]),
    {
      title: ['(a) sampler overhead: time outside the network ÷ time inside'],
      notes: [
        '(synthetic: a closed-form stand-in denoiser, so "library ms per step" is the library’s own time per step at that size; "monitor ms per step" is the gap monitor’s part of it)',
        jsonNote('NFE, network calls, sample, network and outside milliseconds'),
      ],
    },
  );
  const throughput = renderTable(
    THROUGHPUT_COLUMNS,
    [
      [
        'GEMM peak',
        1,
        r.gemm.timing.medianMs,
        r.gemm.timing.minMs,
        giga(r.gemm.medianFlops),
        giga(r.gemm.peakFlops),
        1,
      ],
      ...r.unet.calls.map((c) => [
        'UNet call',
        c.batch,
        c.timing.medianMs,
        c.timing.minMs,
        giga(c.flops),
        giga(c.flopsBest),
        c.fractionOfPeak,
      ]),
    ],
    {
      title: [
        `(b) UNet throughput vs ${r.gemm.size}³ float32 matmul through onnxruntime (${formatFigure(r.gemm.timing.minMs, 2)} ms best, ${formatFigure(r.gemm.timing.medianMs, 2)} ms median)`,
      ],
      notes: ['("of peak" = UNet GFLOP/s at the median call ÷ the GEMM peak at its best call)'],
    },
  );
  const lines = [
    ...wrap(
      `machine: ${m.cpu}, ${m.cores} logical cores, ${m.memoryGiB} GiB, ${m.os}; node ${m.node}, onnxruntime ${m.onnxruntime}, threads ${m.threads ?? 'runtime default'}; load average at start ${m.loadAverage.join(' / ')}`,
    ),
    '',
    overhead,
    '',
    throughput,
    ...wrap(
      r.unet.flopsPerImage === null
        ? `UNet FLOPs unknown (not the embedded architecture: ${r.unet.weightBytes} weight bytes vs ${4 * r.unet.analyticParams} expected); give --unet-flops`
        : `UNet: ${formatFigure(r.unet.flopsPerImage / 1e6, 1)} MFLOP per image (${r.unet.flopsSource})`,
    ),
    '',
    ...wrap(`(c) README command: ${r.readme.command}`),
    ...wrap(
      `    ${formatFigure(r.readme.msPerImage, 1)} ms per image (${r.readme.images} images; median of ${r.readme.totalMs.length} run(s); model load ${r.readme.loadMs === null ? 'n/a' : `${formatFigure(r.readme.loadMs, 0)} ms`}, not included)`,
    ),
  ];
  return lines.join('\n');
}

export function benchSpeedCommand(): Command {
  const cmd = new Command('speed')
    .option('--model <dir>', 'model folder (default: the embedded models/mnist-t2i)')
    .option('--prompt <text>', 'prompt of the README command', README_PROMPT);
  addMethodFlag(cmd, 'methods compared (the README command’s --method)', 'cfg,diffier')
    .option('--w <w>', 'guidance weight', String(DEFAULT_GUIDANCE_WEIGHT))
    .option('--steps <n>', 'sampling steps', String(DEFAULT_STEPS));
  addCountFlag(cmd, 'images per method', '8')
    .option('--seed <n>', 'seed', '0')
    .option('--repeats <n>', 'runs of the README command and the synthetic latent (medians)', '1');
  addAliasedFlag(
    cmd,
    '--timed-calls',
    'n',
    'timed calls of the UNet and of the matmul probe',
    '20',
    ['--reps'],
  )
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
      printResult(speedReport(result));
      const outputs = new BenchOutputs([p.modelDir, p.matmul]);
      outputs.addJson(p.json, () => result);
      listWritten(await outputs.commit());
    } finally {
      await model.release();
    }
  });
}
