/**
 * One noise level of a variance-preserving diffusion, x_t = a·x0 + s·ε with a² + s² = 1.
 * All values are float64; `timestep` is what the network is given (may be fractional).
 */
export interface NoiseLevel {
  /** Network timestep (diffusers' `t`, on the training grid 0 … T−1). */
  readonly timestep: number;
  /** ᾱ_t, the cumulative product of (1 − β). */
  readonly alphaBar: number;
  /** a_t = √ᾱ_t. */
  readonly a: number;
  /** s_t = √(1 − ᾱ_t). */
  readonly s: number;
  /** σ_t = s_t / a_t — the EDM / k-diffusion / ComfyUI "sigma". */
  readonly sigma: number;
}

export function noiseLevel(timestep: number, alphaBar: number): NoiseLevel {
  const a = Math.sqrt(alphaBar);
  const s = Math.sqrt(Math.max(0, 1 - alphaBar));
  return { timestep, alphaBar, a, s, sigma: s / a };
}

/** The level of a given σ (ᾱ = 1/(1+σ²)), with the timestep supplied by the caller. */
export function levelFromSigma(sigma: number, timestep: number): NoiseLevel {
  return noiseLevel(timestep, 1 / (1 + sigma * sigma));
}
