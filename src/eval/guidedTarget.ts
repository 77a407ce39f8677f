import type { GaussianMixture, ModelMixtures } from '../denoisers/gaussianMixture.js';
import { InvalidOptionError } from '../core/errors.js';
import { BatchRandom, RandomStream, checkSeed, streamKey } from '../core/random.js';
import { Tensor } from '../core/tensor.js';

/**
 * Samples from the guided target of a model,
 *
 *     π₀ʷ(x) ∝ p_c(x)^w · p_u(x)^(1−w)        (w ≥ 0)
 *
 * with p_c, p_u the model's conditional and unconditional mixtures at t = 0: what CFG
 * with weight w "means". No sampler is involved; this is the reference that guided
 * samplers are measured against.
 *
 * Method, in two stages:
 *
 * 1. Sampling-importance-resampling. Draw a pool of points from a proposal q and resample
 *    n of them (systematic resampling) with weights π/q:
 *    - w ≥ 1: q = p_c, log-weight (w − 1)(log p_c − log p_u);
 *    - w < 1: q = p_u, log-weight w(log p_c − log p_u) — p_c cannot propose the other
 *      classes' modes that π₀ʷ has for w < 1.
 *    When p_u contains p_c as a component of weight w_t (exact and inflated-equally
 *    models), the weights are bounded by w_t^−(w−1) (resp. w_t^−w), so SIR is exact
 *    as the pool grows. The pool starts at `poolFactor·n` and doubles until the effective
 *    sample size (Σw)²/Σw² reaches `minEss` (default n) or the pool reaches
 *    `maxPoolFactor·n`: at large w the weights are uneven (a narrower π than p_c, e.g. with
 *    an inflated model), and the masses of the modes are only as good as that ESS.
 *    Pool item j is drawn from its own stream, so only its log-weight is stored and the
 *    n resampled points are drawn again (memory O(pool), not O(pool·dim)).
 * 2. MALA (Metropolis-adjusted Langevin) from the resampled points, one chain per
 *    sample, with the exact score ∇log π = w∇log p_c + (1 − w)∇log p_u and a fixed
 *    diagonal preconditioner C (the proposal mixture's weighted mean component variance):
 *        y = x + τ·C·∇log π(x) + √(2τ)·C^½·ξ,   accepted with the Metropolis–Hastings ratio.
 *    During `burnIn` steps the one shared step τ is adapted (Robbins–Monro on log τ) toward
 *    an acceptance of 0.574 (the optimal MALA rate); then it is frozen for `steps` more.
 *    A frozen-τ MALA kernel leaves π invariant, so it can only move the SIR sample closer
 *    to π: it refines the within-mode shape, while the between-mode masses come from SIR
 *    (MALA rarely crosses between separated modes).
 *
 * Deterministic given (model, w, n, seed, options): pool item j, chain i and the
 * resampling each have their own stream, derived from `seed`.
 */

export interface GuidedTargetOptions {
  /** Guidance weight w ≥ 0 (1 = the model's conditional). */
  readonly w: number;
  /** Number of samples. */
  readonly n: number;
  readonly seed: number;
  /** Initial pool size as a multiple of n (default 32). */
  readonly poolFactor?: number;
  /** The pool stops doubling at this multiple of n (default 1024). */
  readonly maxPoolFactor?: number;
  /** Effective sample size the pool grows to reach (default n). */
  readonly minEss?: number;
  /** MALA steps that adapt the step size (default 100). */
  readonly burnIn?: number;
  /** MALA steps with the step size frozen (default 100). */
  readonly steps?: number;
  /** Acceptance rate the burn-in aims at (default 0.574). */
  readonly targetAcceptance?: number;
}

export interface GuidedTargetResult {
  /** [n, dim] samples of π₀ʷ. */
  readonly samples: Tensor;
  readonly w: number;
  /** The SIR proposal: the model's conditional (w ≥ 1) or unconditional (w < 1). */
  readonly proposal: 'cond' | 'uncond';
  /** Final pool size. */
  readonly pool: number;
  /** Effective sample size of the importance weights, (Σw)²/Σw², out of `pool`. */
  readonly ess: number;
  /** Final MALA step τ (in units of the preconditioner). */
  readonly stepSize: number;
  /** Mean acceptance rate over the frozen-step MALA steps (NaN if steps = 0). */
  readonly acceptance: number;
  /** Mean acceptance rate over the burn-in (NaN if burnIn = 0). */
  readonly burnInAcceptance: number;
}

