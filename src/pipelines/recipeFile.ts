/**
 * Recipes in the files diffier writes: a PNG carries its recipe as JSON in a `diffier` text
 * chunk and as A1111-style `parameters` text; a WAV carries the JSON in its LIST/INFO comment
 * (ICMT) and the version in ISFT. Reading finds the JSON again in either kind of file.
 */
import { readWavTags, isWav, withWavTags } from '../audio/wav.js';
import { RecipeError } from '../core/errors.js';
import { isPng, readTextChunks, withTextChunks } from '../image/pngText.js';
import { readBytes } from '../io/files.js';
import {
  a1111Parameters,
  parseRecipe,
  RECIPE_KEYWORD,
  recipeText,
  type Recipe,
} from '../recipe/recipe.js';

/** A file whose recipe is read is read up to this size (the largest PNG or WAV diffier reads). */
export const MAX_RECIPE_FILE_BYTES = 64 * 1024 * 1024;

/** The WAV INFO ids: the comment holds the recipe's JSON, the software field the version. */
const WAV_RECIPE_TAG = 'ICMT';
const WAV_SOFTWARE_TAG = 'ISFT';

/** The PNG with its recipe in a `diffier` tEXt chunk and A1111's `parameters` beside it. */
export function pngWithRecipe(png: Uint8Array, recipe: Recipe): Uint8Array {
  return withTextChunks(png, [
    { keyword: RECIPE_KEYWORD, text: recipeText(recipe) },
    { keyword: 'parameters', text: a1111Parameters(recipe) },
  ]);
}

/** The LIST/INFO tags that carry a recipe in a WAV file (audio/wav.ts encodeWav). */
export function recipeWavTags(recipe: Recipe): Record<string, string> {
  return { [WAV_RECIPE_TAG]: recipeText(recipe), [WAV_SOFTWARE_TAG]: `diffier ${recipe.diffier}` };
}

/** The recipe's JSON text in a PNG's or WAV's bytes; `where` names the file. */
export function recipeTextOf(bytes: Uint8Array, where: string): string {
  let text: string | undefined;
  if (isPng(bytes)) {
    text = readTextChunks(bytes, where).find((e) => e.keyword === RECIPE_KEYWORD)?.text;
  } else if (isWav(bytes)) {
    const comment = readWavTags(bytes, where)[WAV_RECIPE_TAG];
    text = comment?.startsWith('{') ? comment : undefined;
  } else {
    throw new RecipeError(`${where} is neither a PNG nor a WAV file`);
  }
  if (text === undefined) {
    throw new RecipeError(
      `${where} has no diffier recipe (not written by diffier, or its metadata was stripped)`,
    );
  }
  return text;
}

/** The recipe in a PNG or WAV file written by diffier, checked (recipe/recipe.ts). */
export async function readRecipeFile(path: string): Promise<Recipe> {
  let bytes: Buffer;
  try {
    bytes = await readBytes(path, MAX_RECIPE_FILE_BYTES);
  } catch (err) {
    throw new RecipeError(`cannot read ${path}: ${(err as Error).message}`);
  }
  return parseRecipe(recipeTextOf(bytes, path), path);
}

/** A PNG or WAV file's bytes with the recipe added; other content as it is. */
export function withRecipe(content: string | Uint8Array, recipe: Recipe): string | Uint8Array {
  if (typeof content === 'string') return content;
  if (isPng(content)) return pngWithRecipe(content, recipe);
  if (isWav(content)) return withWavTags(content, recipeWavTags(recipe));
  return content;
}
