import { Command } from 'commander';
import { basename, dirname, extname, join, resolve } from 'node:path';
import { encodeWav } from '../../audio/wav.js';
import { InvalidOptionError } from '../../core/errors.js';
import { checkOutputs, jsonText, outputPath, type OutputFile } from '../../io/atomicWrite.js';
import { DEFAULT_GUIDANCE_WEIGHT } from '../../guidance/index.js';
import { METHOD_NAMES } from '../../methods/registry.js';
import { embeddedTtsModelDir } from '../../models/embedded.js';
import { loadTextToSpeechModel, type TextToSpeechModel } from '../../models/ttsModel.js';
import {
  DEFAULT_TTS_STEPS,
  prepareText,
  textToSpeech,
  type TextToSpeechResult,
} from '../../pipelines/textToSpeech.js';
import { renderSvg } from '../../plot/render.js';
import { spectrogramChart } from '../../plot/spectrogram.js';
import { schedulerConfigJson } from '../../schedules/config.js';
import { createSampler, SAMPLER_NAMES } from '../../samplers/index.js';
import { checkSeed } from '../../core/random.js';
import type { Phonemized } from '../../tts/frontend.js';
import { checkText } from '../../tts/text.js';
import { addCountFlag, addMethodFlag, countFlag } from '../aliasedFlags.js';
import { DRIFT, METHOD, NFE, SECONDS, STEPS, TRAINING_GAP, W } from '../columns.js';
import { printResult, warn, writeOutputs } from '../log.js';
import { addMethodFlags, parseMethodFlags } from '../methodFlags.js';
import { parseInteger, parseNumber } from '../parse.js';
import { recipeWavTags } from '../../pipelines/recipeFile.js';
import { addFromFlag, applyFrom, modelChangeWarning, recipeOf } from '../recipeFlags.js';
import { MAX_THREADS } from '../threads.js';
import { runEachMethod } from '../samplingFlags.js';
import { fixed, integer, renderTable } from '../table.js';

export interface SpeakFlags {
  model?: string;
  w: string;
  steps?: string;
  nfe?: string;
  seed: string;
  sampler: string;
  out: string;
  json?: string;
  plot?: string;
  from?: string;
  threads?: string;
  vocoderIterations: string;
  n: string;
  progress: boolean;
  [flag: string]: unknown;
}

/** speech.wav + method → speech-method.wav (one file per method of --compare). */
export function methodWavPath(out: string, method: string): string {
  const ext = extname(out);
  return join(dirname(out), `${basename(out, ext)}-${method}${ext || '.wav'}`);
}

/** speech.wav → speech.<ext>. */
function besides(out: string, ext: string): string {
  const e = extname(out);
  return join(dirname(out), `${basename(out, e)}${ext}`);
}

/** Parse and check everything, output paths included, before the model is loaded. */
export async function prepareSpeak(text: string, flags: SpeakFlags) {
  checkText(text);
  const { methods, names, steps, nfe } = parseMethodFlags(flags, { steps: DEFAULT_TTS_STEPS });
  createSampler(flags.sampler);
  const out = outputPath(flags.out, '--out');
  const wavs = names.length > 1 ? names.map((n) => methodWavPath(out, n)) : [out];
  const json = outputPath(flags.json ?? besides(out, '.json'), '--json');
  const plot =
    flags.plot !== undefined
      ? outputPath(flags.plot, '--plot')
      : names.length > 1
        ? besides(out, '.svg')
        : undefined;
  const all = [...wavs, json, ...(plot ? [plot] : [])];
  if (new Set(all).size !== all.length) {
    throw new InvalidOptionError(`--out, --json and --plot must name different files`);
  }
  const modelDir = resolve(flags.model ?? embeddedTtsModelDir());
  const from = flags.from === undefined ? [] : [resolve(flags.from)];
  await checkOutputs(all, [modelDir, ...from]);
  const count = countFlag(flags, ['--batch']);
  return {
    text,
    methods,
    w: parseNumber(flags.w, '--w'),
    steps,
    nfe,
    seed: checkSeed(parseInteger(flags.seed, '--seed', 0, 0xffffffff)),
    sampler: flags.sampler,
    threads:
      flags.threads === undefined
        ? undefined
        : parseInteger(flags.threads, '--threads', 1, MAX_THREADS),
    vocoderIterations: parseInteger(flags.vocoderIterations, '--vocoder-iterations', 1, 1000),
    n: parseInteger(count.text, count.name, 1, 256),
    wavs,
    json,
    plot,
    modelDir,
  };
}

type SpeakSetup = Awaited<ReturnType<typeof prepareSpeak>>;

/** The JSON sidecar of a speak run: text, phonemes, model, settings, every run per sentence. */
function sidecar(
  p: SpeakSetup,
  model: TextToSpeechModel,
  phonemized: readonly Phonemized[],
  runs: readonly TextToSpeechResult[],
) {
  return {
    text: p.text,
    sentences: phonemized.map((s) => ({ text: s.sentence, phonemes: s.tokens.join(' ') })),
    model: {
      dir: model.dir,
      scheduler: schedulerConfigJson(model.schedule),
      mel: model.norm.mel,
    },
    settings: {
      w: p.w,
      steps: p.steps ?? null,
      nfe: p.nfe ?? null,
      seed: p.seed,
      sampler: p.sampler,
      vocoderIterations: p.vocoderIterations,
    },
    runs: runs.map((r, i) => ({
      wav: p.wavs[i],
      method: r.sentences[0].method,
      options: r.sentences[0].options,
      seconds: r.audio.length / r.sampleRate,
      samplesPerSentence: r.sentences[0].n,
      nfe: r.nfe,
      gap: r.gap,
      sentences: r.sentences.map((s) => ({
        text: s.sentence,
        frames: s.frames,
        steps: s.steps,
        n: s.n,
        nfe: s.nfe,
        networkCalls: s.networkCalls,
        gap: s.gap,
        gapSteps: s.gapSteps,
      })),
      timings: r.timings,
    })),
    plot: p.plot ?? null,
  };
}

