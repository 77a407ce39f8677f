import type { Command } from 'commander';
import { kebab, METHODS, type MethodChoice } from '../methods/registry.js';
import type { OptionValue } from '../methods/types.js';

/** Register `--<method>-<option>` for every option of every method. */
export function addMethodFlags(cmd: Command): Command {
  for (const m of METHODS) {
    for (const o of m.options) {
      const dflt = o.default === undefined ? '' : ` (default ${String(o.default)})`;
      const choices = o.choices ? ` [${o.choices.join('|')}]` : '';
      cmd.option(
        `--${m.name}-${kebab(o.key)} <value>`,
        `${m.name}: ${o.description}${choices}${dflt}`,
      );
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
      options[o.key] = opts[camel(`${name}-${kebab(o.key)}`)] as string | undefined;
    }
    return { name, options };
  });
}

/** Commander's attribute name of a flag: kebab-case → camelCase. */
function camel(flag: string): string {
  return flag.replace(/-([a-z0-9])/g, (_, c: string) => c.toUpperCase());
}
