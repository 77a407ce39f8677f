import { ConfigError } from '../core/errors.js';
import { dirname, isAbsolute, readText, resolve } from '../io/files.js';

/**
 * A ground-truth benchmark problem: classes of weighted Gaussian components, the class to
 * sample, and the model the sampler is given. This module only parses and validates the
 * JSON file; the mixtures themselves are built in denoisers/gaussianMixture.ts.
 *
 * File schema (every number finite; weights default to equal and are normalised):
 *
 *     { "name": string, "dim": int ≥ 1, "target": int (index into classes),
 *       "description"?: string,
 *       "classes": [ { "name": string, "weight"?: number > 0,
 *                      "components": [ { "mean": number[dim],
 *                                        "std": number > 0 | (number > 0)[dim],
 *                                        "weight"?: number > 0 } ] } ],
 *       "schedule"?: { diffusers scheduler_config keys, kept raw },
 *       "model"?: { "kind": "exact" }                         (the default)
 *               | { "kind": "inflated", "cond": number > 0, "uncond": number > 0,
 *                   "jitter"?: number ≥ 0, "jitterSeed"?: uint32 }
 *               | { "kind": "onnx", "path": string } }
 *
 * Unknown keys are rejected, so that a typo ("sd" for "std") is an error, not a default.
 */

export interface ComponentSpec {
  readonly mean: readonly number[];
  /** Per-dimension standard deviation; a scalar std in the file is expanded to all dims. */
  readonly std: readonly number[];
  /** Normalised within its class. */
  readonly weight: number;
}

export interface ClassSpec {
  readonly name: string;
  /** Normalised over classes: the class prior. */
  readonly weight: number;
  readonly components: readonly ComponentSpec[];
}

/**
 * The model the sampler uses. `inflated`: every component's std is multiplied by `cond`
 * in the conditional model and by `uncond` in the unconditional one; the means are moved
 * by Gaussian jitter of std `jitter` (seeded by `jitterSeed`), the same in both models.
 */
export type ModelSpec =
  | { readonly kind: 'exact' }
  | {
      readonly kind: 'inflated';
      readonly cond: number;
      readonly uncond: number;
      readonly jitter: number;
      readonly jitterSeed: number;
    }
  /** `path` as written in the file; `loadProblem` resolves it against the file's folder. */
  | { readonly kind: 'onnx'; readonly path: string };

export interface Problem {
  readonly name: string;
  readonly description?: string;
  readonly dim: number;
  /** Index of the class that is sampled (the condition). */
  readonly target: number;
  readonly classes: readonly ClassSpec[];
  /** Raw diffusers scheduler_config object; parsed by the schedule module. */
  readonly schedule?: Readonly<Record<string, unknown>>;
  readonly model: ModelSpec;
  /** Where the problem came from (file path), for messages. */
  readonly source?: string;
}

type Json = Record<string, unknown>;

/** Validate an already-parsed JSON value as a problem. `source` prefixes error messages. */
export function parseProblem(json: unknown, source?: string): Problem {
  const fail = (message: string): never => {
    throw new ConfigError(source ? `${source}: ${message}` : message);
  };
  const root = object(json, 'problem', fail);
  allowKeys(
    root,
    'problem',
    ['name', 'description', 'dim', 'target', 'classes', 'schedule', 'model'],
    fail,
  );

  const name = string(root.name, 'name', fail);
  const description =
    root.description === undefined ? undefined : string(root.description, 'description', fail);
  const dim = integer(root.dim, 'dim', fail);
  if (dim < 1) fail(`dim must be at least 1, got ${dim}`);
  if (dim > MAX_PROBLEM_DIM) fail(`dim must be at most ${MAX_PROBLEM_DIM}, got ${dim}`);

  if (!Array.isArray(root.classes)) fail(describeMissing(root.classes, 'classes', 'an array'));
  const rawClasses = root.classes as unknown[];
  if (rawClasses.length === 0) fail('classes is empty');
  const count = rawClasses.reduce<number>((a, c) => {
    const comps = (c as { components?: unknown } | null)?.components;
    return a + (Array.isArray(comps) ? comps.length : 0);
  }, 0);
  if (count > MAX_PROBLEM_COMPONENTS) {
    fail(`classes have ${count} components in all; at most ${MAX_PROBLEM_COMPONENTS} are allowed`);
  }
  const classes = rawClasses.map((c, i) => parseClass(c, `classes[${i}]`, dim, fail));
  const seen = new Set<string>();
  classes.forEach((c, i) => {
    if (seen.has(c.name)) fail(`classes[${i}].name "${c.name}" is used by an earlier class`);
    seen.add(c.name);
  });
  const classWeights = normalise(
    rawClasses.map((c) => (c as Json).weight),
    'classes',
    (i) => `classes[${i}].weight`,
    fail,
  );
  const weighted = classes.map((c, i) => ({ ...c, weight: classWeights[i] }));

  const target = integer(root.target, 'target', fail);
  if (target < 0 || target >= classes.length) {
    fail(`target ${target} is out of range: there are ${classes.length} classes (0-based)`);
  }

  let schedule: Record<string, unknown> | undefined;
  if (root.schedule !== undefined) schedule = object(root.schedule, 'schedule', fail);

  const model =
    root.model === undefined ? { kind: 'exact' as const } : parseModel(root.model, fail);

  return {
    name,
    ...(description !== undefined ? { description } : {}),
    dim,
    target,
    classes: weighted,
    ...(schedule !== undefined ? { schedule } : {}),
    model,
    ...(source !== undefined ? { source } : {}),
  };
}

