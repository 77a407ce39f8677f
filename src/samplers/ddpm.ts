/**
 * DDPM ancestral sampling (Ho et al. 2020): a draw from the posterior q(x_s | x_t, x̂0),
 *
 *     mean = β_ts·√ᾱ_s/(1 − ᾱ_t)·x̂0 + √α_ts·(1 − ᾱ_s)/(1 − ᾱ_t)·x_t,
 *     var  = β_ts·(1 − ᾱ_s)/(1 − ᾱ_t),        α_ts = ᾱ_t/ᾱ_s, β_ts = 1 − α_ts,
 *
 * which, written with ε̂ = (x_t − a_t·x̂0)/s_t, is exactly DDIM with η = 1 (c² = var and
 * √(s_s² − c²) = √α_ts·s_s²/s_t). So it is DDIM(η = 1) under another name; for a
 * non-consistent pair (CFG++'s ε_u, a clipped x̂0) the (x̂0, ε̂) form is the one used.
 * Steps between arbitrary levels are allowed: α_ts is the product of the skipped alphas.
 */
import type { SamplerStep } from '../core/step.js';
import { ddimStep } from './ddim.js';

export function ddpmStep(): SamplerStep<undefined> {
  return { ...ddimStep(1), name: 'ddpm' };
}
