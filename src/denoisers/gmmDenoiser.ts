import type { Problem } from './problem.js';
import { ShapeError } from '../core/errors.js';
import type { NoiseLevel } from '../core/noiseLevel.js';
import { Tensor } from '../core/tensor.js';
import { GaussianMixture, modelMixtures, trueMixtures } from './gaussianMixture.js';
import type { Denoiser, PredictionRequest, Predictions } from '../core/denoiser.js';

/** Marginals cached per mixture; a sampling run touches a few hundred levels at most. */
const CACHE_LIMIT = 1024;

/**
 * The exact noise prediction of a Gaussian mixture: the optimal ε-predictor of
 * x_t = a·x0 + s·ε is E[ε | x_t] = −s·∇log q_t(x_t) (Tweedie), and q_t is again a mixture
 * (GaussianMixture.marginal), so ε is closed-form at every level. `cond` and `uncond` are
 * the mixtures the "network" was trained on — the model's, not necessarily the truth.
 */
export class GmmDenoiser implements Denoiser {
  readonly itemShape: readonly number[];
  private readonly condCache = new Map<string, GaussianMixture>();
  private readonly uncondCache = new Map<string, GaussianMixture>();

  constructor(
    readonly cond: GaussianMixture,
    readonly uncond: GaussianMixture,
  ) {
    if (cond.dim !== uncond.dim) {
      throw new ShapeError(`conditional mixture is ${cond.dim}-D, unconditional ${uncond.dim}-D`);
    }
    this.itemShape = [cond.dim];
  }

  /** The model the benchmark samples with (exact or inflated/jittered). */
  static forModel(problem: Problem): GmmDenoiser {
    const m = modelMixtures(problem);
    return new GmmDenoiser(m.cond, m.uncond);
  }

  /** The truth: its ε gives the exact score used to measure the true gap. */
  static forTruth(problem: Problem): GmmDenoiser {
    const t = trueMixtures(problem);
    return new GmmDenoiser(t.cond, t.uncond);
  }

  async predict(x: Tensor, level: NoiseLevel, request: PredictionRequest): Promise<Predictions> {
    return this.predictSync(x, level, request);
  }

  /** The same as `predict`, without the promise (for tight loops in tests and the benchmark). */
  predictSync(x: Tensor, level: NoiseLevel, request: PredictionRequest): Predictions {
    const dim = this.itemShape[0];
    if (x.shape.length !== 2 || x.shape[1] !== dim) {
      throw new ShapeError(`GmmDenoiser expects [batch, ${dim}], got [${x.shape.join(', ')}]`);
    }
    const cond = this.eps(this.cond, this.condCache, x, level);
    if (request === 'cond') return { cond };
    return { cond, uncond: this.eps(this.uncond, this.uncondCache, x, level) };
  }

  private eps(
    mixture: GaussianMixture,
    cache: Map<string, GaussianMixture>,
    x: Tensor,
    level: NoiseLevel,
  ): Tensor {
    const key = `${level.a},${level.s}`;
    let q = cache.get(key);
    if (!q) {
      if (cache.size >= CACHE_LIMIT) cache.clear();
      q = mixture.marginal(level);
      cache.set(key, q);
    }
    const out = new Float32Array(x.data.length);
    // ε = −s · ∇log q_t(x), written straight into the float32 output.
    q.evaluate(x.data, undefined, out, undefined, -level.s);
    return new Tensor(out, x.shape);
  }
}
