/**
 * An ONNX network behind a checked signature, for any onnxruntime flavour: the caller
 * passes a Runtime (onnx.ts: onnxruntime-node; onnxWeb.ts: onnxruntime-web in the browser),
 * so this module imports neither. It checks a model's inputs and outputs against what the
 * caller can feed and read, and runs it on plain typed arrays. Input dtypes and ranks are
 * read from the model, never assumed: the UNet `timestep` is float32 `[]` in new optimum
 * exports and int64 `[B]` in old ones, and `feed` casts to whatever the model declares, as
 * optimum's `_prepare_onnx_inputs` does.
 */
import {
  InvalidOptionError,
  ModelFolderError,
  ModelLoadError,
  ModelRunError,
  ModelSignatureError,
  ShapeError,
} from '../core/errors.js';
import { pathKind } from '../io/files.js';

/** What onnxruntime reports of an input or output (its InferenceSession.ValueMetadata). */
export interface RuntimeValueMetadata {
  readonly name: string;
  readonly isTensor: boolean;
  readonly type?: string;
  readonly shape?: readonly (number | string)[];
}

/** An onnxruntime tensor, as far as this module reads it. */
export interface RuntimeTensor {
  readonly type: string;
  readonly data: unknown;
  readonly dims: readonly number[];
}

/** An onnxruntime InferenceSession, as far as this module uses it. */
export interface RuntimeSession {
  readonly inputMetadata: readonly RuntimeValueMetadata[];
  readonly outputMetadata: readonly RuntimeValueMetadata[];
  run(
    feeds: Record<string, RuntimeTensor>,
    fetches: string[],
  ): Promise<Record<string, RuntimeTensor>>;
  release(): Promise<void>;
}

/** The seam between the library and one onnxruntime package. */
export interface Runtime {
  /** A session for the model file at `path` (a file path in Node, a URL path in a page). */
  create(path: string, opts: SessionOptions): Promise<RuntimeSession>;
  tensor(feed: Feed): RuntimeTensor;
}

/** An input or output as the model declares it; a dim is a size or a symbolic name. */
export interface ValueInfo {
  readonly name: string;
  readonly type: string;
  /** [] is a scalar (onnxruntime also reports [] when a model declares no shape). */
  readonly shape: readonly (number | string)[];
}

/** What the caller accepts for one input or output. */
export interface TensorSpec {
  readonly name: string;
  readonly types: readonly string[];
  readonly ranks: readonly number[];
  /** Inputs: fed only when the model has it. Outputs: read only when present. */
  readonly optional?: boolean;
}

export interface Signature {
  readonly inputs: readonly TensorSpec[];
  readonly outputs: readonly TensorSpec[];
}

export interface SessionOptions {
  /** Threads inside one operator (onnxruntime's intraOpNumThreads); default: the runtime's. */
  readonly threads?: number;
}

/** An input value, already in the model's dtype. */
export interface Feed {
  readonly type: 'float32' | 'int64' | 'int32';
  readonly data: Float32Array | BigInt64Array | Int32Array;
  readonly dims: readonly number[];
}

/** A float32 output. */
export interface Output {
  readonly data: Float32Array;
  readonly dims: readonly number[];
}

/** Cast numbers to the dtype an input declares (integers are rounded to the nearest). */
export function feed(info: ValueInfo, values: ArrayLike<number>, dims: readonly number[]): Feed {
  const size = dims.reduce((a, b) => a * b, 1);
  if (values.length !== size) {
    throw new ShapeError(
      `${info.name}: dims [${dims.join(', ')}] need ${size} values, got ${values.length}`,
    );
  }
  switch (info.type) {
    case 'float32':
      // Float32 data goes in as it is (no copy); the runtime does not write to inputs.
      return {
        type: 'float32',
        data: values instanceof Float32Array ? values : Float32Array.from(values),
        dims,
      };
    case 'int64':
      return {
        type: 'int64',
        data: BigInt64Array.from(Array.from(values, (v) => BigInt(Math.round(v)))),
        dims,
      };
    case 'int32':
      return { type: 'int32', data: Int32Array.from(values, (v) => Math.round(v)), dims };
    default:
      throw new ModelSignatureError(
        `input ${info.name} has dtype ${info.type}, which cannot be fed`,
      );
  }
}

function describe(v: ValueInfo): string {
  return `${v.name} ${v.type} [${v.shape.join(', ')}]`;
}

function describeSpec(s: TensorSpec): string {
  const text = `${s.name} ${s.types.join('|')} rank ${s.ranks.join('|')}`;
  return s.optional ? `(optional ${text})` : text;
}

function metadata(list: readonly RuntimeValueMetadata[]): ValueInfo[] {
  return list.map((m) =>
    m.isTensor
      ? { name: m.name, type: m.type ?? 'unknown', shape: [...(m.shape ?? [])] }
      : { name: m.name, type: 'non-tensor', shape: [] },
  );
}

