import { Option, type Command } from 'commander';
import { InvalidOptionError } from '../core/errors.js';
import { METHODS, resolveMethod, type MethodChoice } from '../methods/registry.js';
import type { OptionValue } from '../methods/types.js';
import { formatRange, legacyOptionFlag, optionFlag } from '../options/schema.js';
import { budgetOf, type Budget } from '../run/budget.js';
import { attribute, methodFlag } from './aliasedFlags.js';
import { parseInteger, parseNameList } from './parse.js';

/**
 * Register a flag for every option of every method (`optionFlag`: `--apg-eta`,
 * `--eps-scaling-factor`); the older spelling that repeated a shared word
 * (`--eps-scaling-scaling-factor`) is still accepted, hidden from the help.
 */
export function addMethodFlags(cmd: Command): Command {
  for (const m of METHODS) {
    for (const o of m.options) {
      const dflt = o.default === undefined ? '' : ` (default ${String(o.default)})`;
      const choices = o.choices ? ` [${o.choices.join('|')}]` : '';
      const range = o.range ? `, in ${formatRange(o.range)}` : '';
      const flag = optionFlag(m.name, o.key);
      cmd.option(`${flag} <value>`, `${m.name}: ${o.description}${choices}${range}${dflt}`);
      const legacy = legacyOptionFlag(m.name, o.key);
      if (legacy !== flag) cmd.addOption(new Option(`${legacy} <value>`).hideHelp());
    }
  }
  return cmd;
}

/** Turn parsed CLI options into method choices for the named methods. */
export function methodChoices(
  names: readonly string[],
  opts: Record<string, unknown>,
): MethodChoice[] {
  return names.map((name) => {
    const spec = METHODS.find((m) => m.name === name);
    const options: Record<string, OptionValue | undefined> = {};
    for (const o of spec?.options ?? []) {
      options[o.key] = (opts[attribute(optionFlag(name, o.key))] ??
        opts[attribute(legacyOptionFlag(name, o.key))]) as string | undefined;
    }
    return { name, options };
  });
}

/**
 * The methods a command names (each once, every option checked) and its budget: --steps or
 * --nfe, not both; when neither is given, `fallback` (a step count for the sampling
 * commands, an NFE budget for the benchmarks).
 */
export function parseMethodsAndBudget(
  names: readonly string[],
  listFlag: string,
  flags: Record<string, unknown> & { steps?: string; nfe?: string },
  fallback: Budget,
): { methods: MethodChoice[] } & Budget {
  const dup = names.find((n, i) => names.indexOf(n) !== i);
  if (dup !== undefined) {
    throw new InvalidOptionError(`${listFlag} names ${dup} twice: "${names.join(',')}"`);
  }
  refuseUnusedMethodFlags(names, flags);
  const methods = methodChoices(names, flags);
  methods.forEach((m) => resolveMethod(m));
  const steps =
    flags.steps === undefined ? undefined : parseInteger(flags.steps, '--steps', 1, 100_000);
  const nfe = flags.nfe === undefined ? undefined : parseInteger(flags.nfe, '--nfe', 1, 1_000_000);
  return { methods, ...budgetOf({ steps, nfe }, fallback, ['--steps', '--nfe']) };
}

/**
 * The methods of `--method` (or of an old spelling of it) and the budget, checked as
 * parseMethodsAndBudget does.
 */
export function parseMethodFlags(
  flags: Record<string, unknown> & { steps?: string; nfe?: string },
  fallback: Budget,
): { methods: MethodChoice[]; names: string[]; flag: string } & Budget {
  const given = methodFlag(flags);
  const names = parseNameList(given.text, given.name);
  return { ...parseMethodsAndBudget(names, given.name, flags, fallback), names, flag: given.name };
}

/** A method's option flag given while that method is not run would be silently ignored. */
function refuseUnusedMethodFlags(names: readonly string[], flags: Record<string, unknown>): void {
  for (const m of METHODS) {
    if (names.includes(m.name)) continue;
    for (const o of m.options) {
      for (const flag of [optionFlag(m.name, o.key), legacyOptionFlag(m.name, o.key)]) {
        if (flags[attribute(flag)] !== undefined) {
          throw new InvalidOptionError(
            `${flag} is an option of ${m.name}, which is not among the methods run (${names.join(',')})`,
          );
        }
      }
    }
  }
}
