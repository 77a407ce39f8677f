/**
 * The machine's float32 matrix-multiply rate as onnxruntime reaches it: C = A·B timed on
 * models/bench/matmul.onnx (training/make_matmul.py).
 */
import { join } from 'node:path';
import { feed, type SessionOptions, type Signature, loadSession } from '../backends/onnx.js';
import { packageRoot } from '../models/embedded.js';
import { randomTensor, timeRepeated, type TimingStats } from './timing.js';

export const MATMUL_SIGNATURE: Signature = {
  inputs: [
    { name: 'a', types: ['float32'], ranks: [2] },
    { name: 'b', types: ['float32'], ranks: [2] },
  ],
  outputs: [{ name: 'c', types: ['float32'], ranks: [2] }],
};

export function matmulModelPath(): string {
  return join(packageRoot(), 'models', 'bench', 'matmul.onnx');
}

export interface GemmResult {
  readonly size: number;
  readonly flopsPerCall: number;
  readonly timing: TimingStats;
  /** 2·N³ ÷ the fastest call: the peak as the runtime reaches it. */
  readonly peakFlops: number;
  readonly medianFlops: number;
}

export async function measureGemm(
  path: string,
  size: number,
  reps: number,
  opts: SessionOptions = {},
): Promise<GemmResult> {
  const session = await loadSession(path, 'matmul probe', MATMUL_SIGNATURE, opts);
  try {
    const a = randomTensor([size, size], 1);
    const b = randomTensor([size, size], 2);
    const feeds = {
      a: feed(session.input('a')!, a.data, [size, size]),
      b: feed(session.input('b')!, b.data, [size, size]),
    };
    const timing = await timeRepeated(() => session.run(feeds, ['c']), 2, reps);
    const flopsPerCall = 2 * size ** 3;
    return {
      size,
      flopsPerCall,
      timing,
      peakFlops: flopsPerCall / (timing.minMs / 1000),
      medianFlops: flopsPerCall / (timing.medianMs / 1000),
    };
  } finally {
    await session.release();
  }
}
