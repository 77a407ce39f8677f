/**
 * A model folder in the diffusers/optimum ONNX layout. Every file is looked for before
 * anything is loaded, so a bad folder fails in milliseconds with one message that lists all
 * that is missing, rather than after the UNet has been read.
 */
import { ModelFolderError } from '../core/errors.js';
import { join, pathKind, readText, resolve } from '../io/files.js';

/** Which pipeline a folder is read for: the parts each one needs differ. */
export type FolderKind = 'text-to-image' | 'upscale';

/** The files of a model folder; optional parts are undefined when absent. */
export interface ModelFolder {
  readonly dir: string;
  /** model_index.json `_class_name`, e.g. "StableDiffusionPipeline". */
  readonly className: string;
  /** model_index.json itself (pipeline settings such as the upscaler's max_noise_level). */
  readonly index: Readonly<Record<string, unknown>>;
  readonly schedulerConfig: string;
  /** low_res_scheduler/scheduler_config.json: how an upscaler noises its low-res input. */
  readonly lowResSchedulerConfig?: string;
  /** tokenizer/tokenizer.json, or undefined when only vocab.json + merges.txt are there. */
  readonly tokenizerJson?: string;
  readonly tokenizerConfig?: string;
  /** CLIP's slow files (converted by clipTokenizer.ts when tokenizer.json is absent). */
  readonly vocabJson?: string;
  readonly mergesTxt?: string;
  /** Required for text-to-image; an upscaler may have no text side. */
  readonly textEncoder?: string;
  readonly unet: string;
  readonly unetConfig?: string;
  readonly vaeDecoder?: string;
  readonly vaeDecoderConfig?: string;
  /** Image-to-image and inpainting on a latent model need it (vae_encoder/). */
  readonly vaeEncoder?: string;
  readonly vaeEncoderConfig?: string;
}

async function isFile(path: string): Promise<boolean> {
  return (await pathKind(path)) === 'file';
}

async function isDir(path: string): Promise<boolean> {
  return (await pathKind(path)) === 'dir';
}

/** Read and parse a JSON file of the folder, naming it in every error. */
export async function readJsonFile(path: string): Promise<unknown> {
  let text: string;
  try {
    text = await readText(path);
  } catch (err) {
    throw new ModelFolderError(`cannot read ${path}: ${(err as Error).message}`);
  }
  try {
    return JSON.parse(text) as unknown;
  } catch (err) {
    // Python's json writes ±inf and nan as bare words (diffusers' DPM-Solver configs carry
    // "lambda_min_clipped": -Infinity): read them as ±1e999 (= ±Infinity) and null.
    const python = text.replace(
      /([:[,]\s*)(-?Infinity|NaN)(?=\s*[,\]}])/g,
      (_m, pre: string, w: string) => pre + (w === 'NaN' ? 'null' : w.replace('Infinity', '1e999')),
    );
    try {
      if (python !== text) return JSON.parse(python) as unknown;
    } catch {
      // fall through to the original error
    }
    throw new ModelFolderError(`${path} is not valid JSON: ${(err as Error).message}`);
  }
}

type Finder = (rel: string[]) => Promise<string | undefined>;

const NO_TEXT_SIDE = {
  tokenizerJson: undefined,
  tokenizerConfig: undefined,
  vocabJson: undefined,
  mergesTxt: undefined,
  textEncoder: undefined,
};

/** The text side's files: tokenizer/ (tokenizer.json, or vocab.json + merges.txt) and text_encoder/model.onnx. */
async function textSideFiles(need: Finder, maybe: Finder, missing: string[]) {
  const tokenizerJson = await maybe(['tokenizer', 'tokenizer.json']);
  const tokenizerConfig = await maybe(['tokenizer', 'tokenizer_config.json']);
  let vocabJson: string | undefined;
  let mergesTxt: string | undefined;
  if (!tokenizerJson) {
    vocabJson = await maybe(['tokenizer', 'vocab.json']);
    mergesTxt = await maybe(['tokenizer', 'merges.txt']);
    if (!vocabJson || !mergesTxt) {
      missing.push('tokenizer/tokenizer.json (or tokenizer/vocab.json + tokenizer/merges.txt)');
    }
  }
  const textEncoder = await need(['text_encoder', 'model.onnx']);
  return { tokenizerJson, tokenizerConfig, vocabJson, mergesTxt, textEncoder };
}

