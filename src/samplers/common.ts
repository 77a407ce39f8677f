/** Small helpers shared by the sampler steps. */
import { InvalidOptionError } from '../core/errors.js';
import { assertSameShape, type Tensor } from '../core/tensor.js';
import type { StepInput } from '../core/step.js';

/**
 * The pair every step works from: x̂0 = pred.x0 and the ε it re-noises with
 * (pred.renoiseEps when the guidance rule supplies one, as CFG++ does, else pred.eps).
 */
export function predictionPair(input: StepInput<unknown>): { x0: Tensor; eps: Tensor } {
  const { x, pred } = input;
  const eps = pred.renoiseEps ?? pred.eps;
  assertSameShape(pred.x0, x, 'predicted x0 vs sample');
  assertSameShape(eps, x, 'predicted eps vs sample');
  return { x0: pred.x0, eps };
}

export function checkEta(eta: number, max = Infinity): number {
  if (!Number.isFinite(eta) || eta < 0 || eta > max) {
    const range = max === Infinity ? '[0, ∞)' : `[0, ${max}]`;
    throw new InvalidOptionError(`eta must be a number in ${range}, got ${eta}`);
  }
  return eta;
}
