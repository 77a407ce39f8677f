/**
 * The evaluation network of the real-model benchmark (models/mnist-eval, trained on the
 * TRAIN split only by training/train_classifier.py): image [B, 1, 28, 28] in [0, 1] (ink = 1)
 * → digit logits [B, 10], thickness/slant/size logits [B, 3] and `features` [B, F] (F = 64),
 * the penultimate layer that the Fréchet distance and k-NN precision/recall are computed on.
 *
 * Loaded through backends/onnx.ts with its signature checked at load (names, dtypes, ranks,
 * and the fixed sizes where the export fixes them), so a wrong file fails before any
 * sampling, with the expected and found tensors listed.
 */
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import {
  OnnxSession,
  feed,
  staticDim,
  type SessionOptions,
  type Signature,
  type ValueInfo,
  loadSession,
} from '../backends/onnx.js';
import { ModelSignatureError, NonFiniteError, ShapeError } from '../core/errors.js';
import { packageRoot } from '../models/embedded.js';
import { readJsonFile } from '../models/folder.js';
import { Tensor } from '../core/tensor.js';

export const ATTRIBUTES = ['thickness', 'slant', 'size'] as const;
export type AttributeName = (typeof ATTRIBUTES)[number];

/** Class names of each head (index = class), as in models/mnist-eval/config.json. */
export const DEFAULT_CLASSES: Readonly<Record<'digit' | AttributeName, readonly string[]>> = {
  digit: ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9'],
  thickness: ['thin', 'medium', 'thick'],
  slant: ['left', 'upright', 'right'],
  size: ['small', 'medium', 'large'],
};

const HEADS = [
  ['digit_logits', 10],
  ['thickness_logits', 3],
  ['slant_logits', 3],
  ['size_logits', 3],
] as const;

export const CLASSIFIER_SIGNATURE: Signature = {
  inputs: [{ name: 'image', types: ['float32'], ranks: [4] }],
  outputs: [
    ...HEADS.map(([name]) => ({ name, types: ['float32'], ranks: [2] })),
    { name: 'features', types: ['float32'], ranks: [2] },
  ],
};

/** Image size the classifier reads: [C, H, W]. */
export const CLASSIFIER_ITEM_SHAPE = [1, 28, 28] as const;

/** The shipped evaluation network's folder. */
export function evalModelDir(): string {
  return join(packageRoot(), 'models', 'mnist-eval');
}

/** Fixed sizes that disagree with what this module reads (names/dtypes/ranks are checked by the backend). */
export function classifierShapeProblems(
  inputs: readonly ValueInfo[],
  outputs: readonly ValueInfo[],
): string[] {
  const problems: string[] = [];
  const image = inputs.find((v) => v.name === 'image');
  if (image) {
    CLASSIFIER_ITEM_SHAPE.forEach((want, i) => {
      const d = staticDim(image, i + 1);
      if (d !== undefined && d !== want) {
        problems.push(
          `input image is [${image.shape.join(', ')}], expected [B, ${CLASSIFIER_ITEM_SHAPE.join(', ')}]`,
        );
      }
    });
  }
  for (const [name, classes] of HEADS) {
    const out = outputs.find((v) => v.name === name);
    const d = out ? staticDim(out, 1) : undefined;
    if (out && d !== undefined && d !== classes) {
      problems.push(`output ${name} is [${out.shape.join(', ')}], expected [B, ${classes}]`);
    }
  }
  return [...new Set(problems)];
}

/** Per-image predictions and features for a batch of images. */
export interface ClassifierOutput {
  readonly n: number;
  /** Predicted digit (argmax of the digit logits). */
  readonly digit: Int32Array;
  /** Softmax probability of the predicted digit. */
  readonly digitProb: Float32Array;
  /** Predicted class index per attribute (0 = thin/left/small, 1 = medium/upright, 2 = thick/right/large). */
  readonly attributes: Readonly<Record<AttributeName, Int32Array>>;
  /** n × featureDim, row-major. */
  readonly features: Float32Array;
  readonly featureDim: number;
}

export interface LoadClassifierOptions extends SessionOptions {
  /** Images per network call. Default 256. */
  readonly batchSize?: number;
}

function argmaxRows(data: Float32Array, n: number, k: number, probs?: Float32Array): Int32Array {
  const out = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    let best = 0;
    for (let j = 1; j < k; j++) if (data[i * k + j] > data[i * k + best]) best = j;
    out[i] = best;
    if (probs) {
      let z = 0;
      for (let j = 0; j < k; j++) z += Math.exp(data[i * k + j] - data[i * k + best]);
      probs[i] = 1 / z;
    }
  }
  return out;
}

export class EvalClassifier {
  private constructor(
    private readonly session: OnnxSession,
    /** The .onnx file. */
    readonly path: string,
    /** Features per image (64 for the shipped network); known after load when the export fixes it. */
    private dim: number | undefined,
    readonly classes: Readonly<Record<'digit' | AttributeName, readonly string[]>>,
    /** models/mnist-eval/config.json as read (undefined when absent). */
    readonly config: Readonly<Record<string, unknown>> | undefined,
    private readonly batchSize: number,
  ) {}

