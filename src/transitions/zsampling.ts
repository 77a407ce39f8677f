import type { TransitionWrapper } from '../core/transition.js';
import { cycle } from './cycle.js';

/**
 * Z-sampling (Bai et al., arXiv 2412.10891): zig (the guided step t → s), zag (DDIM
 * inversion s → t with weight γ2, default 0 = unconditional), zig again, on every step but
 * the last `lambdaSkip`. It is the DiffIER cycle with deterministic inversion — the
 * special case the method page names. Defaults: T_max = 1, γ2 = 0, λ = all steps but the last.
 */
export interface ZSamplingOptions {
  /** Zig-zag repeats per step (T_max). Default 1. */
  readonly tMax?: number;
  /** Inversion weight γ2. Default 0. */
  readonly gamma2?: number;
  /** Plain steps at the end (N − λ). Default 1. */
  readonly plainLast?: number;
}

export function zSampling(options: ZSamplingOptions = {}): TransitionWrapper {
  return cycle({
    k: options.tMax ?? 1,
    renoise: 'inversion',
    inversionWeight: options.gamma2 ?? 0,
    skipLast: options.plainLast ?? 1,
  });
}
