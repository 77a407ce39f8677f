import { InvalidOptionError } from '../core/errors.js';
import type { NoiseLevel } from '../core/noiseLevel.js';
import type { Transition, TransitionContext, TransitionWrapper } from '../core/transition.js';
import type { Tensor } from '../core/tensor.js';

export interface LangevinOptions {
  /** Corrector steps per sampling step. Default 1. */
  readonly k?: number;
  /** Multiplier of the SDE-matched step size δ = (σ_t² − σ_s²)/2. Default 1. */
  readonly stepScale?: number;
  /**
   * Cap δ ≤ maxStepRatio·σ_s². Langevin on a Gaussian of variance σ² is unstable once
   * δ/σ² ≥ 2, which coarse schedules reach (cosine, σ_max ≈ 32). Default 1; Infinity = uncapped.
   */
  readonly maxStepRatio?: number;
}

export function checkLangevin(options: LangevinOptions): Required<LangevinOptions> {
  const k = options.k ?? 1;
  const stepScale = options.stepScale ?? 1;
  const maxStepRatio = options.maxStepRatio ?? 1;
  if (!Number.isInteger(k) || k < 0)
    throw new InvalidOptionError(`Langevin k must be an integer ≥ 0, got ${k}`);
  if (!(stepScale > 0) || !Number.isFinite(stepScale))
    throw new InvalidOptionError(`Langevin stepScale must be finite and > 0`);
  if (!(maxStepRatio > 0)) throw new InvalidOptionError(`Langevin maxStepRatio must be > 0`);
  return { k, stepScale, maxStepRatio };
}

/**
 * K Langevin steps at level `to` on the law whose ε is `epsAt`, in x̄ = x/a coordinates:
 * x̄ ← x̄ − (δ/σ_s)·ε + √(2δ)·ξ (score −ε/σ_s in x̄), δ = stepScale·(σ_t² − σ_s²)/2 capped.
 * No corrector into the final level: the network is never evaluated there.
 */
export async function langevinCorrect(
  ctx: TransitionContext,
  x: Tensor,
  from: NoiseLevel,
  to: NoiseLevel,
  epsAt: (x: Tensor) => Promise<Tensor>,
  options: Required<LangevinOptions>,
): Promise<Tensor> {
  if (options.k === 0 || to.timestep < 0 || !(to.s > 0) || !(from.sigma > to.sigma)) return x;
  const delta = Math.min(
    (options.stepScale * (from.sigma ** 2 - to.sigma ** 2)) / 2,
    options.maxStepRatio * to.sigma ** 2,
  );
  const drift = (delta / to.sigma) * to.a;
  const noise = Math.sqrt(2 * delta) * to.a;
  for (let rep = 0; rep < options.k; rep++) {
    const eps = await epsAt(x);
    const z = ctx.rng.normal(x.shape);
    const next = new Float32Array(x.data.length);
    for (let j = 0; j < next.length; j++)
      next[j] = x.data[j] - drift * eps.data[j] + noise * z.data[j];
    x = x.like(next);
  }
  return x;
}

/**
 * A Langevin corrector after every step, on the guided field of the method's own rule
 * (so it composes with any rule, DiffIER's schedule included).
 */
export function langevin(options: LangevinOptions = {}): TransitionWrapper {
  const opts = checkLangevin(options);
  return (inner: Transition): Transition =>
    async (ctx) => {
      const result = await inner(ctx);
      const x = await langevinCorrect(
        ctx,
        result.x,
        ctx.from,
        ctx.to,
        async (xx) => (await ctx.guide(xx, ctx.to, ctx.to)).eps,
        opts,
      );
      return { ...result, x, deterministic: false };
    };
}
