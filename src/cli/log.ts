/**
 * What a command prints, in one place, by verbosity: `--quiet` leaves only errors and the
 * final list of files written; the default adds the result (tables, summaries), the
 * warnings and a progress bar on a terminal; `--verbose` adds per-step details and
 * timings. Results go to stdout, everything else to stderr. The commands call these
 * instead of writing to the streams themselves.
 */
import { Option, type Command } from 'commander';
import { commitOutputs, type OutputFile } from '../io/atomicWrite.js';

export type Verbosity = 'quiet' | 'normal' | 'verbose';

let level: Verbosity = 'normal';

export function verbosity(): Verbosity {
  return level;
}

/** --quiet and --verbose, declared on every command. */
export function addVerbosityFlags(cmd: Command): Command {
  return cmd
    .addOption(
      new Option('--quiet', 'print only errors and the files written').conflicts('verbose'),
    )
    .addOption(new Option('--verbose', 'print per-step details, timings and warnings'));
}

/** Set from the command's flags before it runs (each run of the command line starts afresh). */
export function setVerbosity(flags: { quiet?: boolean; verbose?: boolean }): void {
  level = flags.quiet ? 'quiet' : flags.verbose ? 'verbose' : 'normal';
}

/** A result (table, summary): stdout, unless --quiet. */
export function printResult(text: string): void {
  if (level !== 'quiet') process.stdout.write(text.endsWith('\n') ? text : `${text}\n`);
}

/** A warning from the library or the command: stderr, unless --quiet. */
export function warn(message: string): void {
  if (level !== 'quiet') process.stderr.write(`warning: ${message}\n`);
}

/** Each distinct warning once (a benchmark repeats the same prompt's warning every run). */
export function warnOnce(): (message: string) => void {
  const seen = new Set<string>();
  return (message) => {
    if (!seen.has(message)) warn(message);
    seen.add(message);
  };
}

/** A detail only --verbose shows (per-step progress, timings): stderr. */
export function detail(message: string): void {
  if (level === 'verbose') process.stderr.write(`${message}\n`);
}

/** The list every command ends with, --quiet included: each file written, one a line. */
export function listWritten(paths: readonly string[]): void {
  process.stdout.write(
    paths.length === 0
      ? 'wrote no files\n'
      : `wrote ${paths.length} file${paths.length === 1 ? '' : 's'}:\n${paths.map((p) => `  ${p}\n`).join('')}`,
  );
}

/** Write all of a run's outputs together (commitOutputs), then list them. */
export async function writeOutputs(files: readonly OutputFile[]): Promise<void> {
  listWritten(await commitOutputs(files));
}
