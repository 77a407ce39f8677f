import { Command } from 'commander';
import { METHODS, methodSpec } from '../../methods/registry.js';
import { formatRange, optionFlag, type OptionSpec } from '../../options/schema.js';
import { printResult } from '../log.js';
import { wrap } from '../table.js';

/** What an option accepts: its choices or its range and kind. */
function accepts(o: OptionSpec): string {
  if (o.choices) return o.choices.join(' | ');
  const kind = o.kind === 'integer' ? 'integer' : 'number';
  const text = o.range ? formatRange(o.range) : '';
  const range = text === '' ? '' : /^[[(]/.test(text) ? ` in ${text}` : ` ${text}`;
  return `${kind}${range}${o.kind === 'number-or-inf' ? ', or inf' : ''}`;
}

/** One method: its name and summary, then each option's flag, default, accepted values and meaning. */
export function describeMethod(name: string): string {
  const m = methodSpec(name);
  const lines = wrap(`${m.name}: ${m.summary}`);
  if (m.options.length === 0) lines.push('    (no options)');
  for (const o of m.options) {
    const dflt = o.default === undefined ? 'derived' : String(o.default);
    lines.push(`  ${optionFlag(m.name, o.key)} <value>  (default ${dflt}; ${accepts(o)})`);
    lines.push(...wrap(o.description, 94).map((l) => `      ${l}`));
  }
  return lines.join('\n');
}

export function methodsCommand(): Command {
  return new Command('methods')
    .argument('[names...]', 'methods to describe (default: all)')
    .action((names: string[]) => {
      const chosen = names.length > 0 ? names : METHODS.map((m) => m.name);
      printResult(
        `${chosen.map(describeMethod).join('\n\n')}\n\n` +
          'Give a method to --method (several: comma-separated); its options as the flags above.',
      );
    });
}