const DEFAULTS = {
  poolFactor: 32,
  maxPoolFactor: 1024,
  burnIn: 100,
  steps: 100,
  targetAcceptance: 0.574,
};

/** Stream tags that separate the seed's uses (any distinct constants would do). */
const POOL_TAG = 0x70001;
const RESAMPLE_TAG = 0x70002;
const MALA_TAG = 0x70003;

export function sampleGuidedTarget(
  model: ModelMixtures,
  options: GuidedTargetOptions,
): GuidedTargetResult {
  const { w, n, seed } = options;
  const poolFactor = options.poolFactor ?? DEFAULTS.poolFactor;
  const maxPoolFactor = options.maxPoolFactor ?? Math.max(poolFactor, DEFAULTS.maxPoolFactor);
  const minEss = options.minEss ?? n;
  const burnIn = options.burnIn ?? DEFAULTS.burnIn;
  const steps = options.steps ?? DEFAULTS.steps;
  const targetAcceptance = options.targetAcceptance ?? DEFAULTS.targetAcceptance;
  if (!Number.isFinite(w) || w < 0)
    throw new InvalidOptionError(`guidance weight must be ≥ 0, got ${w}`);
  for (const [name, v, min] of [
    ['n', n, 1],
    ['poolFactor', poolFactor, 1],
    ['maxPoolFactor', maxPoolFactor, poolFactor],
    ['burnIn', burnIn, 0],
    ['steps', steps, 0],
  ] as const) {
    if (!Number.isInteger(v) || v < min)
      throw new InvalidOptionError(`${name} must be an integer ≥ ${min}, got ${v}`);
  }
  if (!(minEss >= 0)) throw new InvalidOptionError(`minEss must be ≥ 0, got ${minEss}`);
  if (!(targetAcceptance > 0 && targetAcceptance < 1)) {
    throw new InvalidOptionError(`targetAcceptance must be in (0, 1), got ${targetAcceptance}`);
  }
  checkSeed(seed);
  checkNormalisable(model, w);

  const target = new GuidedDensity(model, w);
  const proposal = w >= 1 ? model.cond : model.uncond;
  const sir = importanceResample(
    target,
    proposal,
    n,
    poolFactor * n,
    maxPoolFactor * n,
    minEss,
    seed,
  );
  const chain = mala(target, proposal, sir.points, n, seed, burnIn, steps, targetAcceptance);
  return {
    samples: new Tensor(Float32Array.from(chain.points), [n, model.cond.dim]),
    w,
    proposal: w >= 1 ? 'cond' : 'uncond',
    pool: sir.pool,
    ess: sir.ess,
    stepSize: chain.stepSize,
    acceptance: chain.acceptance,
    burnInAcceptance: chain.burnInAcceptance,
  };
}

/**
 * Refuse weights for which π₀ʷ has no finite mass. Along axis d the tails of p_c and p_u
 * fall like exp(−x²/2v) with v their largest component variance, so π₀ʷ falls like
 * exp(−x²/2·(w/v_c − (w−1)/v_u)); that rate must be positive. (This happens only when the
 * conditional model is wider than the unconditional one and w is large.)
 */
export function checkNormalisable(model: ModelMixtures, w: number): void {
  if (w <= 1) return; // a geometric mean of two densities (w ∈ [0, 1]) always is.
  const vc = maxVariances(model.cond);
  const vu = maxVariances(model.uncond);
  for (let d = 0; d < vc.length; d++) {
    if (!(w / vc[d] - (w - 1) / vu[d] > 0)) {
      throw new InvalidOptionError(
        `the guided target p_c^w·p_u^(1−w) is not normalisable at w = ${w}: along dimension ${d} the ` +
          `conditional model is wider (variance ${vc[d]}) than the unconditional one (${vu[d]})`,
      );
    }
  }
}

function maxVariances(m: GaussianMixture): Float64Array {
  const out = new Float64Array(m.dim);
  for (let c = 0; c < m.size; c++) {
    for (let d = 0; d < m.dim; d++) out[d] = Math.max(out[d], m.variances[c * m.dim + d]);
  }
  return out;
}

