import { InvalidOptionError, ShapeError } from '../core/errors.js';
import { Tensor } from '../core/tensor.js';

/** Points as flat rows of `dim` values, or a [n, dim] tensor. */
export type Rows = Float32Array | Float64Array | Tensor;

export function flatRows(x: Rows): Float32Array | Float64Array {
  return x instanceof Tensor ? x.data : x;
}

/** Number of rows of `dim` values, checked; at least `min` (the metric's own minimum). */
export function rowCount(x: Rows, dim: number, what: string, min = 1): number {
  if (!Number.isInteger(dim) || dim < 1)
    throw new InvalidOptionError(`dim must be ≥ 1, got ${dim}`);
  if (x instanceof Tensor && (x.shape.length !== 2 || x.shape[1] !== dim)) {
    throw new ShapeError(`${what}: expected [n, ${dim}], got [${x.shape.join(', ')}]`);
  }
  const len = flatRows(x).length;
  if (len % dim !== 0) throw new ShapeError(`${what}: ${len} values are not rows of ${dim}`);
  const n = len / dim;
  if (n < min) throw new InvalidOptionError(`${what}: needs ≥ ${min} points, got ${n}`);
  return n;
}