/** model_index.json: an object with a "_class_name", every component it names present. */
async function readModelIndex(modelIndex: string, dir: string, has: Record<string, boolean>) {
  const index = await readJsonFile(modelIndex);
  if (typeof index !== 'object' || index === null || Array.isArray(index)) {
    throw new ModelFolderError(`${modelIndex} must be a JSON object`);
  }
  const className = (index as Record<string, unknown>)._class_name;
  if (typeof className !== 'string' || className === '') {
    throw new ModelFolderError(`${modelIndex} has no "_class_name"`);
  }
  // model_index.json names its components; one it names with no folder means a broken copy.
  const declared = Object.entries(index as Record<string, unknown>)
    .filter(([k, v]) => !k.startsWith('_') && Array.isArray(v) && v[0] !== null)
    .map(([k]) => k);
  for (const part of ['vae_decoder', 'vae_encoder']) {
    if (declared.includes(part) && !has[part]) {
      throw new ModelFolderError(`${modelIndex} lists ${part} but ${join(dir, part)} is missing`);
    }
  }
  return { index: index as Record<string, unknown>, className };
}

/**
 * Check that `dir` holds a complete folder for `kind` and return its file paths.
 * Always required: model_index.json, scheduler/scheduler_config.json, unet/model.onnx.
 * The text side — tokenizer/ (tokenizer.json, or vocab.json + merges.txt) and
 * text_encoder/model.onnx — is required for text-to-image and optional for an upscaler
 * (present when text_encoder/ is). An upscaler also needs
 * low_res_scheduler/scheduler_config.json. Optional: vae_decoder/ and vae_encoder/ (each
 * then needs model.onnx and config.json). No VAE decoder = pixel space.
 */
export async function inspectModelFolder(
  dirIn: string,
  kind: FolderKind = 'text-to-image',
): Promise<ModelFolder> {
  const dir = resolve(dirIn);
  if (!(await isDir(dir))) {
    throw new ModelFolderError(`model folder ${dir} does not exist or is not a folder`);
  }
  const p = (...parts: string[]) => join(dir, ...parts);
  const missing: string[] = [];
  const need = async (rel: string[]): Promise<string> => {
    if (!(await isFile(p(...rel)))) missing.push(rel.join('/'));
    return p(...rel);
  };
  const maybe = async (rel: string[]): Promise<string | undefined> =>
    (await isFile(p(...rel))) ? p(...rel) : undefined;

  const modelIndex = await need(['model_index.json']);
  const schedulerConfig = await need(['scheduler', 'scheduler_config.json']);
  const lowResSchedulerConfig =
    kind === 'upscale' ? await need(['low_res_scheduler', 'scheduler_config.json']) : undefined;
  const hasText = kind === 'text-to-image' || (await isDir(p('text_encoder')));
  const text = hasText ? await textSideFiles(need, maybe, missing) : NO_TEXT_SIDE;
  const unet = await need(['unet', 'model.onnx']);
  const unetConfig = await maybe(['unet', 'config.json']);
  let vaeDecoder: string | undefined;
  let vaeDecoderConfig: string | undefined;
  if (await isDir(p('vae_decoder'))) {
    vaeDecoder = await need(['vae_decoder', 'model.onnx']);
    vaeDecoderConfig = await need(['vae_decoder', 'config.json']);
  }
  let vaeEncoder: string | undefined;
  let vaeEncoderConfig: string | undefined;
  if (await isDir(p('vae_encoder'))) {
    vaeEncoder = await need(['vae_encoder', 'model.onnx']);
    vaeEncoderConfig = await need(['vae_encoder', 'config.json']);
  }
  if (missing.length > 0) {
    throw new ModelFolderError(`model folder ${dir} is incomplete; missing: ${missing.join(', ')}`);
  }

  const { index, className } = await readModelIndex(modelIndex, dir, {
    vae_decoder: vaeDecoder !== undefined,
    vae_encoder: vaeEncoder !== undefined,
  });
  return {
    dir,
    className,
    index,
    schedulerConfig,
    lowResSchedulerConfig,
    ...text,
    unet,
    unetConfig,
    vaeDecoder,
    vaeDecoderConfig,
    vaeEncoder,
    vaeEncoderConfig,
  };
}
