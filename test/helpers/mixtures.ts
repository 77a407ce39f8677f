import type { Denoiser } from '../../src/core/denoiser.js';
import { parseProblem, type Problem } from '../../src/denoisers/problem.js';

/** The problem file of the small 2-D tests: two classes, the target bimodal. */
export const TWO_CLASS_2D_JSON = {
  name: 'test-2d',
  dim: 2,
  target: 0,
  classes: [
    {
      name: 'a',
      components: [
        { mean: [-2, 0], std: 0.5 },
        { mean: [2, 0], std: 0.5 },
      ],
    },
    { name: 'b', components: [{ mean: [2, 2.5], std: 0.5 }] },
  ],
  model: { kind: 'exact' },
};

/** The same, parsed; ε_c − ε_u depends on x there, so CFG is not exact. */
export const TWO_CLASS_2D: Problem = parseProblem(TWO_CLASS_2D_JSON);

/** Wraps a denoiser and counts its calls and the evaluations they cost (both = 2 per item). */
export function counting(inner: Denoiser): Denoiser & { calls: number; evals: number } {
  const d = {
    itemShape: inner.itemShape,
    calls: 0,
    evals: 0,
    predict: (
      x: Parameters<Denoiser['predict']>[0],
      level: Parameters<Denoiser['predict']>[1],
      req: Parameters<Denoiser['predict']>[2],
    ) => {
      d.calls++;
      d.evals += x.batch * (req === 'both' ? 2 : 1);
      return inner.predict(x, level, req);
    },
  };
  return d;
}
