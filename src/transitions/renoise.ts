import type { NoiseLevel } from '../core/noiseLevel.js';
import type { BatchRandom } from '../core/random.js';
import type { Tensor } from '../core/tensor.js';

/**
 * Forward-noise a sample from level `low` up to the noisier level `high` with fresh noise:
 * x_high = (a_h/a_l)·x_low + √(s_h² − (a_h/a_l)²·s_l²)·z — the exact VP transition
 * q(x_high | x_low), so an exact sample of q_low becomes an exact sample of q_high.
 */
export function renoise(x: Tensor, low: NoiseLevel, high: NoiseLevel, rng: BatchRandom): Tensor {
  const ratio = high.a / low.a;
  const std = Math.sqrt(Math.max(0, high.s * high.s - ratio * ratio * low.s * low.s));
  const z = rng.normal(x.shape);
  const out = new Float32Array(x.data.length);
  for (let j = 0; j < out.length; j++) out[j] = ratio * x.data[j] + std * z.data[j];
  return x.like(out);
}

/**
 * Deterministic DDIM inversion low → high with a given ε (evaluated at x_low):
 * x_high = a_h·(x_low − s_l·ε)/a_l + s_h·ε.
 */
export function invert(x: Tensor, eps: Tensor, low: NoiseLevel, high: NoiseLevel): Tensor {
  const out = new Float32Array(x.data.length);
  for (let j = 0; j < out.length; j++) {
    const e = eps.data[j];
    out[j] = (high.a * (x.data[j] - low.s * e)) / low.a + high.s * e;
  }
  return x.like(out);
}

/** Linear CFG combination ε_u + γ(ε_c − ε_u), used where a wrapper guides with its own weight. */
export function linearGuidance(cond: Tensor, uncond: Tensor | undefined, gamma: number): Tensor {
  if (!uncond || gamma === 1) return cond;
  const out = new Float32Array(cond.data.length);
  for (let j = 0; j < out.length; j++)
    out[j] = uncond.data[j] + gamma * (cond.data[j] - uncond.data[j]);
  return cond.like(out);
}