  /**
   * Load a classifier: a folder holding classifier.onnx (and optionally config.json), or an
   * .onnx file. Errors: ModelFolderError (no file), ModelLoadError (not loadable),
   * ModelSignatureError (names, dtypes, ranks or fixed sizes that do not fit).
   */
  static async load(
    path: string = evalModelDir(),
    opts: LoadClassifierOptions = {},
  ): Promise<EvalClassifier> {
    const isDir = (await stat(path).catch(() => undefined))?.isDirectory() ?? false;
    const onnxPath = isDir ? join(path, 'classifier.onnx') : path;
    const configPath = isDir ? join(path, 'config.json') : undefined;
    const session = await loadSession(
      onnxPath,
      'evaluation classifier',
      CLASSIFIER_SIGNATURE,
      opts,
    );
    try {
      const problems = classifierShapeProblems(session.inputs, session.outputs);
      if (problems.length > 0) {
        throw new ModelSignatureError(
          `evaluation classifier (${onnxPath}) does not have the expected shapes:\n  ${problems.join('\n  ')}`,
        );
      }
      const hasConfig =
        configPath !== undefined &&
        ((await stat(configPath).catch(() => undefined))?.isFile() ?? false);
      const config = hasConfig
        ? ((await readJsonFile(configPath)) as Record<string, unknown>)
        : undefined;
      const batchSize = opts.batchSize ?? 256;
      if (!(Number.isInteger(batchSize) && batchSize >= 1)) {
        throw new ShapeError(`classifier batch size must be an integer ≥ 1, got ${batchSize}`);
      }
      return new EvalClassifier(
        session,
        onnxPath,
        staticDim(session.output('features')!, 1),
        classesFrom(config),
        config,
        batchSize,
      );
    } catch (err) {
      await session.release();
      throw err;
    }
  }

  /** Features per image (after the first call if the export leaves it dynamic). */
  get featureDim(): number | undefined {
    return this.dim;
  }

  /** Predictions and features of images [n, 1, 28, 28] in [0, 1]. */
  async classify(images: Tensor): Promise<ClassifierOutput> {
    const [c, h, w] = CLASSIFIER_ITEM_SHAPE;
    if (
      images.shape.length !== 4 ||
      images.shape[1] !== c ||
      images.shape[2] !== h ||
      images.shape[3] !== w
    ) {
      throw new ShapeError(
        `the evaluation classifier reads [n, ${c}, ${h}, ${w}] images, got [${images.shape.join(', ')}]`,
      );
    }
    const n = images.batch;
    for (let i = 0; i < images.data.length; i++) {
      if (!Number.isFinite(images.data[i])) {
        throw new NonFiniteError(
          `evaluation classifier: image ${Math.floor(i / (c * h * w))} has a non-finite pixel`,
        );
      }
    }
    const logits = HEADS.map(([, k]) => new Float32Array(n * k));
    let features = new Float32Array(0);
    const item = c * h * w;
    const info = this.session.input('image')!;
    for (let start = 0; start < n; start += this.batchSize) {
      const end = Math.min(n, start + this.batchSize);
      const b = end - start;
      const out = await this.session.run(
        { image: feed(info, images.data.subarray(start * item, end * item), [b, c, h, w]) },
        [...HEADS.map(([name]) => name), 'features'],
      );
      HEADS.forEach(([name, k], j) => {
        checkOutput(out[name].data, out[name].dims, [b, k], name);
        logits[j].set(out[name].data, start * k);
      });
      const f = out.features;
      const dim = f.dims[1];
      if (this.dim === undefined) this.dim = dim;
      checkOutput(f.data, f.dims, [b, this.dim], 'features');
      if (features.length === 0) features = new Float32Array(n * this.dim);
      features.set(f.data, start * this.dim);
    }
    const digitProb = new Float32Array(n);
    const digit = argmaxRows(logits[0], n, 10, digitProb);
    return {
      n,
      digit,
      digitProb,
      attributes: {
        thickness: argmaxRows(logits[1], n, 3),
        slant: argmaxRows(logits[2], n, 3),
        size: argmaxRows(logits[3], n, 3),
      },
      features,
      featureDim: this.dim ?? 0,
    };
  }

  release(): Promise<void> {
    return this.session.release();
  }
}

function checkOutput(
  data: Float32Array,
  dims: readonly number[],
  want: readonly number[],
  name: string,
): void {
  if (dims.length !== want.length || dims.some((d, i) => d !== want[i])) {
    throw new ModelSignatureError(
      `evaluation classifier: output ${name} is [${dims.join(', ')}], expected [${want.join(', ')}]`,
    );
  }
  for (let i = 0; i < data.length; i++) {
    if (!Number.isFinite(data[i])) {
      throw new NonFiniteError(`evaluation classifier: output ${name} has non-finite values`);
    }
  }
}

function classesFrom(
  config: Record<string, unknown> | undefined,
): Record<'digit' | AttributeName, readonly string[]> {
  const outputs = (config?.outputs ?? {}) as Record<string, { classes?: unknown }>;
  const pick = (head: string, dflt: readonly string[]) => {
    const c = outputs[`${head}_logits`]?.classes;
    return Array.isArray(c) && c.length === dflt.length && c.every((s) => typeof s === 'string')
      ? (c as string[])
      : dflt;
  };
  return {
    digit: pick('digit', DEFAULT_CLASSES.digit),
    thickness: pick('thickness', DEFAULT_CLASSES.thickness),
    slant: pick('slant', DEFAULT_CLASSES.slant),
    size: pick('size', DEFAULT_CLASSES.size),
  };
}
