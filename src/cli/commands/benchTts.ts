import { Command } from 'commander';
import { join, resolve } from 'node:path';
import {
  heldOutFile,
  loadHeldOut,
  runTtsBench,
  TTS_TABLE_HEADER,
  ttsTableRows,
  type TtsBenchResult,
} from '../../bench/ttsBench.js';
import { encodeWav } from '../../audio/wav.js';
import { embeddedTtsModelDir } from '../../models/embedded.js';
import { loadTextToSpeechModel } from '../../models/ttsModel.js';
import { renderSvg } from '../../plot/render.js';
import { spectrogramChart } from '../../plot/spectrogram.js';
import { createSampler, SAMPLER_NAMES } from '../../samplers/index.js';
import { checkSeed } from '../../core/random.js';
import { BenchOutputs, checkBenchOutputs } from '../benchOutputs.js';
import { addCountFlag } from '../countFlag.js';
import { addMethodFlags, parseMethodsAndBudget } from '../methodFlags.js';
import { parseInteger, parseNameList, parseNumberList } from '../parse.js';
import { MAX_THREADS } from '../threads.js';
import { createProgress } from '../progress.js';
import { withInterrupt } from '../samplingFlags.js';
import { formatTable } from '../table.js';

export interface BenchTtsFlags {
  model?: string;
  data?: string;
  methods: string;
  w: string;
  nfe?: string;
  steps?: string;
  n: string;
  sentences?: string;
  seed: string;
  sampler: string;
  threads?: string;
  vocoderIterations: string;
  json?: string;
  out?: string;
  progress: boolean;
  [flag: string]: unknown;
}

export const DEFAULT_TTS_NFE = 40;

/** Parse and check everything, outputs included, before any work. */
export async function prepareBenchTts(flags: BenchTtsFlags) {
  const { methods, steps, nfe } = parseMethodsAndBudget(
    parseNameList(flags.methods, '--methods'),
    '--methods',
    flags,
    { nfe: DEFAULT_TTS_NFE },
  );
  createSampler(flags.sampler);
  const json = flags.json === undefined ? undefined : resolve(flags.json);
  const out = flags.out === undefined ? undefined : resolve(flags.out);
  const data = resolve(flags.data ?? heldOutFile());
  const modelDir = resolve(flags.model ?? embeddedTtsModelDir());
  await checkBenchOutputs({ files: [json], dirs: [out] }, [data, modelDir]);
  return {
    methods,
    ws: parseNumberList(flags.w, '--w'),
    steps,
    nfe,
    n: parseInteger(flags.n, '--n', 1, 64),
    sentences:
      flags.sentences === undefined
        ? undefined
        : parseInteger(flags.sentences, '--sentences', 1, 10_000),
    seed: checkSeed(parseInteger(flags.seed, '--seed', 0, 0xffffffff)),
    sampler: flags.sampler,
    threads:
      flags.threads === undefined
        ? undefined
        : parseInteger(flags.threads, '--threads', 1, MAX_THREADS),
    vocoderIterations: parseInteger(flags.vocoderIterations, '--vocoder-iterations', 1, 1000),
    json,
    out,
    data,
    modelDir,
  };
}

export function benchTtsTable(result: TtsBenchResult, modelDir: string): string {
  const s = result.settings;
  const budget = s.nfe !== null ? `NFE ≤ ${String(s.nfe)}` : `${String(s.steps)} steps`;
  return (
    `text-to-speech on ${modelDir}: ${result.sentences.length} held-out sentences × ${String(s.n)} samples, ${budget}, seed ${String(s.seed)}, ${String(s.sampler)}, espeak-ng timings\n` +
    `MCD = mel cepstral distortion (dB, c1–c13) and SC = spectral convergence (sample 0, Griffin–Lim) against espeak-ng's rendering; gaps = monitor sums, mean over sentences\n` +
    formatTable(TTS_TABLE_HEADER, ttsTableRows(result))
  );
}

