/**
 * Recipes from and into a command's flags: a recipe is built from the flags commander parsed
 * (every one, so a flag added to a command is recorded without touching this file), and
 * `--from FILE` puts a recipe's flags back wherever the command line did not give the flag.
 */
import { Option, type Command } from 'commander';
import { resolve, sep } from 'node:path';
import { InvalidOptionError, RecipeError } from '../core/errors.js';
import { folderSha256 } from '../io/fingerprint.js';
import { packageRoot, packageVersion } from '../models/embedded.js';
import { readRecipeFile } from '../pipelines/recipeFile.js';
import { RECIPE_FORMAT, type FlagValue, type Recipe } from '../recipe/recipe.js';

/** Flags that name outputs or only change what is printed: a recipe does not carry them. */
const NOT_IN_RECIPE = new Set([
  'out',
  'json',
  'outDir',
  'sheet',
  'plot',
  'grids',
  'plots',
  'from',
  'progress',
  // Results do not depend on it (generateCli.test.ts asserts it).
  'threads',
]);

/**
 * Flags that stand for one another: when the command line gives one, the recipe's others are
 * not applied (`--from f.png --nfe 60` replaces the recorded --steps, `--method` the recorded
 * --compare).
 */
const ALTERNATIVES: readonly (readonly string[])[] = [
  ['steps', 'nfe'],
  ['method', 'compare'],
];

/** Flags that name input files or folders: recorded as absolute paths. */
const INPUT_PATH_FLAGS = new Set(['model', 'evaluator', 'data', 'initImage', 'mask']);

export function addFromFlag(cmd: Command): Command {
  return cmd.option(
    '--from <file>',
    'repeat the run recorded in a PNG or WAV diffier wrote (flags given here override it)',
  );
}

/** `generate`, or `bench t2i` for a subcommand. */
function commandName(cmd: Command): string {
  return cmd.parent?.parent ? `${cmd.parent.name()} ${cmd.name()}` : cmd.name();
}

/** The recipe of the run `cmd` is about to make, from its parsed flags. */
export async function recipeOf(cmd: Command, argument: string, modelDir: string): Promise<Recipe> {
  const flags: Record<string, FlagValue> = {};
  for (const [key, value] of Object.entries(cmd.opts())) {
    if (value === undefined || NOT_IN_RECIPE.has(key)) continue;
    if (typeof value !== 'string' && typeof value !== 'boolean') continue;
    flags[key] = INPUT_PATH_FLAGS.has(key) && typeof value === 'string' ? resolve(value) : value;
  }
  const sha256 = await folderSha256(modelDir);
  // Inside the package (the embedded models) the folder is named relative to it, so a file
  // made in one checkout is re-made byte for byte in another.
  const root = packageRoot() + sep;
  const dir = modelDir.startsWith(root) ? `diffier:${modelDir.slice(root.length)}` : modelDir;
  return {
    format: RECIPE_FORMAT,
    diffier: packageVersion(),
    command: commandName(cmd),
    argument,
    flags,
    ...(sha256 ? { model: { dir, sha256 } } : {}),
  };
}

/**
 * With --from FILE: read its recipe and set every flag of it that the command line did not
 * give (a flag the command does not have, or an output flag, is an error). Returns the
 * command's argument, the command line's when it has one, the recipe's otherwise, and the
 * recipe (undefined without --from).
 */
export async function applyFrom(
  cmd: Command,
  argument: string | undefined,
): Promise<{ argument: string; from?: Recipe }> {
  const path = cmd.opts().from as string | undefined;
  if (path === undefined) {
    if (argument === undefined) {
      throw new InvalidOptionError(`diffier ${cmd.name()} needs its argument, or --from FILE`);
    }
    return { argument };
  }
  const recipe = await readRecipeFile(resolve(path));
  if (recipe.command !== commandName(cmd)) {
    throw new RecipeError(
      `${path} was made by diffier ${recipe.command}; run diffier ${recipe.command} --from ${path}`,
    );
  }
  const options = new Map(cmd.options.map((o: Option) => [o.attributeName(), o]));
  for (const [key, value] of Object.entries(recipe.flags)) {
    const option = options.get(key);
    if (!option || NOT_IN_RECIPE.has(key)) {
      throw new RecipeError(`${path}: the recipe's flag "${key}" is not a flag of ${cmd.name()}`);
    }
    if (typeof value !== (option.isBoolean() || option.negate ? 'boolean' : 'string')) {
      throw new RecipeError(`${path}: the recipe's flag "${key}" has a value of the wrong kind`);
    }
    const given = (k: string) => cmd.getOptionValueSource(k) === 'cli';
    const replaced = ALTERNATIVES.some((g) => g.includes(key) && g.some(given));
    if (!given(key) && !replaced) cmd.setOptionValueWithSource(key, value, 'config');
  }
  return { argument: argument ?? recipe.argument, from: recipe };
}

/** A warning when the model's files are not those the recipe was made with. */
export function modelChangeWarning(from: Recipe | undefined, now: Recipe): string | undefined {
  if (!from?.model || !now.model || from.model.sha256 === now.model.sha256) return undefined;
  return `the model's files (${now.model.dir}) differ from those that made the --from file: the result will differ`;
}
