import type { Problem } from './problem.js';
import { ConfigError, InvalidOptionError, ShapeError } from '../core/errors.js';
import { BatchRandom, RandomStream, streamKey } from '../core/random.js';
import { Tensor } from '../core/tensor.js';

/** Rows of points, row-major, `dim` values each. Float32 in, float64 maths inside. */
export type Points = Float32Array | Float64Array;

/** One component for `GaussianMixture.fromComponents`. */
export interface MixtureComponent {
  readonly weight: number;
  readonly mean: ArrayLike<number>;
  /** Per-dimension variance (diagonal covariance). */
  readonly variance: ArrayLike<number>;
}

const LOG_2PI = Math.log(2 * Math.PI);

/**
 * A mixture of diagonal-covariance Gaussians in float64. Its parameters never change;
 * every derived quantity (log weights, inverse variances, log normalisers) is computed
 * once, and the batch methods run one flat loop per point over reused scratch buffers, so
 * they can be called thousands of times per sampling run. (The buffers make the methods
 * non-re-entrant, which is harmless: they are synchronous.)
 */
export class GaussianMixture {
  readonly dim: number;
  /** Number of components K. */
  readonly size: number;
  /** Normalised weights, [K]. */
  readonly weights: Float64Array;
  /** Means, [K·dim] row-major. */
  readonly means: Float64Array;
  /** Diagonal variances, [K·dim] row-major. */
  readonly variances: Float64Array;

  private readonly invVar: Float64Array;
  /** log w_k − ½ Σ_d log(2π v_kd): the component log-density at its mean, plus log w_k. */
  private readonly logConst: Float64Array;
  private readonly cumWeights: Float64Array;
  private readonly scratch: Float64Array;
  private xBuf = new Float64Array(0);
  private scoreBuf = new Float64Array(0);

  constructor(
    dim: number,
    weights: ArrayLike<number>,
    means: ArrayLike<number>,
    variances: ArrayLike<number>,
  ) {
    const k = weights.length;
    if (!Number.isInteger(dim) || dim < 1)
      throw new ShapeError(`mixture dim must be ≥ 1, got ${dim}`);
    if (k < 1) throw new ShapeError('a mixture needs at least one component');
    if (means.length !== k * dim || variances.length !== k * dim) {
      throw new ShapeError(
        `mixture of ${k} components in ${dim}-D needs ${k * dim} means and variances, got ${means.length} and ${variances.length}`,
      );
    }
    let total = 0;
    for (let i = 0; i < k; i++) {
      if (!(weights[i] >= 0) || !Number.isFinite(weights[i])) {
        throw new InvalidOptionError(
          `mixture weight ${i} must be finite and ≥ 0, got ${weights[i]}`,
        );
      }
      total += weights[i];
    }
    if (!(total > 0)) throw new InvalidOptionError('mixture weights sum to 0');
    for (let j = 0; j < k * dim; j++) {
      if (!Number.isFinite(means[j]))
        throw new InvalidOptionError(`mixture mean value ${j} is ${means[j]}`);
      if (!(variances[j] > 0) || !Number.isFinite(variances[j])) {
        throw new InvalidOptionError(
          `mixture variance value ${j} must be finite and > 0, got ${variances[j]}`,
        );
      }
    }
    this.dim = dim;
    this.size = k;
    this.weights = Float64Array.from(weights, (w) => w / total);
    this.means = Float64Array.from(means);
    this.variances = Float64Array.from(variances);
    this.invVar = this.variances.map((v) => 1 / v);
    this.logConst = new Float64Array(k);
    this.cumWeights = new Float64Array(k);
    let cum = 0;
    for (let c = 0; c < k; c++) {
      let lc = Math.log(this.weights[c]) - 0.5 * dim * LOG_2PI;
      for (let d = 0; d < dim; d++) lc -= 0.5 * Math.log(this.variances[c * dim + d]);
      this.logConst[c] = lc;
      cum += this.weights[c];
      this.cumWeights[c] = cum;
    }
    this.scratch = new Float64Array(k);
  }

  static fromComponents(dim: number, components: readonly MixtureComponent[]): GaussianMixture {
    const means = new Float64Array(components.length * dim);
    const variances = new Float64Array(components.length * dim);
    components.forEach((c, i) => {
      if (c.mean.length !== dim || c.variance.length !== dim) {
        throw new ShapeError(`component ${i}: mean/variance must have ${dim} values`);
      }
      means.set(Array.from(c.mean), i * dim);
      variances.set(Array.from(c.variance), i * dim);
    });
    return new GaussianMixture(
      dim,
      components.map((c) => c.weight),
      means,
      variances,
    );
  }