/** log π₀ʷ (unnormalised) and its gradient for a batch, with buffers kept between calls. */
class GuidedDensity {
  readonly dim: number;
  private lc = new Float64Array(0);
  private lu = new Float64Array(0);
  private sc = new Float64Array(0);
  private su = new Float64Array(0);

  constructor(
    readonly model: ModelMixtures,
    readonly w: number,
  ) {
    this.dim = model.cond.dim;
  }

  /** log p_c and log p_u (for importance weights). */
  logParts(x: Float64Array): { lc: Float64Array; lu: Float64Array } {
    return { lc: this.model.cond.logPdf(x), lu: this.model.uncond.logPdf(x) };
  }

  /** logπ(x_i) into `logp` and ∇logπ(x_i) into `grad`; a term with zero exponent is skipped. */
  evaluate(x: Float64Array, logp: Float64Array, grad: Float64Array): void {
    const n = x.length / this.dim;
    if (this.lc.length !== n) {
      this.lc = new Float64Array(n);
      this.lu = new Float64Array(n);
      this.sc = new Float64Array(n * this.dim);
      this.su = new Float64Array(n * this.dim);
    }
    const { w, lc, lu, sc, su } = this;
    const useC = w !== 0;
    const useU = w !== 1;
    if (useC) this.model.cond.evaluate(x, lc, sc, undefined, 1);
    if (useU) this.model.uncond.evaluate(x, lu, su, undefined, 1);
    for (let i = 0; i < n; i++) logp[i] = (useC ? w * lc[i] : 0) + (useU ? (1 - w) * lu[i] : 0);
    for (let j = 0; j < x.length; j++)
      grad[j] = (useC ? w * sc[j] : 0) + (useU ? (1 - w) * su[j] : 0);
  }
}

/** Rows evaluated per batch while the pool is drawn. */
const POOL_CHUNK = 4096;

/** Stage 1: a growing pool from the proposal, then systematic resampling by π/q. */
function importanceResample(
  target: GuidedDensity,
  proposal: GaussianMixture,
  n: number,
  initialPool: number,
  maxPool: number,
  minEss: number,
  seed: number,
): { points: Float64Array; ess: number; pool: number } {
  const dim = proposal.dim;
  const poolSeed = streamKey(seed, POOL_TAG);
  const draw = (j: number, out: Float64Array): void => {
    proposal.sampleOne(new RandomStream(streamKey(poolSeed, j)), out);
  };
  // log π − log q = (w−1)(log p_c − log p_u) for q = p_c, w(log p_c − log p_u) for q = p_u.
  const exponent = target.w >= 1 ? target.w - 1 : target.w;
  const chunk = new Float64Array(POOL_CHUNK * dim);
  const row = new Float64Array(dim);
  let lw: Float64Array = new Float64Array(0);
  const extend = (size: number): void => {
    const grown = new Float64Array(size);
    grown.set(lw);
    // With a zero exponent (w = 0 or 1) every weight is 1: nothing needs to be drawn.
    if (exponent !== 0) {
      for (let from = lw.length; from < size; from += POOL_CHUNK) {
        const to = Math.min(size, from + POOL_CHUNK);
        for (let j = from; j < to; j++) {
          draw(j, row);
          chunk.set(row, (j - from) * dim);
        }
        const { lc, lu } = target.logParts(chunk.subarray(0, (to - from) * dim));
        for (let j = from; j < to; j++) grown[j] = exponent * (lc[j - from] - lu[j - from]);
      }
    }
    lw = grown;
  };
  extend(initialPool);
  let { ess, weights } = normalisedWeights(lw);
  while (ess < minEss && lw.length < maxPool) {
    extend(Math.min(2 * lw.length, maxPool));
    ({ ess, weights } = normalisedWeights(lw));
  }
  const pool = lw.length;
  // Systematic resampling: one uniform, n evenly spaced points on the weights' CDF.
  const u = new RandomStream(streamKey(seed, RESAMPLE_TAG)).uniform();
  const out = new Float64Array(n * dim);
  let j = 0;
  let cum = weights[0];
  for (let i = 0; i < n; i++) {
    const point = (i + u) / n;
    while (cum < point && j < pool - 1) cum += weights[++j];
    draw(j, row);
    out.set(row, i * dim);
  }
  return { points: out, ess, pool };
}

