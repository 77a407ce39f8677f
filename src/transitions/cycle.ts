import { InvalidOptionError } from '../core/errors.js';
import type { NoiseLevel } from '../core/noiseLevel.js';
import type {
  Transition,
  TransitionContext,
  TransitionResult,
  TransitionWrapper,
} from '../core/transition.js';
import { cleanEstimates, driftRatios } from '../monitors/drift.js';
import { invert, linearGuidance, renoise } from './renoise.js';

/**
 * The DiffIER cycle (docs/diffier.md §2, the cycle): after the step t → s produced x_s, go back up
 * to t and take the guided step down again, K times. Any Markov kernel brings a law no
 * further from its invariant law, and with an exact model the invariant law of
 * "re-noise, then step" is the training marginal — so the cycle pulls the iterate back
 * toward what the network was trained on.
 */
export interface CycleOptions {
  /** Repeats per step. Default 1; 0 = the plain step, bit for bit. */
  readonly k?: number;
  /** Apply only where σ_lo < σ_t ≤ σ_hi (σ of the step's start). Default (0, ∞]. */
  readonly sigmaLo?: number;
  readonly sigmaHi?: number;
  /** Go back this many steps (re-noise to levels[i+1−back]) and redo them. Default 1. */
  readonly back?: number;
  /** `stochastic`: fresh-noise forward transition; `inversion`: deterministic DDIM inversion. Default stochastic. */
  readonly renoise?: 'stochastic' | 'inversion';
  /** Guidance weight of the inversion's ε (0 = unconditional, as Z-sampling). Default 0. */
  readonly inversionWeight?: number;
  /** Skip the cycle on the last `skipLast` steps. Default 0. */
  readonly skipLast?: number;
  /**
   * Adaptive budget: repeat (up to k times) only while the batch median of the step's
   * drift ratio, measured at the rule's weight between the step's input and its redo,
   * is above this threshold. Default ∞ = always k repeats.
   */
  readonly adaptiveTau?: number;
}

export function cycle(options: CycleOptions = {}): TransitionWrapper {
  const k = options.k ?? 1;
  const back = options.back ?? 1;
  const sigmaLo = options.sigmaLo ?? 0;
  const sigmaHi = options.sigmaHi ?? Infinity;
  const mode = options.renoise ?? 'stochastic';
  const gamma = options.inversionWeight ?? 0;
  const skipLast = options.skipLast ?? 0;
  const adaptiveTau = options.adaptiveTau ?? Infinity;
  if (!Number.isInteger(k) || k < 0)
    throw new InvalidOptionError(`cycle k must be an integer ≥ 0, got ${k}`);
  if (!Number.isInteger(back) || back < 1)
    throw new InvalidOptionError(`cycle back must be an integer ≥ 1, got ${back}`);
  if (!(sigmaLo >= 0) || !(sigmaHi > sigmaLo))
    throw new InvalidOptionError(`cycle window needs 0 ≤ sigmaLo < sigmaHi`);
  if (mode !== 'stochastic' && mode !== 'inversion')
    throw new InvalidOptionError(`cycle renoise must be stochastic or inversion`);
  if (!Number.isFinite(gamma)) throw new InvalidOptionError(`cycle inversionWeight must be finite`);
  if (!Number.isInteger(skipLast) || skipLast < 0)
    throw new InvalidOptionError(`cycle skipLast must be an integer ≥ 0`);
  if (!(adaptiveTau > 0)) throw new InvalidOptionError(`cycle adaptiveTau must be > 0`);

  return (inner: Transition): Transition =>
    async (ctx: TransitionContext): Promise<TransitionResult> => {
      let result = await inner(ctx);
      const sigma = ctx.from.sigma;
      // Inversion evaluates the network at the landing level, which the final level never allows.
      const evaluable = mode === 'stochastic' || ctx.to.timestep >= 0;
      const active =
        k > 0 &&
        evaluable &&
        sigma > sigmaLo &&
        sigma <= sigmaHi &&
        ctx.i < ctx.numSteps - skipLast;
      if (!active) return result;
      const start = Math.max(0, ctx.i + 1 - back);
      const high = ctx.levels[start];
      const low = ctx.to;
      for (let rep = 0; rep < k; rep++) {
        let x =
          mode === 'stochastic'
            ? renoise(result.x, low, high, ctx.rng)
            : await invertWith(ctx, result.x, low, high, gamma);
        // Redo the steps start … i from the re-noised sample. A multistep solver keeps its
        // memory only when redoing the current step; going further back restarts it.
        let redo = result;
        let history = start === ctx.i ? ctx.history : undefined;
        for (let j = start; j <= ctx.i; j++) {
          const from = ctx.levels[j];
          redo = await inner({ ...ctx, x, from, to: ctx.levels[j + 1], history });
          x = redo.x;
          history = redo.history;
        }
        const settled = adaptiveTau !== Infinity && medianDrift(ctx, result, redo) <= adaptiveTau;
        result = redo;
        if (settled) break;
      }
      return result;
    };
}

async function invertWith(
  ctx: TransitionContext,
  x: TransitionResult['x'],
  low: NoiseLevel,
  high: NoiseLevel,
  gamma: number,
) {
  const raw = await ctx.predict(x, low, gamma === 1 ? 'cond' : 'both');
  return invert(x, linearGuidance(raw.cond, raw.uncond, gamma), low, high);
}

/** Batch median of the drift ratio between two evaluations of the same step. */
function medianDrift(
  ctx: TransitionContext,
  before: TransitionResult,
  after: TransitionResult,
): number {
  const batch = ctx.x.batch;
  const w = before.pred.weights;
  const a = cleanEstimates(before.xIn, before.pred.raw, ctx.from, w);
  const b = cleanEstimates(after.xIn, after.pred.raw, ctx.from, w);
  const r = Array.from(driftRatios(b, a, batch)).sort((p, q) => p - q);
  return r[r.length >> 1];
}
