#!/usr/bin/env node
import { Command, CommanderError } from 'commander';
import { DiffierError } from '../errors.js';
import { benchGmmCommand } from './commands/benchGmm.js';
import { benchReportCommand } from './commands/benchReport.js';
import { benchSpeedCommand } from './commands/benchSpeed.js';
import { benchSrCommand } from './commands/benchSr.js';
import { benchT2iCommand } from './commands/benchT2i.js';
import { benchTtsCommand } from './commands/benchTts.js';
import { generateCommand } from './commands/generate.js';
import { speakCommand } from './commands/speak.js';
import { sweepCommand } from './commands/sweep.js';
import { upscaleCommand } from './commands/upscale.js';
import { webCommand } from './commands/web.js';

/** The `diffier` command line: parse, validate, run, report; errors become one line and exit code 2. */
export function buildProgram(): Command {
  const program = new Command('diffier')
    .description(
      'Diffusion sampling with guidance: measure the training–inference gap and reduce it (DiffIER).',
    )
    .showHelpAfterError()
    .exitOverride();
  const bench = program.command('bench').description('benchmarks');
  bench.addCommand(benchGmmCommand());
  bench.addCommand(benchReportCommand());
  bench.addCommand(benchT2iCommand());
  bench.addCommand(benchSrCommand());
  bench.addCommand(benchTtsCommand());
  bench.addCommand(benchSpeedCommand());
  program.addCommand(sweepCommand());
  program.addCommand(generateCommand());
  program.addCommand(upscaleCommand());
  program.addCommand(speakCommand());
  program.addCommand(webCommand());
  return program;
}

async function main(argv: string[]): Promise<number> {
  try {
    await buildProgram().parseAsync(argv);
    return 0;
  } catch (err) {
    if (err instanceof CommanderError) return err.exitCode === 0 ? 0 : 2;
    if (err instanceof DiffierError) {
      process.stderr.write(`diffier: error [${err.code}]: ${err.message}\n`);
      return 2;
    }
    throw err;
  }
}

process.exitCode = await main(process.argv);
