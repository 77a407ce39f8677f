import { InvalidOptionError } from '../errors.js';
import { langevinCorrect } from './langevin.js';
import type { Transition, TransitionWrapper } from '../sampling/sample.js';

/** How the inner loop moves the iterate. */
export type InnerMode = 'content' | 'noise' | 'langevin';

export interface InnerLoopOptions {
  /** Most iterations per step (each one conditional evaluation). 0 = the base sampler. */
  readonly k?: number;
  /** Stop a sample once its error is ≤ tol × its error before the loop. */
  readonly tol?: number;
  /** Relaxation λ of each update, in (0, 1]. */
  readonly lambda?: number;
  /** Only at steps landing at σ in (sigmaLo, sigmaHi]. */
  readonly sigmaLo?: number;
  readonly sigmaHi?: number;
  readonly mode?: InnerMode;
}

export interface InnerStepRecord {
  readonly step: number;
  readonly sigma: number;
  readonly before: Float64Array;
  readonly after: Float64Array;
  readonly iterations: Float64Array;
}

export function checkInnerLoop(o: InnerLoopOptions): Required<InnerLoopOptions> {
  const k = o.k ?? 0;
  if (!Number.isInteger(k) || k < 0 || k > 64)
    throw new InvalidOptionError(`inner-loop k must be an integer in [0, 64], got ${k}`);
  const tol = o.tol ?? 0;
  if (!(tol >= 0 && tol < 1)) throw new InvalidOptionError(`inner-loop tol must be in [0, 1)`);
  const lambda = o.lambda ?? 1;
  if (!(lambda > 0 && lambda <= 1))
    throw new InvalidOptionError(`inner-loop lambda must be in (0, 1]`);
  return {
    k,
    tol,
    lambda,
    sigmaLo: o.sigmaLo ?? 0,
    sigmaHi: o.sigmaHi ?? Infinity,
    mode: o.mode ?? 'content',
  };
}

/**
 * After the inner transition lands at level s with content x̂0 (its guided clean
 * estimate) and noise ε̂ = (x_s − a·x̂0)/s, minimise per sample the training loss
 * |ε_c(x) − ε̂|² by the fixed-point update x̂0 ← x̂0 + λ(x̂0_c(x) − x̂0), x = a·x̂0 + s·ε̂.
 */
export function innerLoop(options: InnerLoopOptions, log?: InnerStepRecord[]): TransitionWrapper {
  const o = checkInnerLoop(options);
  return (inner: Transition): Transition =>
    async (ctx) => {
      const result = await inner(ctx);
      const to = ctx.to;
      if (o.k === 0 || to.timestep < 0 || !(to.s > 0) || to.sigma <= o.sigmaLo || to.sigma > o.sigmaHi)
        return result;
      if (o.mode === 'langevin') {
        const x = await langevinCorrect(
          ctx,
          result.x,
          ctx.from,
          to,
          async (xx) => (await ctx.predict(xx, to, 'cond')).cond,
          { k: o.k, stepScale: o.lambda, maxStepRatio: 1 },
        );
        return { ...result, x };
      }
      const n = result.x.batch;
      const d = result.x.data.length / n;
      const { a, s } = to;
      // Content and noise of the landing point, relative to the step's own clean estimate.
      const x0 = new Float32Array(result.pred.x0.data);
      const noise = new Float32Array(d * n);
      for (let j = 0; j < noise.length; j++) noise[j] = (result.x.data[j] - a * x0[j]) / s;
      let x = result.x;
      const before = new Float64Array(n);
      const after = new Float64Array(n);
      const iterations = new Float64Array(n);
      const active = new Uint8Array(n).fill(1);
      for (let it = 0; it < o.k; it++) {
        const eps = (await ctx.predict(x, to, 'cond')).cond;
        const err = new Float64Array(n);
        for (let i = 0; i < n; i++) {
          let acc = 0;
          for (let j = i * d; j < (i + 1) * d; j++) {
            const r = eps.data[j] - noise[j];
            acc += r * r;
          }
          err[i] = acc / d;
          if (it === 0) before[i] = err[i];
          after[i] = err[i];
          if (active[i] && it > 0 && err[i] <= o.tol * before[i]) active[i] = 0;
        }
        const next = new Float32Array(x.data);
        for (let i = 0; i < n; i++) {
          if (!active[i]) continue;
          iterations[i]++;
          for (let j = i * d; j < (i + 1) * d; j++) {
            const x0c = (x.data[j] - s * eps.data[j]) / a;
            if (o.mode === 'content') {
              x0[j] += o.lambda * (x0c - x0[j]);
              next[j] = a * x0[j] + s * noise[j];
            } else {
              noise[j] += o.lambda * (eps.data[j] - noise[j]);
              next[j] = a * x0[j] + s * noise[j];
            }
          }
        }
        x = x.like(next);
      }
      log?.push({ step: ctx.i, sigma: to.sigma, before, after, iterations });
      return { ...result, x, x0Out: result.x0Out ? result.x0Out : result.x.like(x0) };
    };
}
