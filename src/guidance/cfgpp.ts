/**
 * CFG++ (Chung et al., "CFG++: Manifold-constrained Classifier Free Guidance for Diffusion
 * Models", arXiv 2406.08070; official `ddim_cfg++`):
 *
 *     ε_λ = ε_u + λ·(ε_c − ε_u),   x̂0 = x̂0(ε_λ),   re-noise with ε_u:
 *     x_s = a_s·x̂0 + s_s·ε_u        (DDIM, η = 0)
 *
 * The step must honour `renoiseEps` (SamplerStep.usesRenoiseEps); other steps see plain
 * CFG at weight λ.
 *
 * Exact link to CFG (docs/guidance.md, cfgpp): CFG++-DDIM from σ_t to σ_s is
 * CFG-DDIM with the step-dependent weight
 *
 *     w_t = λ·σ_t/(σ_t − σ_s)
 *
 * (σ = s/a). That w_t is what `weights()` reports, so the per-step weights in callbacks and
 * benchmark JSON are comparable with CFG's. Because σ_t/(σ_t − σ_s) grows with the number
 * of steps, the effective guidance of a fixed λ grows with the NFE: re-tune λ whenever the
 * step count changes, or derive it from a CFG weight with `cfgppLambda`.
 */
import type { Predictions } from '../core/denoiser.js';
import { InvalidOptionError } from '../core/errors.js';
import type { NoiseLevel } from '../core/noiseLevel.js';
import {
  checkFinite,
  checkRange,
  conditionalPrediction,
  guidedPrediction,
  lerpItems,
  pickItems,
} from './combine.js';
import type { GuidanceContext, GuidanceRule, GuidedPrediction } from '../core/guidance.js';

export interface CfgppOptions {
  /**
   * λ, CFG++'s guidance scale: ε_λ = ε_u + λΔε builds x̂0, the re-noising uses ε_u.
   * Default 0.6 (the official README for SD1.5 text-to-image with DDIM; 1.0 for
   * SDXL-Lightning at 4 NFE). Range [0, ∞), normally [0, 1]; λ = 0 is unconditional
   * sampling. Equivalent CFG weight on DDIM: w_t = λ·σ_t/(σ_t − σ_s) (≈ 5–9 for λ = 0.6 on
   * SD1.5 at 50 steps). ComfyUI's `cfg` value for its *_cfg_pp samplers is λ.
   */
  readonly lambda?: number;
  /**
   * The nominal CFG weight this λ stands for, reported as `rule.w` (what monitors read as
   * "full guidance"). Default: λ itself (ComfyUI's reading); prefer `cfgppFromWeight`, which
   * sets both from a CFG weight and a schedule.
   */
  readonly w?: number;
}

export const CFGPP_DEFAULTS = { lambda: 0.6 } as const;

/**
 * σ_t/(σ_t − σ_s), the factor between λ and the equivalent CFG-DDIM weight. It tends to 1
 * when σ_t → ∞ (zero terminal SNR); a step that does not lower σ has no CFG equivalent and
 * gets factor 1 (λ is then reported and used as the weight).
 */
function stepFactor(level: NoiseLevel, next: NoiseLevel): number {
  const st = level.sigma;
  const ss = next.sigma;
  if (!Number.isFinite(st)) return 1;
  return st > ss ? st / (st - ss) : 1;
}

/** The CFG-DDIM weight equivalent to CFG++ with scale λ on the step level → next. */
export function cfgppEquivalentWeight(lambda: number, level: NoiseLevel, next: NoiseLevel): number {
  return lambda * stepFactor(level, next);
}

/**
 * ρ = median over the schedule's steps of (σ_t − σ_s)/σ_t — the factor the benchmark uses
 * to put CFG++ on the CFG weight axis (λ = w·ρ). `levels` is the whole schedule, noisiest
 * first, as `sample()` takes it.
 */
export function cfgppRatio(levels: readonly NoiseLevel[]): number {
  if (levels.length < 2)
    throw new InvalidOptionError('cfgpp: a schedule needs at least two levels');
  const r = [];
  for (let i = 0; i + 1 < levels.length; i++) r.push(1 / stepFactor(levels[i], levels[i + 1]));
  r.sort((a, b) => a - b);
  const m = r.length >> 1;
  return r.length % 2 ? r[m] : (r[m - 1] + r[m]) / 2;
}

/**
 * λ for a CFG weight w on a schedule, as the benchmark maps it: λ = w·ρ with ρ from
 * `cfgppRatio`. On the median step the equivalent weight w_t = λ·σ_t/(σ_t − σ_s) is then
 * exactly w, so w = 1 is about unguided (only about: the other steps get w_t ≠ 1).
 */
export function cfgppLambda(w: number, levels: readonly NoiseLevel[]): number {
  checkFinite('cfgpp', 'w', w);
  return w * cfgppRatio(levels);
}

/** CFG++ at the λ that stands for CFG weight w on this schedule (rule.w = w). */
export function cfgppFromWeight(w: number, levels: readonly NoiseLevel[]): GuidanceRule<undefined> {
  return cfgpp({ lambda: cfgppLambda(w, levels), w });
}

/** CFG++ as a guidance rule. */
export function cfgpp(options: CfgppOptions = {}): GuidanceRule<undefined> {
  const lambda = checkRange(
    'cfgpp',
    'lambda',
    options.lambda ?? CFGPP_DEFAULTS.lambda,
    0,
    Infinity,
    {
      hi: true,
    },
  );
  const w = checkFinite('cfgpp', 'w', options.w ?? lambda);
  return {
    name: 'cfgpp',
    w,
    describe: () => ({ name: 'cfgpp', lambda, w }),
    createState: () => undefined,
    // Reported as the equivalent CFG weight; never 1 unless the step really is unguided.
    weights: (ctx) =>
      new Float64Array(ctx.x.batch).fill(cfgppEquivalentWeight(lambda, ctx.level, ctx.next)),
    combine: (pred, weights, ctx) => cfgppCombine(pred, weights, ctx),
  };
}

/**
 * Per sample: λ_i = w_i·(σ_t − σ_s)/σ_t recovered from the (possibly modulated) weight,
 * ε = ε_u + λ_iΔε and re-noise ε_u. A weight of exactly 1 gives the conditional prediction,
 * which on DDIM is the same transition as CFG++ at λ = (σ_t − σ_s)/σ_t.
 */
function cfgppCombine(
  pred: Predictions,
  weights: Float64Array,
  ctx: GuidanceContext,
): GuidedPrediction {
  if (!pred.uncond) return conditionalPrediction(pred, ctx);
  const factor = stepFactor(ctx.level, ctx.next);
  const guided = Array.from(weights, (w) => w !== 1);
  const lambdas = weights.map((w) => (w === 1 ? 1 : w / factor));
  const eps = lerpItems(pred.uncond, pred.cond, lambdas);
  const renoiseEps = pickItems(guided, pred.uncond, pred.cond);
  return guidedPrediction(ctx, eps, pred, weights, { renoiseEps });
}
