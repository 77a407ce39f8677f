import { InvalidOptionError } from '../core/errors.js';
import type { NoiseLevel } from '../core/noiseLevel.js';
import type { Transition, TransitionWrapper } from '../core/transition.js';
import { renoise } from './renoise.js';

/** One restart interval: when the main loop reaches σ_min, jump to σ_max K times and come back in N points. */
export interface RestartInterval {
  readonly sigmaMin: number;
  readonly sigmaMax: number;
  /** Points of the way down, N (N − 1 steps). */
  readonly n: number;
  /** Number of restarts K. */
  readonly k: number;
}

/**
 * The Stable Diffusion defaults of Restart sampling (Xu et al., arXiv 2306.14878, the
 * official SD code), by guidance weight: w ≤ 2: {1:[5,2,9], 5:[5,2,10]}; w = 3:
 * {0.1:[10,2,3]}; w ≥ 5: {0.1:[10,2,2]} (format {σ_min: [N, K, σ_max]}).
 */
export function restartDefaults(w: number): RestartInterval[] {
  if (w <= 2.5) {
    return [
      { sigmaMin: 1, n: 5, k: 2, sigmaMax: 9 },
      { sigmaMin: 5, n: 5, k: 2, sigmaMax: 10 },
    ];
  }
  if (w <= 4) return [{ sigmaMin: 0.1, n: 10, k: 2, sigmaMax: 3 }];
  return [{ sigmaMin: 0.1, n: 10, k: 2, sigmaMax: 2 }];
}

/**
 * Restart sampling as a transition wrapper. After the main step that lands closest to an
 * interval's σ_min, repeat K times: forward-noise to σ_max (no network call), then take
 * N − 1 guided steps of the same sampler back down to the landing level, on timesteps
 * spaced evenly between the two (as the SD code does). `levelAt(t)` gives the schedule's
 * level at a (fractional) training timestep; `timestepOf(σ)` the inverse.
 */
export function restart(
  intervals: readonly RestartInterval[],
  levelAt: (timestep: number) => NoiseLevel,
  timestepOf: (sigma: number) => number,
): TransitionWrapper {
  for (const iv of intervals) {
    if (!(iv.sigmaMax > iv.sigmaMin) || !(iv.sigmaMin > 0))
      throw new InvalidOptionError(`restart needs 0 < σ_min < σ_max`);
    if (!Number.isInteger(iv.n) || iv.n < 2)
      throw new InvalidOptionError(`restart N must be an integer ≥ 2`);
    if (!Number.isInteger(iv.k) || iv.k < 0)
      throw new InvalidOptionError(`restart K must be an integer ≥ 0`);
  }
  return (inner: Transition): Transition =>
    async (ctx) => {
      let result = await inner(ctx);
      for (const iv of intervals) {
        if (landingStep(ctx.levels, iv.sigmaMin) !== ctx.i + 1) continue;
        const low = ctx.to;
        const tMax = timestepOf(iv.sigmaMax);
        // Restart's down path: N points from t_max to the landing timestep.
        const path = Array.from({ length: iv.n }, (_, j) =>
          j === iv.n - 1
            ? low
            : levelAt(Math.round(tMax + ((low.timestep - tMax) * j) / (iv.n - 1))),
        );
        for (let rep = 0; rep < iv.k; rep++) {
          let x = renoise(result.x, low, path[0], ctx.rng);
          for (let j = 0; j < iv.n - 1; j++) {
            result = await inner({ ...ctx, x, from: path[j], to: path[j + 1], history: undefined });
            x = result.x;
          }
        }
      }
      return result;
    };
}

/** Index of the level (excluding the start) whose σ is closest to σ_min. */
function landingStep(levels: readonly NoiseLevel[], sigmaMin: number): number {
  let best = 1;
  for (let j = 1; j < levels.length; j++) {
    if (Math.abs(levels[j].sigma - sigmaMin) < Math.abs(levels[best].sigma - sigmaMin)) best = j;
  }
  return best;
}