  /**
   * The forward-noised mixture q_t = law of a·x0 + s·ε for x0 from this mixture:
   * the same weights, means a·μ and variances a²σ² + s² (a Gaussian convolved with a Gaussian).
   */
  marginal(level: { readonly a: number; readonly s: number }): GaussianMixture {
    const { a, s } = level;
    const a2 = a * a;
    const s2 = s * s;
    return new GaussianMixture(
      this.dim,
      this.weights,
      this.means.map((m) => a * m),
      this.variances.map((v) => a2 * v + s2),
    );
  }

  /** Number of points in a flat array, checking that it is a whole number of rows. */
  count(x: Points): number {
    if (x.length % this.dim !== 0) {
      throw new ShapeError(`${x.length} values are not a whole number of ${this.dim}-D points`);
    }
    return x.length / this.dim;
  }

  /** log p(x_i) for each row (log-sum-exp over components). */
  logPdf(x: Points, out: Float64Array = new Float64Array(this.count(x))): Float64Array {
    this.evaluate(x, out, undefined, undefined, 1);
    return out;
  }

  /** ∇ log p(x_i) for each row, [n·dim]. */
  score(x: Points, out: Float64Array = new Float64Array(x.length)): Float64Array {
    this.evaluate(x, undefined, out, undefined, 1);
    return out;
  }

  /** Posterior component probabilities p(k | x_i), [n·K]. */
  responsibilities(
    x: Points,
    out: Float64Array = new Float64Array(this.count(x) * this.size),
  ): Float64Array {
    this.evaluate(x, undefined, undefined, out, 1);
    return out;
  }

  /**
   * The one kernel behind every batch method. For each row x it computes the component
   * terms l_k = log w_k + log N(x; μ_k, diag v_k), their log-sum-exp L = log p(x), and then
   * (when asked) r_k = exp(l_k − L) and the score Σ_k r_k (μ_k − x)/v_k, written as
   * `scoreScale ·` score into a float32 or float64 buffer (the denoiser uses −s to get ε).
   * Any output may be omitted.
   */
  evaluate(
    x: Points,
    logp: Float64Array | undefined,
    score: Float32Array | Float64Array | undefined,
    resp: Float64Array | undefined,
    scoreScale: number,
  ): void {
    const n = this.count(x);
    if (logp && logp.length < n) throw new ShapeError(`logp buffer holds ${logp.length} < ${n}`);
    if (score && score.length !== x.length) throw new ShapeError('score buffer must match x');
    if (resp && resp.length < n * this.size) {
      throw new ShapeError(`responsibility buffer holds ${resp.length} < ${n * this.size}`);
    }
    // The kernel sees float64 arrays only: one element type keeps its loops monomorphic,
    // which V8 runs several times faster than loops over mixed typed-array kinds.
    const xs = x instanceof Float64Array ? x : this.buffer('xBuf', x.length);
    if (xs !== x) xs.set(x);
    const gs =
      score === undefined || score instanceof Float64Array
        ? score
        : this.buffer('scoreBuf', x.length);
    this.kernel(xs, n, logp, gs, resp, scoreScale);
    if (score && gs !== score && gs) score.set(gs.subarray(0, score.length));
  }

  private kernel(
    x: Float64Array,
    n: number,
    logp: Float64Array | undefined,
    score: Float64Array | undefined,
    resp: Float64Array | undefined,
    scoreScale: number,
  ): void {
    const { dim, size: k, means, invVar, logConst, scratch: l } = this;
    for (let i = 0; i < n; i++) {
      const xo = i * dim;
      let max = -Infinity;
      for (let c = 0; c < k; c++) {
        const mo = c * dim;
        let q = 0;
        for (let d = 0; d < dim; d++) {
          const diff = x[xo + d] - means[mo + d];
          q += diff * diff * invVar[mo + d];
        }
        const lc = logConst[c] - 0.5 * q;
        l[c] = lc;
        if (lc > max) max = lc;
      }
      // Log-sum-exp around the largest term: no underflow however far x is from all means.
      let sum = 0;
      for (let c = 0; c < k; c++) {
        const e = Math.exp(l[c] - max);
        l[c] = e;
        sum += e;
      }
      if (logp) logp[i] = max + Math.log(sum);
      const inv = 1 / sum;
      if (resp) for (let c = 0; c < k; c++) resp[i * k + c] = l[c] * inv;
      if (score) {
        for (let d = 0; d < dim; d++) score[xo + d] = 0;
        for (let c = 0; c < k; c++) {
          const r = l[c] * inv * scoreScale;
          if (r === 0) continue; // an underflowed component contributes nothing
          const mo = c * dim;
          for (let d = 0; d < dim; d++)
            score[xo + d] += r * (means[mo + d] - x[xo + d]) * invVar[mo + d];
        }
      }
    }
  }

