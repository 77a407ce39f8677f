import type { Tensor } from './tensor.js';
import type { NoiseLevel } from './noiseLevel.js';

/** Which predictions a step needs: the conditional only, or conditional and unconditional. */
export type PredictionRequest = 'cond' | 'both';

/** Noise predictions ε for one batch. */
export interface Predictions {
  readonly cond: Tensor;
  /** Present iff 'both' was requested. */
  readonly uncond?: Tensor;
  /**
   * The clean estimates x̂0 when the network gives them directly (v: a·x − s·v; x0
   * prediction): exact where (x − s·ε)/a would lose every digit at low a (a ≈ 5e-5 at the
   * cosine schedule's t = 999) and finite at zero SNR (a = 0). Absent: derived from ε.
   */
  readonly condX0?: Tensor;
  readonly uncondX0?: Tensor;
}

/**
 * The denoiser contract: ε-predictions for a batch at one noise level. The condition is
 * bound into the denoiser (a prompt's embeddings, a class label). A request for both
 * predictions is one batched call where the backend allows it.
 * Networks that predict x0, v or flow velocity are converted to ε by adapters.
 */
export interface Denoiser {
  /** Shape of one sample, without the batch axis. */
  readonly itemShape: readonly number[];
  predict(x: Tensor, level: NoiseLevel, request: PredictionRequest): Promise<Predictions>;
}
