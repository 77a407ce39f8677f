import type { Tensor } from './tensor.js';
import type { NoiseLevel } from './noiseLevel.js';

/** Which predictions a step needs: the conditional only, or conditional and unconditional. */
export type PredictionRequest = 'cond' | 'both';

/** Noise predictions ε for one batch. */
export interface Predictions {
  readonly cond: Tensor;
  /** Present iff 'both' was requested. */
  readonly uncond?: Tensor;
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
