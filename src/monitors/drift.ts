import type { Predictions } from '../core/denoiser.js';
import { x0FromEps } from '../core/convert.js';
import type { NoiseLevel } from '../core/noiseLevel.js';
import type { Tensor } from '../core/tensor.js';

/**
 * The clean estimates the drift ratio compares: the conditional x̂0_c and the guided x̂0_w
 * at a given weight, x̂0_w = x̂0_c + (w − 1)(x̂0_c − x̂0_u) (docs/diffier.md §1, drift ratio).
 * Without an unconditional prediction (the gate skipped it) x̂0_w is x̂0_c.
 */
export interface CleanEstimates {
  readonly cond: Float32Array;
  readonly guided: Float32Array;
}

export function cleanEstimates(
  x: Tensor,
  raw: Predictions,
  level: NoiseLevel,
  weights: Float64Array | number,
): CleanEstimates {
  const cond = x0FromEps(x, raw.cond, level).data;
  if (!raw.uncond) return { cond, guided: cond };
  const uncond = x0FromEps(x, raw.uncond, level).data;
  const guided = new Float32Array(cond.length);
  const n = cond.length / x.batch;
  for (let i = 0; i < x.batch; i++) {
    const wm1 = (typeof weights === 'number' ? weights : weights[i]) - 1;
    for (let j = i * n; j < (i + 1) * n; j++) guided[j] = cond[j] + wm1 * (cond[j] - uncond[j]);
  }
  return { cond, guided };
}

/**
 * Per-sample drift ratio r = |x̂0_w(now) − x̂0_w(prev)| / |x̂0_c(now) − x̂0_c(prev)|.
 * A consistent trajectory's clean estimate moves little; guidance that fights the
 * diffusion makes the guided one jump. r = 1 when nothing moved at all (0/0).
 */
export function driftRatios(
  now: CleanEstimates,
  prev: CleanEstimates,
  batch: number,
): Float64Array {
  const n = now.cond.length / batch;
  const r = new Float64Array(batch);
  for (let i = 0; i < batch; i++) {
    let dg = 0;
    let dc = 0;
    for (let j = i * n; j < (i + 1) * n; j++) {
      const g = now.guided[j] - prev.guided[j];
      const c = now.cond[j] - prev.cond[j];
      dg += g * g;
      dc += c * c;
    }
    r[i] = dc === 0 ? (dg === 0 ? 1 : Infinity) : Math.sqrt(dg / dc);
  }
  return r;
}

/**
 * The drift ratios of consecutive steps of one trajectory, for monitors that see every step:
 * the same quantities as cleanEstimates + driftRatios, in one pass per step over two pairs
 * of buffers that are reused (the monitor runs at every step, outside the network call, so
 * its passes and allocations are the sampler's overhead).
 */
export class DriftTracker {
  private cond = new Float32Array(0);
  private guided = new Float32Array(0);
  private prevCond = new Float32Array(0);
  private prevGuided = new Float32Array(0);
  private started = false;

  /** Ratios against the previous call's estimates; undefined at the first call. */
  update(x: Tensor, raw: Predictions, level: NoiseLevel, w: number): Float64Array | undefined {
    const len = x.data.length;
    [this.cond, this.prevCond] = [this.prevCond, this.cond];
    [this.guided, this.prevGuided] = [this.prevGuided, this.guided];
    if (this.cond.length !== len) {
      this.cond = new Float32Array(len);
      this.guided = new Float32Array(len);
    }
    const { cond, guided, prevCond, prevGuided } = this;
    const hasPrev = this.started && prevCond.length === len;
    const xd = x.data;
    const c = raw.cond.data;
    const u = raw.uncond?.data;
    const sa = level.s / level.a;
    const ia = 1 / level.a;
    const batch = x.batch;
    const n = len / batch;
    const ratios = new Float64Array(batch);
    for (let i = 0; i < batch; i++) {
      let dg = 0;
      let dc = 0;
      for (let j = i * n; j < (i + 1) * n; j++) {
        const xc = xd[j] * ia - sa * c[j];
        // x̂0_w = x̂0_c + (w − 1)(x̂0_c − x̂0_u), with x̂0_c − x̂0_u = −(s/a)(ε_c − ε_u).
        const xg = u ? xc - (w - 1) * sa * (c[j] - u[j]) : xc;
        cond[j] = xc;
        guided[j] = xg;
        if (hasPrev) {
          dg += (xg - prevGuided[j]) ** 2;
          dc += (xc - prevCond[j]) ** 2;
        }
      }
      ratios[i] = dc === 0 ? (dg === 0 ? 1 : Infinity) : Math.sqrt(dg / dc);
    }
    this.started = true;
    return hasPrev ? ratios : undefined;
  }
}