/** Every mismatch between what a model declares and what the caller expects, as lines. */
export function signatureProblems(
  inputs: readonly ValueInfo[],
  outputs: readonly ValueInfo[],
  sig: Signature,
): string[] {
  const problems: string[] = [];
  const check = (kind: string, found: readonly ValueInfo[], specs: readonly TensorSpec[]) => {
    for (const spec of specs) {
      const v = found.find((f) => f.name === spec.name);
      if (!v) {
        if (!spec.optional) problems.push(`missing ${kind} ${spec.name}`);
        continue;
      }
      if (!spec.types.includes(v.type)) {
        const hint =
          v.type === 'float16' ? ' (fp16 exports run poorly on CPU: export in float32)' : '';
        problems.push(
          `${kind} ${v.name} has dtype ${v.type}, expected ${spec.types.join(' or ')}${hint}`,
        );
      }
      if (!spec.ranks.includes(v.shape.length)) {
        problems.push(
          `${kind} ${v.name} has rank ${v.shape.length} [${v.shape.join(', ')}], expected rank ${spec.ranks.join(' or ')}`,
        );
      }
    }
  };
  check('input', inputs, sig.inputs);
  check('output', outputs, sig.outputs);
  // An input nobody feeds would make every run fail (e.g. SDXL's text_embeds): say so now.
  for (const v of inputs) {
    if (!sig.inputs.some((s) => s.name === v.name)) {
      problems.push(`unexpected input ${v.name} (cannot be fed)`);
    }
  }
  return problems;
}

/** A loaded network with checked inputs and outputs. */
export class OnnxSession {
  private constructor(
    private readonly runtime: Runtime,
    private readonly session: RuntimeSession,
    /** What it is ("unet") and where it came from, for error messages. */
    readonly label: string,
    readonly path: string,
    readonly inputs: readonly ValueInfo[],
    readonly outputs: readonly ValueInfo[],
  ) {}

  /**
   * Load `path` with `runtime` and check it against `signature`. Errors: ModelFolderError
   * (no such file), ModelLoadError (not a loadable model), ModelSignatureError (listing
   * expected vs found).
   */
  static async open(
    runtime: Runtime,
    path: string,
    label: string,
    signature: Signature,
    opts: SessionOptions = {},
  ): Promise<OnnxSession> {
    if ((await pathKind(path)) !== 'file') {
      throw new ModelFolderError(`${label}: ${path} does not exist or is not a file`);
    }
    if (opts.threads !== undefined && !(Number.isInteger(opts.threads) && opts.threads >= 1)) {
      throw new InvalidOptionError(`threads must be an integer ≥ 1, got ${opts.threads}`);
    }
    let session: RuntimeSession;
    try {
      session = await runtime.create(path, opts);
    } catch (err) {
      throw new ModelLoadError(`${label}: cannot load ${path}: ${(err as Error).message}`);
    }
    const inputs = metadata(session.inputMetadata);
    const outputs = metadata(session.outputMetadata);
    const problems = signatureProblems(inputs, outputs, signature);
    if (problems.length > 0) {
      await session.release();
      throw new ModelSignatureError(
        `${label} (${path}) does not have the expected inputs/outputs:\n  ${problems.join('\n  ')}\n` +
          `expected inputs: ${signature.inputs.map(describeSpec).join(', ')}; outputs: ${signature.outputs.map(describeSpec).join(', ')}\n` +
          `found inputs: ${inputs.map(describe).join(', ')}; outputs: ${outputs.map(describe).join(', ')}`,
      );
    }
    return new OnnxSession(runtime, session, label, path, inputs, outputs);
  }

  input(name: string): ValueInfo | undefined {
    return this.inputs.find((v) => v.name === name);
  }

  output(name: string): ValueInfo | undefined {
    return this.outputs.find((v) => v.name === name);
  }

  /** Run with the given inputs and read the named float32 outputs. */
  async run(
    feeds: Readonly<Record<string, Feed>>,
    outputNames: readonly string[],
  ): Promise<Record<string, Output>> {
    const tensors: Record<string, RuntimeTensor> = {};
    for (const [name, f] of Object.entries(feeds)) tensors[name] = this.runtime.tensor(f);
    let result: Record<string, RuntimeTensor>;
    try {
      result = await this.session.run(tensors, [...outputNames]);
    } catch (err) {
      throw new ModelRunError(`${this.label}: run failed: ${(err as Error).message}`);
    }
    const out: Record<string, Output> = {};
    for (const name of outputNames) {
      const t = result[name] as RuntimeTensor | undefined;
      if (!t || t.type !== 'float32') {
        throw new ModelSignatureError(
          `${this.label}: output ${name} is ${t ? t.type : 'missing'}, expected float32`,
        );
      }
      out[name] = { data: t.data as Float32Array, dims: [...t.dims] };
    }
    return out;
  }

  async release(): Promise<void> {
    await this.session.release();
  }
}

/** A dim's size when the model fixes it; undefined when it is symbolic (dynamic). */
export function staticDim(info: ValueInfo, axis: number): number | undefined {
  const d = info.shape[axis];
  return typeof d === 'number' && d > 0 ? d : undefined;
}

/** `loadSession(path, label, signature, opts)` of one runtime (OnnxSession.open). */
export function sessionLoader(runtime: Runtime) {
  return (
    path: string,
    label: string,
    signature: Signature,
    opts: SessionOptions = {},
  ): Promise<OnnxSession> => OnnxSession.open(runtime, path, label, signature, opts);
}