/** Problem bounds: the benchmark holds samples × dim and components × dim arrays. */
export const MAX_PROBLEM_DIM = 1024;
export const MAX_PROBLEM_COMPONENTS = 1024;
/** A problem file is read up to this many bytes. */
export const MAX_PROBLEM_BYTES = 16 * 1024 * 1024;

/** Read and validate a problem file. Relative ONNX model paths are resolved against its folder. */
export async function loadProblem(path: string): Promise<Problem> {
  let text: string;
  try {
    text = await readText(path, MAX_PROBLEM_BYTES);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new ConfigError(
      code === 'ENOENT'
        ? `problem file ${path} does not exist`
        : `cannot read problem file ${path}: ${(e as Error).message}`,
    );
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new ConfigError(`problem file ${path} is not valid JSON: ${(e as Error).message}`);
  }
  const problem = parseProblem(json, path);
  if (problem.model.kind === 'onnx' && !isAbsolute(problem.model.path)) {
    return {
      ...problem,
      model: { kind: 'onnx', path: resolve(dirname(path), problem.model.path) },
    };
  }
  return problem;
}

type Fail = (message: string) => never;

interface RawClass {
  readonly name: string;
  readonly components: readonly ComponentSpec[];
}

function parseClass(raw: unknown, path: string, dim: number, fail: Fail): RawClass {
  const c = object(raw, path, fail);
  allowKeys(c, path, ['name', 'weight', 'components'], fail);
  const name = string(c.name, `${path}.name`, fail);
  if (!Array.isArray(c.components)) {
    fail(describeMissing(c.components, `${path}.components`, 'an array'));
  }
  const rawComponents = c.components as unknown[];
  if (rawComponents.length === 0) fail(`${path}.components is empty`);
  const weights = normalise(
    rawComponents.map((k, j) => object(k, `${path}.components[${j}]`, fail).weight),
    `${path}.components`,
    (j) => `${path}.components[${j}].weight`,
    fail,
  );
  const components = rawComponents.map((k, j) => {
    const p = `${path}.components[${j}]`;
    const comp = object(k, p, fail);
    allowKeys(comp, p, ['mean', 'std', 'weight'], fail);
    const mean = numberArray(comp.mean, `${p}.mean`, dim, fail);
    let std: number[];
    if (typeof comp.std === 'number') {
      std = new Array<number>(dim).fill(standardDeviation(comp.std, `${p}.std`, fail));
    } else if (Array.isArray(comp.std)) {
      std = numberArray(comp.std, `${p}.std`, dim, fail);
      std.forEach((v, d) => standardDeviation(v, `${p}.std[${d}]`, fail));
    } else {
      return fail(describeMissing(comp.std, `${p}.std`, 'a number or an array of numbers'));
    }
    return { mean, std, weight: weights[j] };
  });
  return { name, components };
}

