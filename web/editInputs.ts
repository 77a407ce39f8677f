/**
 * The text-to-image tab's image inputs: an init image (PNG upload) with its strength for
 * image-to-image, and a mask for inpainting, uploaded as a PNG or painted over the init
 * image with the pointer (white = repaint, as the library reads it). Size, bit depth and
 * colour type are checked from the PNG header before anything is decoded, as the CLI does.
 */
import { decode as decodePng } from 'fast-png';
import { InputImageError } from '../src/core/errors.js';
import { Tensor } from '../src/core/tensor.js';
import { checkPngColours, readPngHeader } from '../src/image/pngHeader.js';
import { imageFromRgba } from '../src/image/rgba.js';
import { checkStrength, DEFAULT_STRENGTH } from '../src/schedules/strength.js';
import { parseNumber } from '../src/cli/parse.js';
import { byId, inputValue, linkSlider } from './dom.js';
import type { Recipe } from './imageGrid.js';

/**
 * Uploads larger than this are refused unread: an image the model edits (28×28 for the
 * embedded one, at most a few hundred pixels a side for others) is far smaller.
 */
export const MAX_UPLOAD_BYTES = 16 * 1024 * 1024;

/** A PNG file's RGBA pixels, refused unless the model can read it (pngHeader.ts, as the CLI). */
async function readPng(file: File, width: number, height: number, channels: 1 | 3) {
  if (file.size > MAX_UPLOAD_BYTES) {
    throw new InputImageError(
      `${file.name} has ${file.size} bytes; at most ${MAX_UPLOAD_BYTES} are read`,
    );
  }
  const bytes = new Uint8Array(await file.arrayBuffer());
  checkPngColours(readPngHeader(bytes, file.name, { width, height }), channels, file.name);
  // fast-png reads the pixels as stored, as pngjs does for the CLI: no colour management.
  let png: ReturnType<typeof decodePng>;
  try {
    png = decodePng(bytes);
  } catch (err) {
    throw new InputImageError(`${file.name} is not a readable PNG: ${(err as Error).message}`);
  }
  // Grey or RGB (checked above), 1–8 bits: as 8-bit RGBA, the layout a canvas and the
  // library take (pngjs scales low bit depths to 0–255 the same way for the CLI).
  const scale = 255 / (2 ** png.depth - 1);
  const rgba = new ImageData(width, height);
  for (let p = 0; p < width * height; p++) {
    for (let k = 0; k < 3; k++) {
      rgba.data[4 * p + k] = Math.round(
        png.data[png.channels * p + (png.channels === 1 ? 0 : k)] * scale,
      );
    }
    rgba.data[4 * p + 3] = 255;
  }
  return rgba;
}

/** What the image inputs give a run; all undefined for plain text-to-image. */
export interface EditChoice {
  readonly initImage?: Tensor;
  readonly strength?: number;
  readonly mask?: Tensor;
  /** Their part of each image's settings. */
  readonly recipe: Recipe;
}

export interface EditInputs {
  /** The current choice, checked; throws on a bad strength. */
  read(): EditChoice;
}

/** Brush radius in image pixels when painting a mask. */
const BRUSH = 2;
/** The painted mask over the init image: repainted pixels tinted red. */
const MASK_TINT = [255, 64, 64];

/**
 * `shape` is [C, H, W] of the images the model edits (pipelines/imageEdit.ts
 * `editImageShape`); undefined when it cannot edit images, and the inputs say so.
 * `badInput` gets the one-line message of a refused upload.
 */
