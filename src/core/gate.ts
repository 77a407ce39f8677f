import type { PredictionRequest } from './denoiser.js';

/**
 * The one gate of the library: the unconditional pass is requested only when some sample
 * is actually guided at this step (weight ≠ 1). Rules switch guidance off by returning
 * weight 1 — outside their interval, at w = 1, or when guidance is disabled — and never
 * decide about network calls themselves.
 */
export function predictionRequest(weights: Float64Array): PredictionRequest {
  for (let i = 0; i < weights.length; i++) if (weights[i] !== 1) return 'both';
  return 'cond';
}
