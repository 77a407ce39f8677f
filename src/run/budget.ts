import { InvalidOptionError } from '../core/errors.js';

/**
 * What a run may spend: a step count, or network evaluations per sample (then the method
 * gets the most steps whose evaluations fit, counted by `stepsForNfe`).
 */
export type Budget =
  | { readonly steps: number; readonly nfe?: undefined }
  | { readonly nfe: number; readonly steps?: undefined };

/**
 * The one check of a budget: exactly one of steps and nfe, each an integer ≥ 1; when
 * neither is given, `fallback` (an error without one). `names` are how the caller's user
 * spells the two (`['--steps', '--nfe']` on the command line).
 */
export function budgetOf(
  given: { readonly steps?: number; readonly nfe?: number },
  fallback?: Budget,
  names: readonly [string, string] = ['steps', 'nfe'],
): Budget {
  const [stepsName, nfeName] = names;
  for (const [v, name] of [
    [given.steps, stepsName],
    [given.nfe, nfeName],
  ] as const) {
    if (v !== undefined && !(Number.isInteger(v) && v >= 1))
      throw new InvalidOptionError(`${name} must be an integer ≥ 1, got ${v}`);
  }
  if (given.steps !== undefined && given.nfe !== undefined)
    throw new InvalidOptionError(`give ${stepsName} or ${nfeName}, not both`);
  if (given.steps !== undefined) return { steps: given.steps };
  if (given.nfe !== undefined) return { nfe: given.nfe };
  if (!fallback) throw new InvalidOptionError(`give exactly one of ${stepsName} and ${nfeName}`);
  return fallback;
}
