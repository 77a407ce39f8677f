import type { Tensor } from './tensor.js';
import type { NoiseLevel } from './noiseLevel.js';

/** x̂0 = (x − s·ε)/a. */
export function x0FromEps(x: Tensor, eps: Tensor, level: NoiseLevel): Tensor {
  const out = new Float32Array(x.data.length);
  const xd = x.data;
  const ed = eps.data;
  const { a, s } = level;
  for (let j = 0; j < out.length; j++) out[j] = (xd[j] - s * ed[j]) / a;
  return x.like(out);
}

/** ε = (x − a·x̂0)/s. */
export function epsFromX0(x: Tensor, x0: Tensor, level: NoiseLevel): Tensor {
  const out = new Float32Array(x.data.length);
  const { a, s } = level;
  for (let j = 0; j < out.length; j++) out[j] = (x.data[j] - a * x0.data[j]) / s;
  return x.like(out);
}