/** exp(lw − max) normalised to sum 1, and the effective sample size (Σw)²/Σw². */
function normalisedWeights(lw: Float64Array): { weights: Float64Array; ess: number } {
  let max = -Infinity;
  for (let j = 0; j < lw.length; j++) if (lw[j] > max) max = lw[j];
  const weights = new Float64Array(lw.length);
  let sum = 0;
  let sum2 = 0;
  for (let j = 0; j < lw.length; j++) {
    const v = Math.exp(lw[j] - max);
    weights[j] = v;
    sum += v;
    sum2 += v * v;
  }
  for (let j = 0; j < lw.length; j++) weights[j] /= sum;
  return { weights, ess: (sum * sum) / sum2 };
}

/** Stage 2: preconditioned MALA, one chain per sample, step adapted during burn-in. */
function mala(
  target: GuidedDensity,
  proposal: GaussianMixture,
  start: Float64Array,
  n: number,
  seed: number,
  burnIn: number,
  steps: number,
  targetAcceptance: number,
): { points: Float64Array; stepSize: number; acceptance: number; burnInAcceptance: number } {
  const dim = target.dim;
  // C = Σ_k w_k v_k: the local scale of the modes, not the spread between them.
  const precond = new Float64Array(dim);
  for (let c = 0; c < proposal.size; c++) {
    for (let d = 0; d < dim; d++)
      precond[d] += proposal.weights[c] * proposal.variances[c * dim + d];
  }
  const sqrtC = precond.map(Math.sqrt);
  const rng = new BatchRandom(streamKey(seed, MALA_TAG), n);

  const x = Float64Array.from(start);
  const lx = new Float64Array(n);
  const gx = new Float64Array(n * dim);
  const y = new Float64Array(n * dim);
  const ly = new Float64Array(n);
  const gy = new Float64Array(n * dim);
  target.evaluate(x, lx, gx);

  // Roberts & Rosenthal (1998): for a standard Gaussian the best step scales as d^(−1/3).
  let logTau = Math.log(1.36 * Math.pow(dim, -1 / 3));
  let burnSum = 0;
  let sampleSum = 0;
  for (let t = 0; t < burnIn + steps; t++) {
    const tau = Math.exp(logTau);
    const noise = Math.sqrt(2 * tau);
    for (let i = 0; i < n; i++) {
      const s = rng.streams[i];
      for (let o = i * dim, d = 0; d < dim; d++, o++) {
        y[o] = x[o] + tau * precond[d] * gx[o] + noise * sqrtC[d] * s.normal();
      }
    }
    target.evaluate(y, ly, gy);
    let accepted = 0;
    for (let i = 0; i < n; i++) {
      // log q(x|y) − log q(y|x), q(b|a) = N(b; a + τC∇logπ(a), 2τC).
      let fwd = 0;
      let back = 0;
      for (let o = i * dim, d = 0; d < dim; d++, o++) {
        const f = y[o] - x[o] - tau * precond[d] * gx[o];
        const b = x[o] - y[o] - tau * precond[d] * gy[o];
        fwd += (f * f) / precond[d];
        back += (b * b) / precond[d];
      }
      const logAlpha = ly[i] - lx[i] + (fwd - back) / (4 * tau);
      if (Math.log(rng.streams[i].uniform()) < logAlpha) {
        accepted++;
        lx[i] = ly[i];
        x.set(y.subarray(i * dim, (i + 1) * dim), i * dim);
        gx.set(gy.subarray(i * dim, (i + 1) * dim), i * dim);
      }
    }
    const rate = accepted / n;
    if (t < burnIn) {
      burnSum += rate;
      // Robbins–Monro with decaying gain; frozen after the burn-in so the kernel is fixed.
      logTau += (2 / Math.sqrt(t + 1)) * (rate - targetAcceptance);
    } else {
      sampleSum += rate;
    }
  }
  return {
    points: x,
    stepSize: Math.exp(logTau),
    acceptance: steps > 0 ? sampleSum / steps : NaN,
    burnInAcceptance: burnIn > 0 ? burnSum / burnIn : NaN,
  };
}
