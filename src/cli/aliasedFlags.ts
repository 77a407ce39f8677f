/**
 * One spelling per concept in every command, declared here once: `--n` is how many samples
 * (images, outputs, samples per sentence) a run draws; `--method` names the method, or
 * several, comma-separated (one grid row, WAV or table row each). The spellings some
 * commands used before (`--samples`, `--batch`; `--compare`, `--methods`) stay accepted,
 * hidden from the help; giving two spellings of one flag is refused (by commander).
 */
import { Option, type Command } from 'commander';

type Flag = `--${string}`;

/** The old spellings of --method, accepted everywhere. */
export const METHOD_ALIASES: readonly Flag[] = ['--compare', '--methods'];

/**
 * Declare `flag <arg>` with its hidden old spellings; commander refuses any two of them
 * given together (a default is not "given").
 */
export function addAliasedFlag(
  cmd: Command,
  flag: Flag,
  arg: string,
  meaning: string,
  defaultValue: string | undefined,
  aliases: readonly Flag[],
): Command {
  cmd.option(`${flag} <${arg}>`, meaning, defaultValue);
  for (const a of aliases) {
    const others = [flag, ...aliases].filter((f) => f !== a).map(attribute);
    cmd.addOption(
      new Option(`${a} <${arg}>`, `old spelling of ${flag}`).hideHelp().conflicts(others),
    );
  }
  return cmd;
}

/** The text of `flag`, or of the old spelling given instead, and the spelling it came from. */
export function flagValue(
  flags: { readonly [key: string]: unknown },
  flag: Flag,
  aliases: readonly Flag[],
): { text: string | undefined; name: string } {
  const alias = aliases.find((a) => flags[attribute(a)] !== undefined);
  const name = alias ?? flag;
  const value = flags[attribute(name)];
  return { text: value === undefined ? undefined : String(value), name };
}

export function addCountFlag(
  cmd: Command,
  meaning: string,
  defaultN: string,
  aliases: readonly Flag[] = [],
): Command {
  return addAliasedFlag(cmd, '--n', 'n', meaning, defaultN, aliases);
}

/** The text of --n (or of an old spelling of it) and the spelling given. */
export function countFlag(
  flags: { readonly [key: string]: unknown },
  aliases: readonly Flag[] = [],
): { text: string; name: string } {
  const v = flagValue(flags, '--n', aliases);
  return { text: v.text ?? '', name: v.name };
}

/** `--method <names>`: one method or several, comma-separated, with its old spellings. */
export function addMethodFlag(cmd: Command, meaning: string, defaultMethods: string): Command {
  return addAliasedFlag(cmd, '--method', 'names', meaning, defaultMethods, METHOD_ALIASES);
}

/** The method names given to --method (or an old spelling) and the spelling given. */
export function methodFlag(flags: { readonly [key: string]: unknown }): {
  text: string;
  name: string;
} {
  const v = flagValue(flags, '--method', METHOD_ALIASES);
  return { text: v.text ?? '', name: v.name };
}

/** Commander's attribute name of a flag: `--samples-out` → `samplesOut`. */
export function attribute(flag: string): string {
  return flag.replace(/^--/, '').replace(/-([a-z0-9])/g, (_, c: string) => c.toUpperCase());
}
