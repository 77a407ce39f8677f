import type { Predictions } from '../denoisers/types.js';
import { x0FromEps } from '../sampling/convert.js';
import type { NoiseLevel } from '../sampling/noiseLevel.js';
import type { Tensor } from '../tensor/tensor.js';

/**
 * The clean estimates the drift ratio compares: the conditional x̂0_c and the guided x̂0_w
 * at a given weight, x̂0_w = x̂0_c + (w − 1)(x̂0_c − x̂0_u) (diffier-method.md §1b).
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
