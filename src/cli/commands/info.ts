import { Command } from 'commander';
import { resolve } from 'node:path';
import { readRecipeFile } from '../../pipelines/recipeFile.js';
import type { Recipe } from '../../recipe/recipe.js';

/** The recipe as aligned lines: what made the file, then every flag. */
export function recipeLines(file: string, r: Recipe): string {
  const width = Math.max(0, ...Object.keys(r.flags).map((k) => k.length));
  const lines = [
    `${file}: made by diffier ${r.diffier} ${r.command} (recipe format ${r.format})`,
    ...(r.argument ? [`argument: ${r.argument}`] : []),
    // The hash on its own line: with the folder it would pass the table width.
    ...(r.model ? [`model: ${r.model.dir}`, `model sha256: ${r.model.sha256}`] : []),
    ...(r.item ? [`image: ${r.item.method} w=${r.item.w} #${r.item.index}`] : []),
    'flags:',
    ...Object.entries(r.flags).map(([k, v]) => `  ${k.padEnd(width)}  ${String(v)}`),
    `again: diffier ${r.command} --from ${file}`,
  ];
  return lines.join('\n') + '\n';
}

export function infoCommand(): Command {
  return new Command('info')
    .argument('<file>', 'a PNG or WAV file written by diffier')
    .option('--json', 'print the recipe as its JSON')
    .action(async (file: string, flags: { json?: boolean }) => {
      const recipe = await readRecipeFile(resolve(file));
      // --json: indented, one field a line (the recipe chunk itself is one compact line).
      process.stdout.write(
        flags.json ? JSON.stringify(recipe, null, 2) + '\n' : recipeLines(file, recipe),
      );
    });
}
