/** The PNG files of the image commands (generate, upscale), every one carrying its recipe. */
import type { Tensor } from '../core/tensor.js';
import { imagePng } from '../image/png.js';
import type { OutputFile } from '../io/atomicWrite.js';
import { pngWithRecipe } from '../pipelines/recipeFile.js';
import type { Recipe } from '../recipe/recipe.js';

export interface ImageRun {
  readonly images: Tensor;
  readonly method: string;
  readonly w: number;
}

/** A grid row's label: the method and its weight. */
export function rowLabel(r: ImageRun): string {
  return `${r.method} w=${String(r.w)}`;
}

/** Image `index` of a run as its own PNG, its recipe saying which image of the run it is. */
export function itemPng(run: ImageRun, index: number, recipe: Recipe): Uint8Array {
  const item = { method: run.method, w: run.w, index };
  return pngWithRecipe(imagePng(run.images, index), { ...recipe, item });
}

/** The files of --out-dir: `items[m][i]` is image i of run m. */
export function itemFiles(
  runs: readonly ImageRun[],
  items: readonly string[][] | undefined,
  recipe: Recipe,
): OutputFile[] {
  return runs.flatMap((r, m) =>
    (items?.[m] ?? []).map((path, i) => ({ path, content: itemPng(r, i, recipe) })),
  );
}
