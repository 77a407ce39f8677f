import type { NoiseLevel } from '../core/noiseLevel.js';
import type { Tensor } from '../core/tensor.js';

/**
 * The training–inference gap of one sample at one step: the loss the network was trained
 * on (ε-prediction, mean over elements), evaluated on the iterate with the sampler's own
 * decomposition of it as the training pair. The previous step built x_t from a clean
 * estimate x̂0; the noise it left in x_t is ε̂ = (x_t − a_t·x̂0)/s_t, and a network that
 * sees x_t as a training input should predict that noise:
 *
 *     g_t = mean_j (ε_c(x_t) − ε̂)_j²
 *
 * It is defined for a batch of one, needs only ε_c(x_t) (which the step evaluates anyway)
 * and is zero for a sample the conditional model fully agrees with.
 */
export function trainingLoss(
  x: Tensor,
  x0: Tensor,
  epsCond: Tensor,
  level: NoiseLevel,
): Float64Array {
  const n = x.batch;
  const d = x.itemSize;
  const out = new Float64Array(n);
  const { a, s } = level;
  for (let i = 0; i < n; i++) {
    let acc = 0;
    for (let j = i * d; j < (i + 1) * d; j++) {
      const r = epsCond.data[j] - (x.data[j] - a * x0.data[j]) / s;
      acc += r * r;
    }
    out[i] = acc / d;
  }
  return out;
}

/**
 * Tracks g_t per sample along a run. The gap of a step is the training loss at the point
 * its guided prediction lands on: measured by the transition itself when it evaluated
 * there (DiffIER's corrector does), else by the next step's conditional evaluation when
 * the step was deterministic and the next evaluation is at its output. Fresh noise is
 * not part of it (no network can predict it), so stochastic steps whose landing point
 * was never evaluated have no value (NaN).
 */
export class TrainingGapTracker {
  private prev: { x: Tensor; x0: Tensor } | undefined;
  /** Σ_t g_t per sample over the steps where it is defined. */
  accumulated: Float64Array | undefined;

  /** g per sample attributed to this step's observation (NaN where undefined). */
  update(p: {
    readonly xIn: Tensor;
    readonly epsCond: Tensor;
    readonly level: NoiseLevel;
    readonly x: Tensor;
    readonly x0Out: Tensor;
    readonly deterministic: boolean;
    readonly landingGap?: Float64Array;
  }): Float64Array {
    const n = p.xIn.batch;
    const lagged =
      this.prev && this.prev.x === p.xIn && p.level.s > 0
        ? trainingLoss(p.xIn, this.prev.x0, p.epsCond, p.level)
        : undefined;
    const g = new Float64Array(n).fill(NaN);
    for (let i = 0; i < n; i++) {
      const parts = [lagged?.[i] ?? NaN, p.landingGap?.[i] ?? NaN].filter((v) => !Number.isNaN(v));
      if (parts.length > 0) g[i] = parts.reduce((a, b) => a + b, 0);
    }
    this.accumulated ??= new Float64Array(n);
    for (let i = 0; i < n; i++) if (!Number.isNaN(g[i])) this.accumulated[i] += g[i];
    this.prev = p.deterministic && !p.landingGap ? { x: p.x, x0: p.x0Out } : undefined;
    return g;
  }
}