export function editInputs(
  shape: readonly number[] | undefined,
  badInput: (message: string) => void,
): EditInputs {
  const initInput = byId<HTMLInputElement>('init-image');
  const maskInput = byId<HTMLInputElement>('mask');
  const canvas = byId<HTMLCanvasElement>('mask-canvas');
  const editor = byId('edit-preview');
  const note = byId('edit-note');
  if (!shape) {
    byId<HTMLFieldSetElement>('edit-inputs').disabled = true;
    note.textContent = 'This model cannot read an init image (it has no VAE encoder).';
    return { read: () => ({ recipe: [] }) };
  }
  const [c, height, width] = shape;
  const channels = c as 1 | 3;
  canvas.width = width;
  canvas.height = height;
  linkSlider('strength-range', 'strength');
  let init: { name: string; pixels: ImageData } | undefined;
  let maskSource = '';
  const mask = new Uint8Array(width * height);

  const painted = () => mask.reduce((a, v) => a + v, 0);
  const draw = () => {
    if (!init) return;
    const out = new ImageData(new Uint8ClampedArray(init.pixels.data), width, height);
    for (let p = 0; p < mask.length; p++) {
      if (mask[p] === 0) continue;
      for (let k = 0; k < 3; k++) out.data[4 * p + k] = (out.data[4 * p + k] + MASK_TINT[k]) / 2;
    }
    canvas.getContext('2d')!.putImageData(out, 0, 0);
    const n = painted();
    note.textContent =
      n === 0
        ? 'Image-to-image. Paint on the image (or upload a mask) to inpaint.'
        : `Inpainting ${n} of ${mask.length} pixels (${maskSource}).`;
  };
  const clearMask = () => {
    mask.fill(0);
    maskInput.value = '';
    maskSource = '';
    draw();
  };
  const clearAll = () => {
    init = undefined;
    initInput.value = '';
    mask.fill(0);
    maskInput.value = '';
    editor.hidden = true;
    note.textContent = 'Optional: start from a PNG to run image-to-image or inpainting.';
  };
  const guard = (job: () => Promise<void>) => () => {
    job().catch((err: Error) => badInput(err.message));
  };

  initInput.addEventListener(
    'change',
    guard(async () => {
      const file = initInput.files?.[0];
      if (!file) return clearAll();
      try {
        init = { name: file.name, pixels: await readPng(file, width, height, channels) };
      } catch (err) {
        clearAll();
        throw err;
      }
      mask.fill(0);
      editor.hidden = false;
      draw();
    }),
  );
  maskInput.addEventListener(
    'change',
    guard(async () => {
      const file = maskInput.files?.[0];
      if (!file) return clearMask();
      const pixels = await readPng(file, width, height, channels).catch((err: Error) => {
        clearMask();
        throw err;
      });
      // The library's rule: repaint where the mean over the colour channels is ≥ ½.
      for (let p = 0; p < mask.length; p++) {
        const d = pixels.data;
        mask[p] = (d[4 * p] + d[4 * p + 1] + d[4 * p + 2]) / 3 >= 127.5 ? 1 : 0;
      }
      maskSource = file.name;
      draw();
    }),
  );
  byId('clear-mask').addEventListener('click', clearMask);
  byId('clear-init').addEventListener('click', clearAll);

  let painting = false;
  const paint = (e: PointerEvent) => {
    const r = canvas.getBoundingClientRect();
    const cx = Math.floor(((e.clientX - r.left) / r.width) * width);
    const cy = Math.floor(((e.clientY - r.top) / r.height) * height);
    for (let y = Math.max(0, cy - BRUSH); y <= Math.min(height - 1, cy + BRUSH); y++) {
      for (let x = Math.max(0, cx - BRUSH); x <= Math.min(width - 1, cx + BRUSH); x++) {
        if ((x - cx) ** 2 + (y - cy) ** 2 <= BRUSH * BRUSH) mask[y * width + x] = 1;
      }
    }
    maskSource = 'painted';
    maskInput.value = '';
    draw();
  };
  canvas.addEventListener('pointerdown', (e) => {
    painting = true;
    canvas.setPointerCapture(e.pointerId);
    paint(e);
  });
  canvas.addEventListener('pointermove', (e) => painting && paint(e));
  canvas.addEventListener('pointerup', () => (painting = false));
  clearAll();

  return {
    read(): EditChoice {
      if (!init) return { recipe: [] };
      const strength = checkStrength(
        parseNumber(inputValue('strength') || String(DEFAULT_STRENGTH), 'strength'),
      );
      const initImage = imageFromRgba(init.pixels.data, width, height, channels);
      const n = painted();
      const recipe: [string, string][] = [
        ['init image', init.name],
        ['strength', String(strength)],
      ];
      if (n === 0) return { initImage, strength, recipe };
      recipe.push(['mask', `${maskSource}, ${n} of ${mask.length} pixels repainted`]);
      const maskTensor = new Tensor(Float32Array.from(mask), [1, 1, height, width]);
      return { initImage, strength, mask: maskTensor, recipe };
    },
  };
}
