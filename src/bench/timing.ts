/** Repeated timings (median and fastest) and the random inputs they run on. */
import { RandomStream } from '../core/random.js';
import { Tensor } from '../core/tensor.js';

export interface TimingStats {
  readonly reps: number;
  readonly medianMs: number;
  readonly minMs: number;
}

export function stats(times: readonly number[]): TimingStats {
  const s = [...times].sort((a, b) => a - b);
  const mid = s.length >> 1;
  const median = s.length % 2 ? s[mid] : 0.5 * (s[mid - 1] + s[mid]);
  return { reps: s.length, medianMs: median, minMs: s[0] };
}

export async function timeRepeated(
  fn: () => Promise<unknown>,
  warmup: number,
  reps: number,
): Promise<TimingStats> {
  for (let i = 0; i < warmup; i++) await fn();
  const times: number[] = [];
  for (let i = 0; i < reps; i++) {
    const t0 = performance.now();
    await fn();
    times.push(performance.now() - t0);
  }
  return stats(times);
}

export function randomTensor(shape: readonly number[], key: number): Tensor {
  const t = Tensor.zeros(shape);
  const rng = new RandomStream(key);
  for (let i = 0; i < t.data.length; i++) t.data[i] = rng.normal();
  return t;
}

export function median(v: readonly number[]): number {
  return stats(v).medianMs;
}