function parseModel(raw: unknown, fail: Fail): ModelSpec {
  const m = object(raw, 'model', fail);
  const kind = string(m.kind, 'model.kind', fail);
  switch (kind) {
    case 'exact':
      allowKeys(m, 'model', ['kind'], fail);
      return { kind };
    case 'inflated': {
      allowKeys(m, 'model', ['kind', 'cond', 'uncond', 'jitter', 'jitterSeed'], fail);
      const cond = positive(m.cond, 'model.cond', fail);
      const uncond = positive(m.uncond, 'model.uncond', fail);
      const jitter = m.jitter === undefined ? 0 : finite(m.jitter, 'model.jitter', fail);
      if (jitter < 0) fail(`model.jitter must be ≥ 0, got ${jitter}`);
      const jitterSeed =
        m.jitterSeed === undefined ? 0 : integer(m.jitterSeed, 'model.jitterSeed', fail);
      if (jitterSeed < 0 || jitterSeed > 0xffffffff) {
        fail(`model.jitterSeed must be in [0, 2^32), got ${jitterSeed}`);
      }
      return { kind, cond, uncond, jitter, jitterSeed };
    }
    case 'onnx': {
      allowKeys(m, 'model', ['kind', 'path'], fail);
      const path = string(m.path, 'model.path', fail);
      return { kind, path };
    }
    default:
      return fail(`model.kind "${kind}" is unknown (expected "exact", "inflated" or "onnx")`);
  }
}

/**
 * Optional positive weights → normalised weights. A missing weight counts as 1 (so all
 * absent means equal weights), the contract's "weights default to equal".
 */
function normalise(
  raw: readonly unknown[],
  listPath: string,
  itemPath: (i: number) => string,
  fail: Fail,
): number[] {
  const w = raw.map((v, i) => (v === undefined ? 1 : positive(v, itemPath(i), fail)));
  const sum = w.reduce((a, b) => a + b, 0);
  return w.map((v) => v / sum);
}

function describeMissing(value: unknown, path: string, expected: string): string {
  return value === undefined
    ? `${path} is missing`
    : `${path} must be ${expected}, got ${kindOf(value)}`;
}

function kindOf(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'number' || typeof value === 'boolean') return `${typeof value} ${value}`;
  if (typeof value === 'string') return `string ${JSON.stringify(value)}`;
  return typeof value;
}

function object(value: unknown, path: string, fail: Fail): Json {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return fail(describeMissing(value, path, 'an object'));
  }
  return value as Json;
}

function allowKeys(o: Json, path: string, allowed: readonly string[], fail: Fail): void {
  for (const key of Object.keys(o)) {
    if (!allowed.includes(key)) {
      fail(`${path} has unknown key "${key}" (allowed: ${allowed.join(', ')})`);
    }
  }
}

function string(value: unknown, path: string, fail: Fail): string {
  if (typeof value !== 'string') return fail(describeMissing(value, path, 'a string'));
  if (value.length === 0) return fail(`${path} is an empty string`);
  return value;
}

function finite(value: unknown, path: string, fail: Fail): number {
  if (typeof value !== 'number') return fail(describeMissing(value, path, 'a number'));
  if (!Number.isFinite(value)) return fail(`${path} must be finite, got ${value}`);
  return value;
}

function positive(value: unknown, path: string, fail: Fail): number {
  const v = finite(value, path, fail);
  if (v <= 0) fail(`${path} must be > 0, got ${v}`);
  return v;
}

/** A std whose variance is a positive finite float64 (1e-300 squares to 0). */
function standardDeviation(value: unknown, path: string, fail: Fail): number {
  const v = positive(value, path, fail);
  if (!(v * v > 0 && Number.isFinite(v * v)))
    fail(`${path} must square to a positive finite variance, got ${v}`);
  return v;
}

function integer(value: unknown, path: string, fail: Fail): number {
  const v = finite(value, path, fail);
  if (!Number.isInteger(v)) fail(`${path} must be an integer, got ${v}`);
  return v;
}

function numberArray(value: unknown, path: string, dim: number, fail: Fail): number[] {
  if (!Array.isArray(value)) return fail(describeMissing(value, path, 'an array of numbers'));
  if (value.length !== dim) fail(`${path} has ${value.length} values, dim is ${dim}`);
  return value.map((v, d) => finite(v, `${path}[${d}]`, fail));
}
