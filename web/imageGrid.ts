/**
 * The labelled image grid of the text-to-image tab: an HTML table whose rows are runs
 * (method and w in the row header) and whose columns are image indices, each cell one
 * image at its own resolution, downloadable as `<method>-<w>-<i>.png` with its settings in
 * a tEXt chunk, and selectable to show the settings that made it. The pixels are image/grid.ts's, like the CLI's grids.
 */
import type { Tensor } from '../src/core/tensor.js';
import { encode as encodePng } from 'fast-png';
import { gridPixels, type RgbaImage } from '../src/image/grid.js';

/** The settings that made one image, as label → text, in display order. */
export type Recipe = ReadonlyArray<readonly [string, string]>;

/** One row of the grid: a run's images and how to describe each of them. */
export interface GridRow {
  readonly method: string;
  readonly w: number;
  /** Shown under the method in the row header (e.g. "20 steps · ddim"). */
  readonly detail: string;
  readonly images: Tensor;
  readonly recipe: (index: number) => Recipe;
}

/** The per-image file name the CLI's --out-dir uses too. */
export function imageFileName(method: string, w: number, index: number): string {
  return `${method}-${w}-${index}.png`;
}

/**
 * RGBA pixels as a PNG file (fast-png): greyscale or RGB as the images are, 8 bits, no
 * alpha, the same kind of file the CLI writes and reads back (--init-image), with `text` as
 * tEXt chunks.
 */
export function pngBlob(pixels: RgbaImage, text?: Record<string, string>): Blob {
  const channels = pixels.channels;
  const data = pixels.data.filter((_, j) => j % 4 < channels);
  const bytes = encodePng({ width: pixels.width, height: pixels.height, data, channels, text });
  return new Blob([bytes as Uint8Array<ArrayBuffer>], { type: 'image/png' });
}

/** tEXt is Latin-1: the settings as JSON with every other character escaped. */
function settingsText(recipe: Recipe): Record<string, string> {
  const json = JSON.stringify(Object.fromEntries(recipe)).replace(
    /[\u0100-\uffff]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
  return { Software: 'DiffIER web page', Comment: json };
}

/** Image `index` of a batch, one image at scale 1, no border. */
function singleImage(images: Tensor, index: number): RgbaImage {
  return gridPixels([images.viewBatch(index, index + 1)], { scale: 1, gap: 0 });
}

export interface ImageGrid {
  /** Start a new grid for `columns` images per row (the previous one is removed). */
  reset(columns: number, caption: string): void;
  addRow(row: GridRow): void;
  /** Remove the grid and the selected image's settings; frees the images. */
  clear(): void;
}

export function imageGrid(container: HTMLElement, inspector: HTMLElement): ImageGrid {
  const empty = [...container.childNodes];
  let urls: string[] = [];
  let body: HTMLTableSectionElement | undefined;

  const show = (button: HTMLButtonElement, name: string, url: string, recipe: Recipe) => {
    for (const b of container.querySelectorAll('button[aria-pressed]')) {
      b.setAttribute('aria-pressed', String(b === button));
    }
    const img = document.createElement('img');
    img.src = url;
    img.alt = button.querySelector('img')!.alt;
    const text = document.createElement('div');
    text.appendChild(document.createElement('h3')).textContent = 'Settings of this image';
    const list = text.appendChild(document.createElement('dl'));
    list.className = 'recipe';
    for (const [label, value] of recipe) {
      list.appendChild(document.createElement('dt')).textContent = label;
      list.appendChild(document.createElement('dd')).textContent = value;
    }
    const link = text.appendChild(document.createElement('a'));
    link.href = url;
    link.download = name;
    link.textContent = `Download ${name}`;
    inspector.replaceChildren(img, text);
    inspector.hidden = false;
  };

  const clear = () => {
    for (const u of urls) URL.revokeObjectURL(u);
    urls = [];
    body = undefined;
    container.replaceChildren(...empty);
    inspector.replaceChildren();
    inspector.hidden = true;
  };

  return {
    clear,
    reset(columns, caption) {
      clear();
      const about = document.createElement('p');
      about.className = 'hint grid-caption';
      about.id = 'grid-caption';
      about.textContent = caption;
      const table = document.createElement('table');
      table.className = 'image-grid';
      table.setAttribute('aria-describedby', about.id);
      const head = table.createTHead().insertRow();
      head.appendChild(document.createElement('td'));
      for (let i = 0; i < columns; i++) {
        const th = head.appendChild(document.createElement('th'));
        th.scope = 'col';
        th.textContent = `#${i}`;
      }
      body = table.createTBody();
      container.replaceChildren(about, table);
    },
    addRow(row) {
      if (!body) throw new Error('imageGrid.reset must come before addRow');
      const tr = body.insertRow();
      tr.dataset.method = row.method;
      const th = tr.appendChild(document.createElement('th'));
      th.scope = 'row';
      const name = th.appendChild(document.createElement('span'));
      name.className = 'row-method';
      name.textContent = row.method;
      const detail = th.appendChild(document.createElement('span'));
      detail.className = 'row-detail';
      detail.textContent = `w ${row.w} · ${row.detail}`;
      for (let i = 0; i < row.images.batch; i++) {
        const recipe = row.recipe(i);
        const url = URL.createObjectURL(pngBlob(singleImage(row.images, i), settingsText(recipe)));
        urls.push(url);
        const file = imageFileName(row.method, row.w, i);
        const figure = tr.insertCell().appendChild(document.createElement('figure'));
        figure.className = 'tile';
        const button = figure.appendChild(document.createElement('button'));
        button.type = 'button';
        button.setAttribute('aria-pressed', 'false');
        button.title = `Show the settings of ${row.method}, w ${row.w}, image ${i}`;
        const img = button.appendChild(document.createElement('img'));
        img.src = url;
        img.alt = `${row.method}, w ${row.w}, image ${i}`;
        const link = figure.appendChild(document.createElement('a'));
        link.href = url;
        link.download = file;
        link.textContent = 'PNG';
        link.title = `Download ${file}`;
        button.addEventListener('click', () => show(button, file, url, recipe));
        if (urls.length === 1) show(button, file, url, recipe);
      }
    },
  };
}