/** Per method: one SVG (rows: espeak-ng, prior μ, then each w) and one WAV per w. */
async function addExamples(
  outputs: BenchOutputs,
  result: TtsBenchResult,
  dir: string,
  frameSeconds: number,
) {
  const methods = [...new Set(result.runs.map((r) => r.method))];
  for (const m of methods) {
    const runs = result.runs.filter((r) => r.method === m);
    const spec = spectrogramChart(
      [
        { title: 'espeak-ng (reference)', logMel: result.reference.logMel },
        { title: 'prior μ', logMel: result.reference.prior },
        ...runs.map((r) => ({ title: `${m} w ${r.w}`, logMel: r.example.logMel })),
      ],
      { title: `${m}: "${result.sentences[0]}" (NFE ≤ ${runs[0].nfe})`, frameSeconds },
    );
    outputs.add(join(dir, `mel-${m}.svg`), await renderSvg(spec));
    for (const r of runs) {
      outputs.add(join(dir, `${m}-w${r.w}.wav`), encodeWav(r.example.audio, 22050));
    }
  }
  outputs.add(join(dir, 'espeak-ng.wav'), encodeWav(result.reference.audio, 22050));
}

export function benchTtsCommand(): Command {
  const cmd = new Command('tts')
    .option('--model <dir>', 'TTS model folder (default: the embedded models/tts-espeak)')
    .option('--data <file>', 'held-out set (default: bench/tts/heldout.json)')
    .option('--methods <list>', 'comma-separated methods', 'cfg,apg,pcg,diffier')
    .option('--w <list>', 'comma-separated guidance weights', '1,2,3,5')
    .option(
      '--nfe <n>',
      `evaluation budget per sentence; each method gets the most steps that fit (default ${DEFAULT_TTS_NFE} unless --steps)`,
    )
    .option('--steps <n>', 'sampling steps for every method (instead of --nfe)');
  addCountFlag(
    cmd,
    'samples per sentence (the training gap is per sample; the KSD gaps need ≥ 2)',
    '1',
  )
    .option('--sentences <n>', 'use the first n held-out sentences (default: all)')
    .option('--seed <n>', 'seed (sentence j’s noise is keyed by the seed and j)', '0')
    .option('--sampler <name>', `sampler: ${SAMPLER_NAMES.join(', ')}`, 'ddim')
    .option('--threads <n>', 'onnxruntime threads per operator (default: the runtime’s)')
    .option('--vocoder-iterations <n>', 'Griffin–Lim iterations', '32')
    .option('--json <file>', 'write every run as JSON')
    .option('--out <dir>', 'write a mel SVG per method and WAVs of the first sentence')
    .option('--no-progress', 'no progress on stderr');
  addMethodFlags(cmd);
  return cmd.action(async (flags: BenchTtsFlags) => {
    const p = await prepareBenchTts(flags);
    const t0 = performance.now();
    const warn = (m: string) => process.stderr.write(`warning: ${m}\n`);
    const model = await loadTextToSpeechModel(p.modelDir, { threads: p.threads, warn });
    try {
      const sentences = await loadHeldOut(model, p.data, p.sentences);
      const progress = createProgress(flags.progress);
      progress.start(p.methods.length * p.ws.length * sentences.length, 'bench tts');
      const result = await withInterrupt((signal) =>
        runTtsBench({
          model,
          sentences,
          methods: p.methods,
          ws: p.ws,
          nfe: p.nfe,
          steps: p.steps,
          n: p.n,
          seed: p.seed,
          sampler: p.sampler,
          vocoderIterations: p.vocoderIterations,
          signal,
          onSentence: (label) => progress.tick(label),
        }),
      );
      progress.stop();
      process.stdout.write(
        `${benchTtsTable(result, model.dir)}\n(${((performance.now() - t0) / 1000).toFixed(1)} s)\n`,
      );
      const outputs = new BenchOutputs([p.data, p.modelDir]);
      outputs.addJson(p.json, () => ({
        ...result,
        model: model.dir,
        reference: undefined,
        runs: result.runs.map(({ example: _e, ...r }) => r),
      }));
      if (p.out) {
        await addExamples(outputs, result, p.out, model.norm.mel.hop / model.norm.mel.sampleRate);
      }
      await outputs.commit();
    } finally {
      await model.release();
    }
  });
}