  /** A reusable float64 work buffer of at least `length` values (the class is not re-entrant). */
  private buffer(name: 'xBuf' | 'scoreBuf', length: number): Float64Array {
    let b = this[name];
    if (b.length < length) {
      b = new Float64Array(length);
      this[name] = b;
    }
    return b.length === length ? b : b.subarray(0, length);
  }

  /**
   * Exact samples: item i draws its component (inverse CDF of one uniform) and then its
   * `dim` normals from stream i of `rng`, so item i does not depend on the batch size.
   */
  sample(n: number, rng: BatchRandom): Tensor {
    if (rng.batch !== n)
      throw new InvalidOptionError(`sampling ${n} points from ${rng.batch} streams`);
    const out = new Float32Array(n * this.dim);
    const scratch = new Float64Array(this.dim);
    for (let i = 0; i < n; i++) {
      this.sampleOne(rng.streams[i], scratch);
      out.set(scratch, i * this.dim);
    }
    return new Tensor(out, [n, this.dim]);
  }

  /** One sample into `out` (float64) from one stream; returns its component. */
  sampleOne(stream: RandomStream, out: Float64Array): number {
    const u = stream.uniform();
    let c = 0;
    while (c < this.size - 1 && u > this.cumWeights[c]) c++;
    const mo = c * this.dim;
    for (let d = 0; d < this.dim; d++) {
      out[d] = this.means[mo + d] + Math.sqrt(this.variances[mo + d]) * stream.normal();
    }
    return c;
  }
}

/** The truth of a problem at t = 0: one mixture per class, the class priors and the target. */
export interface TrueMixtures {
  readonly classes: readonly GaussianMixture[];
  /** Class priors, normalised. */
  readonly classWeights: Float64Array;
  readonly target: number;
  /** p(x | target). */
  readonly cond: GaussianMixture;
  /** p(x) = Σ_c w_c p(x | c). */
  readonly uncond: GaussianMixture;
}

/** The model the sampler is given: its conditional (target class) and unconditional mixtures. */
export interface ModelMixtures {
  readonly cond: GaussianMixture;
  readonly uncond: GaussianMixture;
}

/** The true class mixtures, conditional and unconditional of a problem. */
export function trueMixtures(problem: Problem): TrueMixtures {
  const classes = problem.classes.map((_, c) => classMixture(problem, c, 1, undefined));
  return {
    classes,
    classWeights: Float64Array.from(problem.classes, (c) => c.weight),
    target: problem.target,
    cond: classes[problem.target],
    uncond: unconditionalMixture(problem, 1, undefined),
  };
}

/**
 * The model's conditional and unconditional mixtures. `exact`: the truth. `inflated`: stds
 * times `cond` / `uncond`, means jittered (the same jittered means in both models, as one
 * imperfect network would have). `onnx` has no closed form and is refused.
 */
export function modelMixtures(problem: Problem): ModelMixtures {
  const model = problem.model;
  switch (model.kind) {
    case 'exact': {
      const t = trueMixtures(problem);
      return { cond: t.cond, uncond: t.uncond };
    }
    case 'inflated': {
      const means = jitteredMeans(problem, model.jitter, model.jitterSeed);
      return {
        cond: classMixture(problem, problem.target, model.cond, means),
        uncond: unconditionalMixture(problem, model.uncond, means),
      };
    }
    case 'onnx':
      throw new ConfigError(
        `problem ${problem.name}: model kind "onnx" has no closed-form mixture (needs the network)`,
      );
  }
}

/** Component means moved by N(0, jitter²) noise; component j (counted over all classes) uses stream j. */
function jitteredMeans(problem: Problem, jitter: number, seed: number): Float64Array[][] {
  let j = 0;
  return problem.classes.map((c) =>
    c.components.map((comp) => {
      const stream = new RandomStream(streamKey(seed, j++));
      return Float64Array.from(comp.mean, (m) => m + (jitter > 0 ? jitter * stream.normal() : 0));
    }),
  );
}

function classMixture(
  problem: Problem,
  c: number,
  stdScale: number,
  means: Float64Array[][] | undefined,
): GaussianMixture {
  return GaussianMixture.fromComponents(
    problem.dim,
    problem.classes[c].components.map((comp, j) => ({
      weight: comp.weight,
      mean: means ? means[c][j] : comp.mean,
      variance: comp.std.map((s) => (s * stdScale) ** 2),
    })),
  );
}

function unconditionalMixture(
  problem: Problem,
  stdScale: number,
  means: Float64Array[][] | undefined,
): GaussianMixture {
  return GaussianMixture.fromComponents(
    problem.dim,
    problem.classes.flatMap((cls, c) =>
      cls.components.map((comp, j) => ({
        weight: cls.weight * comp.weight,
        mean: means ? means[c][j] : comp.mean,
        variance: comp.std.map((s) => (s * stdScale) ** 2),
      })),
    ),
  );
}