const SPEAK_COLUMNS = [
  METHOD,
  W,
  integer('n'),
  STEPS,
  NFE,
  TRAINING_GAP,
  DRIFT,
  fixed('audio\nseconds', 2),
  SECONDS,
];

/** The summary table printed after a speak run, one row per method. */
function runTable(p: SpeakSetup, runs: readonly TextToSpeechResult[]): string {
  const rows = runs.map((r) => [
    r.sentences[0].method,
    p.w,
    r.sentences[0].n,
    r.sentences[0].steps,
    r.nfe,
    r.gap.training,
    r.gap.driftGap,
    r.audio.length / r.sampleRate,
    r.timings.totalMs / 1000,
  ]);
  return renderTable(SPEAK_COLUMNS, rows, {
    notes: [
      'steps are those of the first sentence; NFE and the gaps add up every sentence (per sentence: in the JSON, --json)',
    ],
  });
}

// Long because it declares every flag of the command; the checks are in prepareSpeak, the outputs in sidecar and runTable.
export function speakCommand(): Command {
  const cmd = new Command('speak')
    .argument(
      '[text]',
      'English text; several sentences are spoken one after another (with --from: the recorded one)',
    )
    .option('--model <dir>', 'TTS model folder (default: the embedded models/tts-espeak)');
  addMethodFlag(
    cmd,
    `sampling method, or several comma-separated (one WAV each, OUT-<method>.wav): ${METHOD_NAMES.join(', ')}`,
    'diffier',
  )
    .option('--w <w>', 'guidance weight on the text (1 = none)', String(DEFAULT_GUIDANCE_WEIGHT))
    .option('--steps <n>', `sampling steps (default ${DEFAULT_TTS_STEPS} when --nfe is not given)`)
    .option(
      '--nfe <n>',
      'network evaluations per sentence: each method gets the most steps that fit',
    )
    .option('--seed <n>', 'seed (same seed, same WAV bytes)', '0')
    .option('--sampler <name>', `sampler: ${SAMPLER_NAMES.join(', ')}`, 'ddim')
    .option('--out <file>', 'WAV file (16-bit mono)', 'speech.wav')
    .option('--json <file>', 'JSON sidecar (default: OUT with .json)')
    .option(
      '--plot <file>',
      'mel spectrogram SVG of the first sentence (default with several methods: OUT with .svg)',
    )
    .option('--threads <n>', 'onnxruntime threads per operator (default: the runtime’s)')
    .option('--vocoder-iterations <n>', 'Griffin–Lim iterations', '32');
  addCountFlag(
    cmd,
    'samples drawn per sentence (each from its own noise stream); the first is spoken',
    '1',
    ['--batch'],
  ).option('--no-progress', 'no progress on stderr');
  addFromFlag(addMethodFlags(cmd));
  return cmd.action(async (textArg: string | undefined, _flags: unknown, self: Command) => {
    const { argument: text, from } = await applyFrom(self, textArg);
    const flags = self.opts<SpeakFlags>();
    const p = await prepareSpeak(text, flags);
    const recipe = await recipeOf(self, text, p.modelDir);
    const changed = modelChangeWarning(from, recipe);
    if (changed) warn(changed);
    const model = await loadTextToSpeechModel(p.modelDir, { threads: p.threads, warn });
    try {
      const phonemized = await prepareText(model, text);
      const base = { text, w: p.w, steps: p.steps, nfe: p.nfe, seed: p.seed, sampler: p.sampler };
      const runs: TextToSpeechResult[] = await runEachMethod(
        model.schedule,
        base,
        p.methods,
        flags.progress,
        `speak ${phonemized.length} sentence(s)`,
        ({ method, steps, signal, tick }) => {
          let sentence = 0;
          return textToSpeech(model, {
            ...base,
            method,
            steps,
            nfe: undefined,
            n: p.n,
            phonemized,
            vocoderIterations: p.vocoderIterations,
            signal,
            onSentence: (k) => (sentence = k),
            onStep: (s) =>
              tick(`${method.name} sentence ${sentence + 1} step ${s.i + 1}/${s.numSteps}`),
          });
        },
        phonemized.length,
      );
      const files: OutputFile[] = runs.map((r, i) => ({
        path: p.wavs[i],
        content: encodeWav(
          r.audio,
          r.sampleRate,
          recipeWavTags({ ...recipe, item: { method: p.methods[i].name, w: p.w, index: 0 } }),
        ),
      }));
      if (p.plot) {
        const mel = model.norm.mel;
        const spec = spectrogramChart(
          runs.map((r) => ({
            title: `${r.sentences[0].method} (w ${p.w})`,
            logMel: r.sentences[0].logMel,
          })),
          { title: `"${phonemized[0].sentence}"`, frameSeconds: mel.hop / mel.sampleRate },
        );
        files.push({ path: p.plot, content: await renderSvg(spec) });
      }
      files.push({ path: p.json, content: jsonText(sidecar(p, model, phonemized, runs)) });
      printResult(runTable(p, runs));
      await writeOutputs(files);
    } finally {
      await model.release();
    }
  });
}
