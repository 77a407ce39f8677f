/**
 * A run's recipe: what diffier writes into every PNG (a tEXt chunk) and WAV (LIST/INFO) it
 * makes, so the file alone says how it was made and `--from FILE` can make it again. It is
 * the command, its argument (prompt or text) and its flags as they were parsed — every flag
 * but those that only name outputs or change what is printed — plus the model's fingerprint
 * and the version of diffier. Keys are sorted and non-ASCII characters escaped, so the same
 * run gives the same bytes.
 */
import { RecipeError } from '../core/errors.js';

/** The format written; a file with a higher one was made by a newer diffier. */
export const RECIPE_FORMAT = 1;
/** The PNG text keyword (and the name inside the WAV comment) of the recipe. */
export const RECIPE_KEYWORD = 'diffier';
/** A recipe's JSON is read up to this size. */
export const MAX_RECIPE_BYTES = 64 * 1024;
/** A recipe with more flags than this is refused (diffier's commands have about 60). */
export const MAX_RECIPE_FLAGS = 256;

export type FlagValue = string | boolean;

export interface Recipe {
  readonly format: number;
  /** The diffier version that wrote it. */
  readonly diffier: string;
  /** `generate`, `upscale` or `speak`. */
  readonly command: string;
  /** The command's argument: the prompt, the text, the input image's path. */
  readonly argument: string;
  /** The command's flags by their parsed names (`w`, `apgEta`), as given or defaulted. */
  readonly flags: Readonly<Record<string, FlagValue>>;
  /** The model folder and the SHA-256 of its files (io/fingerprint.ts). */
  readonly model?: { readonly dir: string; readonly sha256: string };
  /** In a per-image file: which image of the run it is. */
  readonly item?: { readonly method: string; readonly w: number; readonly index: number };
}

const KEYS = new Set(['format', 'diffier', 'command', 'argument', 'flags', 'model', 'item']);

/** JSON with sorted keys and only ASCII characters (tEXt is Latin-1; escapes keep UTF-8 text exact). */
export function recipeText(recipe: Recipe): string {
  const sorted = (v: unknown): unknown =>
    v && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(
          Object.keys(v)
            .sort()
            .map((k) => [k, sorted((v as Record<string, unknown>)[k])]),
        )
      : v;
  return JSON.stringify(sorted(recipe)).replace(
    /[\u007f-\uffff]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
}

function fail(where: string, what: string): never {
  throw new RecipeError(`${where}: ${what}`);
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Parse and check a recipe's JSON; `where` names the file in every message. */
export function parseRecipe(text: string, where: string): Recipe {
  if (text.length > MAX_RECIPE_BYTES) {
    fail(where, `the recipe has ${text.length} characters; at most ${MAX_RECIPE_BYTES} are read`);
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    fail(where, 'the recipe is not valid JSON');
  }
  if (!isObject(raw)) fail(where, 'the recipe is not a JSON object');
  const unknown = Object.keys(raw).filter((k) => !KEYS.has(k));
  if (unknown.length > 0) fail(where, `the recipe has unknown keys: ${unknown.join(', ')}`);
  const { format, diffier, command, argument, flags, model, item } = raw;
  if (!Number.isInteger(format) || (format as number) < 1) {
    fail(where, 'the recipe has no valid "format"');
  }
  if ((format as number) > RECIPE_FORMAT) {
    fail(
      where,
      `the recipe is format ${String(format)}, written by diffier ${String(diffier)}; this version reads format ${RECIPE_FORMAT}: upgrade diffier`,
    );
  }
  if (typeof diffier !== 'string') fail(where, 'the recipe has no "diffier" version');
  if (typeof command !== 'string') fail(where, 'the recipe has no "command"');
  if (typeof argument !== 'string') fail(where, 'the recipe has no "argument"');
  if (!isObject(flags)) fail(where, 'the recipe has no "flags" object');
  const names = Object.keys(flags);
  if (names.length > MAX_RECIPE_FLAGS) {
    fail(where, `the recipe has ${names.length} flags; at most ${MAX_RECIPE_FLAGS} are read`);
  }
  for (const name of names) {
    const v = flags[name];
    if (typeof v !== 'string' && typeof v !== 'boolean') {
      fail(where, `the recipe's flag "${name}" is not a string or boolean`);
    }
  }
  if (model !== undefined) {
    if (!isObject(model) || typeof model.dir !== 'string' || typeof model.sha256 !== 'string') {
      fail(where, 'the recipe\'s "model" must be {dir, sha256}');
    }
  }
  if (item !== undefined) {
    const ok =
      isObject(item) &&
      typeof item.method === 'string' &&
      typeof item.w === 'number' &&
      Number.isInteger(item.index);
    if (!ok) fail(where, 'the recipe\'s "item" must be {method, w, index}');
  }
  return raw as unknown as Recipe;
}

/** A value with a comma or colon in quotes, as A1111 writes them, so the pairs still split. */
function quoted(v: string): string {
  return /[,:"]/.test(v) ? JSON.stringify(v) : v;
}

/**
 * The recipe as A1111's `parameters` text (prompt; `Negative prompt:`; then `Key: value`
 * pairs), which image browsers of that ecosystem display. Only what maps onto their keys.
 */
export function a1111Parameters(recipe: Recipe): string {
  const f = recipe.flags;
  const pairs: [string, FlagValue | number | undefined][] = [
    ['Steps', f.steps ?? (f.nfe === undefined ? undefined : `nfe ${String(f.nfe)}`)],
    ['Sampler', f.sampler],
    ['CFG scale', f.w],
    ['Seed', f.seed],
    ['Method', recipe.item?.method ?? f.compare ?? f.method],
    ['Model hash', recipe.model?.sha256.slice(0, 10)],
    ['Version', `diffier ${recipe.diffier}`],
  ];
  const negative = f.negativePrompt === undefined ? [] : [`Negative prompt: ${f.negativePrompt}`];
  const tail = pairs
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => `${k}: ${quoted(String(v))}`)
    .join(', ');
  return [recipe.argument, ...negative, tail].join('\n');
}
