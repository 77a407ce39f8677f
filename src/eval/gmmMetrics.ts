import type { TrueMixtures } from '../denoisers/gaussianMixture.js';
import { InvalidOptionError, ShapeError } from '../core/errors.js';
import { Tensor } from '../core/tensor.js';

/**
 * Metrics that only a ground-truth mixture allows, for samples meant to come from the
 * target class (all with the true mixtures at t = 0):
 *
 * - adherence = mean_i p(target | x_i), the true class posterior with the class weights
 *   as priors: w_t p_t(x) / Σ_c w_c p_c(x);
 * - nll = mean_i −log p(x_i | target), the true conditional's negative log-density;
 * - coverage = fraction of the target class's components that receive at least half
 *   their expected share: each sample goes to the component of the true conditional with
 *   the largest responsibility, and component k is covered iff count_k ≥ ½·w_k·n.
 */
export interface GmmMetrics {
  readonly adherence: number;
  readonly nll: number;
  readonly coverage: number;
  /** Samples assigned to each component of the target class. */
  readonly componentCounts: readonly number[];
}

export function gmmMetrics(
  points: Float32Array | Float64Array | Tensor,
  truth: TrueMixtures,
): GmmMetrics {
  const { cond, classes, classWeights, target } = truth;
  if (points instanceof Tensor && (points.shape.length !== 2 || points.shape[1] !== cond.dim)) {
    throw new ShapeError(`gmmMetrics expects [n, ${cond.dim}], got [${points.shape.join(', ')}]`);
  }
  const samples = points instanceof Tensor ? points.data : points;
  const n = cond.count(samples);
  if (n === 0) throw new InvalidOptionError('gmmMetrics needs at least one sample');

  // log w_c + log p_c(x) for every class; the posterior is a softmax over classes.
  const logJoint = classes.map((mix, c) => {
    const lp = mix.logPdf(samples);
    const lw = Math.log(classWeights[c]);
    for (let i = 0; i < n; i++) lp[i] += lw;
    return lp;
  });
  let adherence = 0;
  for (let i = 0; i < n; i++) {
    let max = -Infinity;
    for (const lj of logJoint) if (lj[i] > max) max = lj[i];
    let sum = 0;
    for (const lj of logJoint) sum += Math.exp(lj[i] - max);
    adherence += Math.exp(logJoint[target][i] - max) / sum;
  }

  const logCond = cond.logPdf(samples);
  let nll = 0;
  for (let i = 0; i < n; i++) nll -= logCond[i];

  const k = cond.size;
  const resp = cond.responsibilities(samples);
  const counts = new Array<number>(k).fill(0);
  for (let i = 0; i < n; i++) {
    let arg = 0;
    for (let c = 1; c < k; c++) if (resp[i * k + c] > resp[i * k + arg]) arg = c;
    counts[arg]++;
  }
  let covered = 0;
  for (let c = 0; c < k; c++) if (counts[c] >= 0.5 * cond.weights[c] * n) covered++;

  return { adherence: adherence / n, nll: nll / n, coverage: covered / k, componentCounts: counts };
}
