/**
 * generate's editing flags: --negative-prompt, and --init-image / --strength / --mask for
 * image-to-image and inpainting. The flags are checked before any work (files exist,
 * strength in range, a mask only with an init image); the images are read once the model
 * says what size it edits, each PNG's header checked against it before it is decoded.
 */
import type { Command } from 'commander';
import { resolve } from 'node:path';
import { InputImageError, InvalidOptionError } from '../core/errors.js';
import { readPngImage } from '../image/readPng.js';
import { pathKind } from '../io/files.js';
import type { TextToImageModel } from '../models/load.js';
import {
  checkEditInputs,
  checkEditRequest,
  editImageShape,
  type EditInputs,
} from '../pipelines/imageEdit.js';
import { checkStrength, DEFAULT_STRENGTH } from '../schedules/strength.js';
import { parseNumber } from './parse.js';

export interface EditFlags {
  negativePrompt?: string;
  initImage?: string;
  strength?: string;
  mask?: string;
}

export function addEditFlags(cmd: Command): Command {
  return cmd
    .option(
      '--negative-prompt <text>',
      'what to steer away from (the unconditional side of guidance)',
    )
    .option('--init-image <png>', 'image-to-image: start from this PNG (the model’s image size)')
    .option(
      '--strength <s>',
      `image-to-image: the part of the schedule run, 0 (the input back) … 1 (all of it; default ${DEFAULT_STRENGTH})`,
    )
    .option('--mask <png>', 'inpainting (with --init-image): white = repaint, black = keep');
}

/** The editing settings, checked; the image paths absolute. */
export interface EditSetup {
  readonly negativePrompt: string;
  readonly initImage?: string;
  readonly strength?: number;
  readonly mask?: string;
}

async function inputFile(path: string, flag: string): Promise<string> {
  const abs = resolve(path);
  if ((await pathKind(abs)) !== 'file') {
    throw new InputImageError(`${flag} ${path}: no such file (or not a regular file)`);
  }
  return abs;
}

export async function parseEditFlags(flags: EditFlags): Promise<EditSetup> {
  if (flags.mask !== undefined && flags.initImage === undefined) {
    throw new InvalidOptionError('--mask needs --init-image: inpainting repaints part of an image');
  }
  if (flags.strength !== undefined && flags.initImage === undefined) {
    throw new InvalidOptionError(
      '--strength needs --init-image (it is the image-to-image strength)',
    );
  }
  const strength =
    flags.initImage === undefined
      ? undefined
      : checkStrength(
          flags.strength === undefined
            ? DEFAULT_STRENGTH
            : parseNumber(flags.strength, '--strength'),
        );
  return {
    negativePrompt: flags.negativePrompt ?? '',
    initImage:
      flags.initImage === undefined ? undefined : await inputFile(flags.initImage, '--init-image'),
    strength,
    mask: flags.mask === undefined ? undefined : await inputFile(flags.mask, '--mask'),
  };
}

/** The input files of a run (never to be overwritten by its outputs). */
export function editInputFiles(e: EditSetup): string[] {
  return [e.initImage, e.mask].filter((p): p is string => p !== undefined);
}

/** Read the init image and mask at the size the model edits (header checked before decoding). */
export async function readEditImages(model: TextToImageModel, e: EditSetup): Promise<EditInputs> {
  checkEditRequest(model, { initImage: e.initImage !== undefined, mask: e.mask !== undefined });
  if (!e.initImage) return {};
  const shape = editImageShape(model);
  const initImage = await readPngImage(
    e.initImage,
    shape?.[0] === 1 ? 1 : 3,
    shape && { width: shape[2], height: shape[1] },
  );
  const [, , height, width] = initImage.shape;
  // A mask may be greyscale or RGB whatever the model reads (its channels are averaged).
  const mask = e.mask ? await readPngImage(e.mask, 3, { width, height }) : undefined;
  const inputs = { initImage, mask };
  checkEditInputs(model, inputs);
  return inputs;
}
