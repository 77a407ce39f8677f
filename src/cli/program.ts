import { Command, CommanderError } from 'commander';
import { DiffierError } from '../core/errors.js';

/**
 * Every command, declared here with its description; its module (which imports the
 * pipelines, onnxruntime and the plotting libraries) is loaded only when the command runs
 * or its help is asked for, so `diffier --help` starts without them.
 */
interface CommandEntry {
  /** ['generate'], or ['bench', 'gmm'] for a bench subcommand. */
  readonly path: readonly [string] | readonly ['bench', string];
  readonly description: string;
  load(): Promise<Command>;
}

const COMMANDS: readonly CommandEntry[] = [
  {
    path: ['bench', 'gmm'],
    description:
      'ground-truth guidance benchmark on a Gaussian-mixture problem (docs/benchmark.md)',
    load: async () => (await import('./commands/benchGmm.js')).benchGmmCommand(),
  },
  {
    path: ['bench', 'report'],
    description:
      'summarise bench gmm JSON results (seeds, budgets, problems) into markdown tables, goal checks and Pareto plots',
    load: async () => (await import('./commands/benchReport.js')).benchReportCommand(),
  },
  {
    path: ['bench', 't2i'],
    description:
      'text-to-image guidance benchmark: methods × w at matched NFE on an MNIST model (default: the embedded one), scored by the shipped evaluation network against held-out real digits',
    load: async () => (await import('./commands/benchT2i.js')).benchT2iCommand(),
  },
  {
    path: ['bench', 'sr'],
    description:
      'super-resolution guidance benchmark: methods × w at matched NFE on held-out MNIST digits reduced 4× (default model: the embedded models/mnist-sr)',
    load: async () => (await import('./commands/benchSr.js')).benchSrCommand(),
  },
  {
    path: ['bench', 'tts'],
    description:
      'text-to-speech guidance benchmark: methods × w at matched NFE on held-out sentences with espeak-ng timings → MCD, spectral convergence, gap',
    load: async () => (await import('./commands/benchTts.js')).benchTtsCommand(),
  },
  {
    path: ['bench', 'speed'],
    description:
      'speed and cost: sampler overhead (model and synthetic large latent), UNet FLOP/s vs the measured matmul peak, time per image of the README command',
    load: async () => (await import('./commands/benchSpeed.js')).benchSpeedCommand(),
  },
  {
    path: ['sweep'],
    description:
      'one method over a list of w: accumulated errors, per-step curves, quality, rank correlations, a recommended w',
    load: async () => (await import('./commands/sweep.js')).sweepCommand(),
  },
  {
    path: ['generate'],
    description:
      'text to image, image to image and inpainting on an ONNX model folder (default: the embedded MNIST model); writes a PNG grid and a JSON sidecar',
    load: async () => (await import('./commands/generate.js')).generateCommand(),
  },
  {
    path: ['upscale'],
    description:
      'super-resolution of a PNG on an upscaler folder (default: the embedded 4× MNIST model, 7×7 → 28×28); writes a side-by-side PNG and a JSON sidecar',
    load: async () => (await import('./commands/upscale.js')).upscaleCommand(),
  },
  {
    path: ['speak'],
    description:
      'text to speech with guidance on the embedded espeak-ng-trained model (needs the espeak-ng program); writes a WAV and a JSON sidecar',
    load: async () => (await import('./commands/speak.js')).speakCommand(),
  },
  {
    path: ['web'],
    description:
      'serve the web page: text to image and the mixture benchmark, run in the browser (onnxruntime-web)',
    load: async () => (await import('./commands/web.js')).webCommand(),
  },
];

/** The command words of `args` (the arguments after the script): what is to be run. */
function commandWords(args: readonly string[]): string[] {
  const words = args.filter((a) => !a.startsWith('-'));
  return words[0] === 'help' ? words.slice(1) : words;
}

/**
 * The `diffier` command line for `args`: every command is listed, and the one `args` names
 * is loaded in full (the others stay descriptions until they are run).
 */
export async function buildProgram(args: readonly string[]): Promise<Command> {
  const program = new Command('diffier')
    .description(
      'Diffusion sampling with guidance: measure the training–inference gap and reduce it (DiffIER).',
    )
    .showHelpAfterError();
  const bench = program.command('bench').description('benchmarks');
  const [first, second] = commandWords(args);
  for (const entry of COMMANDS) {
    const [head, sub] = entry.path;
    const parent = sub === undefined ? program : bench;
    const name = sub ?? head;
    const chosen = sub === undefined ? first === head : first === 'bench' && second === sub;
    const cmd = chosen ? await entry.load() : new Command(name);
    parent.addCommand(cmd.description(entry.description));
  }
  return program;
}

/**
 * Run the command line on `args` (the arguments after the script) and return the exit code:
 * 0, or 2 for a usage error (of any command) or a typed DiffierError, whose one line goes
 * to `writeErr`. The
 * tests call this in-process with the same validation as the `diffier` binary.
 */
export async function runCli(
  args: readonly string[],
  writeErr: (text: string) => void = (text) => process.stderr.write(text),
): Promise<number> {
  try {
    const program = await buildProgram(args);
    // Every command reports through `writeErr` and throws instead of exiting the process.
    const configure = (cmd: Command): void => {
      cmd.configureOutput({ writeErr }).exitOverride();
      cmd.commands.forEach(configure);
    };
    configure(program);
    await program.parseAsync([...args], { from: 'user' });
    return 0;
  } catch (err) {
    if (err instanceof CommanderError) return err.exitCode === 0 ? 0 : 2;
    if (err instanceof DiffierError) {
      writeErr(`diffier: error [${err.code}]: ${err.message}\n`);
      return 2;
    }
    throw err;
  }
}
