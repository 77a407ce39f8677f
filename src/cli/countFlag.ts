/**
 * `--n`: how many samples (images, outputs, sentences' samples) a run draws — one spelling
 * in every command, declared here once. bench gmm and sweep called it `--samples`; that
 * spelling stays accepted, hidden from the help.
 */
import { Option, type Command } from 'commander';
import { InvalidOptionError } from '../core/errors.js';

export function addCountFlag(
  cmd: Command,
  meaning: string,
  defaultN: string,
  alias?: `--${string}`,
): Command {
  if (!alias) return cmd.option('--n <n>', meaning, defaultN);
  // No commander default, so that a given alias is told from an unset --n.
  return cmd
    .option('--n <n>', `${meaning} (default: "${defaultN}")`)
    .addOption(new Option(`${alias} <n>`, `the old spelling of --n`).hideHelp());
}

/** The text of --n or of its alias (whichever was given; not both), and the flag's name. */
export function countFlag(
  flags: { readonly n?: unknown; readonly [key: string]: unknown },
  alias: `--${string}`,
  defaultN: string,
): { text: string; name: string } {
  const key = alias.slice(2).replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());
  const viaAlias = flags[key];
  if (flags.n !== undefined && viaAlias !== undefined)
    throw new InvalidOptionError(`give --n or ${alias}, not both`);
  if (viaAlias !== undefined) return { text: String(viaAlias), name: alias };
  return { text: flags.n === undefined ? defaultN : String(flags.n), name: '--n' };
}
