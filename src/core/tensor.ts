import { NonFiniteError, ShapeError } from './errors.js';

/**
 * A dense, row-major float32 tensor whose first axis is the batch.
 * Deliberately tiny: the maths of the library is written as loops over `data`,
 * and this type only carries the shape and checks it.
 */
export class Tensor {
  readonly data: Float32Array;
  readonly shape: readonly number[];

  constructor(data: Float32Array, shape: readonly number[]) {
    const size = shape.reduce((a, b) => a * b, 1);
    if (shape.some((d) => !Number.isInteger(d) || d < 0)) {
      throw new ShapeError(`invalid shape [${shape.join(', ')}]`);
    }
    if (size !== data.length) {
      throw new ShapeError(`shape [${shape.join(', ')}] needs ${size} values, got ${data.length}`);
    }
    this.data = data;
    this.shape = [...shape];
  }

  static zeros(shape: readonly number[]): Tensor {
    return new Tensor(new Float32Array(shape.reduce((a, b) => a * b, 1)), shape);
  }

  /** Build a [rows, cols] tensor from nested arrays. */
  static fromRows(rows: readonly (readonly number[])[]): Tensor {
    const cols = rows[0]?.length ?? 0;
    const data = new Float32Array(rows.length * cols);
    rows.forEach((row, i) => {
      if (row.length !== cols)
        throw new ShapeError(`row ${i} has ${row.length} values, expected ${cols}`);
      data.set(row, i * cols);
    });
    return new Tensor(data, [rows.length, cols]);
  }

  get batch(): number {
    return this.shape[0] ?? 0;
  }

  /** Number of values per batch item. */
  get itemSize(): number {
    return this.batch === 0 ? 0 : this.data.length / this.batch;
  }

  clone(): Tensor {
    return new Tensor(new Float32Array(this.data), this.shape);
  }

  /** A tensor of the same shape over new data. */
  like(data: Float32Array = new Float32Array(this.data.length)): Tensor {
    return new Tensor(data, this.shape);
  }

  /**
   * Items [start, end) of the batch as a view on the same buffer (no copy): for buffers that
   * nothing writes to afterwards, such as a network's fresh output.
   */
  viewBatch(start: number, end: number): Tensor {
    const n = this.itemSize;
    return new Tensor(this.data.subarray(start * n, end * n), [
      end - start,
      ...this.shape.slice(1),
    ]);
  }

  /** Items [start, end) of the batch, as a copy. */
  sliceBatch(start: number, end: number): Tensor {
    const n = this.itemSize;
    return new Tensor(this.data.slice(start * n, end * n), [end - start, ...this.shape.slice(1)]);
  }

  /** Item i as nested plain numbers (for JSON). */
  row(i: number): number[] {
    const n = this.itemSize;
    return Array.from(this.data.subarray(i * n, (i + 1) * n));
  }

  toRows(): number[][] {
    return Array.from({ length: this.batch }, (_, i) => this.row(i));
  }
}

/** Throw unless the two tensors have identical shapes. */
export function assertSameShape(a: Tensor, b: Tensor, what = 'tensors'): void {
  if (a.shape.length !== b.shape.length || a.shape.some((d, i) => d !== b.shape[i])) {
    throw new ShapeError(`${what}: shape [${a.shape.join(', ')}] ≠ [${b.shape.join(', ')}]`);
  }
}

/** Throw a NonFiniteError naming `what` if any value is NaN or ±Inf. */
export function assertFinite(t: Tensor, what: string): void {
  const d = t.data;
  for (let i = 0; i < d.length; i++) {
    if (!Number.isFinite(d[i])) {
      const item = Math.floor(i / Math.max(1, t.itemSize));
      throw new NonFiniteError(`${what} contains ${d[i]} (batch item ${item})`);
    }
  }
}

/** Concatenate tensors along the batch axis. */
export function concatBatch(parts: readonly Tensor[]): Tensor {
  if (parts.length === 0) throw new ShapeError('concatBatch needs at least one tensor');
  const tail = parts[0].shape.slice(1);
  let total = 0;
  for (const p of parts) {
    if (p.shape.length !== tail.length + 1 || p.shape.slice(1).some((d, i) => d !== tail[i])) {
      throw new ShapeError(
        `concatBatch: item shape [${p.shape.slice(1).join(', ')}] ≠ [${tail.join(', ')}]`,
      );
    }
    total += p.batch;
  }
  const data = new Float32Array(parts.reduce((n, p) => n + p.data.length, 0));
  let offset = 0;
  for (const p of parts) {
    data.set(p.data, offset);
    offset += p.data.length;
  }
  return new Tensor(data, [total, ...tail]);
}

/**
 * Concatenate tensors along axis 1 (channels of [B, C, …]): how an upscaler's condition
 * image joins the sample at the UNet's input.
 */
export function concatChannels(parts: readonly Tensor[]): Tensor {
  if (parts.length === 0) throw new ShapeError('concatChannels needs at least one tensor');
  const [b, , ...rest] = parts[0].shape;
  const plane = rest.reduce((a, d) => a * d, 1);
  for (const p of parts) {
    if (
      p.shape.length !== rest.length + 2 ||
      p.batch !== b ||
      p.shape.slice(2).some((d, i) => d !== rest[i])
    ) {
      throw new ShapeError(
        `concatChannels: [${p.shape.join(', ')}] does not match [${b}, C, ${rest.join(', ')}]`,
      );
    }
  }
  const channels = parts.reduce((c, p) => c + p.shape[1], 0);
  const data = new Float32Array(b * channels * plane);
  for (let i = 0, offset = 0; i < b; i++) {
    for (const p of parts) {
      const n = p.shape[1] * plane;
      data.set(p.data.subarray(i * n, (i + 1) * n), offset);
      offset += n;
    }
  }
  return new Tensor(data, [b, channels, ...rest]);
}

/** Per-item Euclidean norm of a (or of a − b). */
export function itemNorms(a: Tensor, b?: Tensor): Float64Array {
  if (b) assertSameShape(a, b, 'itemNorms');
  const n = a.itemSize;
  const out = new Float64Array(a.batch);
  for (let i = 0; i < a.batch; i++) {
    let sum = 0;
    for (let j = i * n; j < (i + 1) * n; j++) {
      const v = b ? a.data[j] - b.data[j] : a.data[j];
      sum += v * v;
    }
    out[i] = Math.sqrt(sum);
  }
  return out;
}
