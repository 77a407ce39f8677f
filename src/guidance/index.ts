/**
 * The guidance rules, each declaring its options once (`GUIDANCE_RULES`, in the option
 * schema of options/schema.ts: the method registry, the CLI flags and the JSON echo derive
 * from it), and `createGuidanceRule`, which builds a rule from its name and a flat options
 * object checked against that schema. Wrapper rules (rescale, interval,
 * threshold, eps-scaling) take an `inner` rule name (default 'cfg'); options they do not
 * own go to the inner rule, so `{ inner: 'apg', w: 5, sigmaHi: 3 }` for 'interval' is
 * interval(apg({ w: 5 }), { sigmaHi: 3 }).
 */
import { InvalidOptionError } from '../core/errors.js';
import type { NoiseLevel } from '../core/noiseLevel.js';
import { APG_DEFAULTS, apg } from './apg.js';
import { cfg } from './cfg.js';
import { cfgpp, cfgppFromWeight } from './cfgpp.js';
import { CFG_ZERO_STAR_DEFAULTS, cfgZeroStar } from './cfgZeroStar.js';
import { EPS_SCALING_DEFAULTS, epsScaling } from './epsScaling.js';
import { INTERVAL_DEFAULTS, interval } from './interval.js';
import { RESCALE_DEFAULTS, rescale } from './rescale.js';
import { THRESHOLD_DEFAULTS, threshold } from './threshold.js';
import type { GuidanceRule } from '../core/guidance.js';
import { parseOptionValue, type OptionSpec } from '../options/schema.js';

export type { GuidanceContext, GuidanceRule, GuidedPrediction } from '../core/guidance.js';
export { predictionRequest } from '../core/gate.js';
export { cfg, cfgCombine, innerRule } from './cfg.js';
export { rescale, RESCALE_DEFAULTS, type RescaleOptions } from './rescale.js';
export {
  cfgpp,
  cfgppEquivalentWeight,
  cfgppFromWeight,
  cfgppLambda,
  cfgppRatio,
  CFGPP_DEFAULTS,
  type CfgppOptions,
} from './cfgpp.js';
export { apg, APG_DEFAULTS, type ApgOptions, type ApgState } from './apg.js';
export { cfgZeroStar, CFG_ZERO_STAR_DEFAULTS, type CfgZeroStarOptions } from './cfgZeroStar.js';
export { interval, INTERVAL_DEFAULTS, type IntervalOptions } from './interval.js';
export {
  threshold,
  thresholdSample,
  quantileSorted,
  THRESHOLD_DEFAULTS,
  type ThresholdOptions,
} from './threshold.js';
export { epsScaling, EPS_SCALING_DEFAULTS, type EpsScalingOptions } from './epsScaling.js';
export {
  weightSchedule,
  scheduledWeight,
  WEIGHT_SCHEDULE_SHAPES,
  type WeightScheduleOptions,
  type WeightScheduleShape,
} from './weightSchedule.js';
export { fdg, fdgWeights, frequencySplit, FDG_DEFAULTS, type FdgOptions } from './fdg.js';

/**
 * The default guidance weight w, for every rule, method, pipeline and command that is not
 * given one.
 */
export const DEFAULT_GUIDANCE_WEIGHT = 3;

export const GUIDANCE_RULE_NAMES = [
  'cfg',
  'rescale',
  'cfgpp',
  'apg',
  'cfg-zero',
  'interval',
  'threshold',
  'eps-scaling',
] as const;
export type GuidanceRuleName = (typeof GUIDANCE_RULE_NAMES)[number];

/** What the registry may need beyond the options: the schedule, for CFG++'s w → λ. */
export interface RuleBuildContext {
  /** The whole schedule, noisiest first (as `sample()` takes it). */
  readonly levels?: readonly NoiseLevel[];
}

export type NumericOptions = Partial<Record<string, number>>;

/** A guidance rule as the registry knows it: its options, declared once, and how to build it. */
export interface GuidanceRuleSpec {
  readonly name: GuidanceRuleName;
  readonly summary: string;
  /** The options the rule owns (w included where the rule takes one). */
  readonly options: readonly OptionSpec[];
  /** Wrappers take an inner rule (option `inner`, default cfg) and pass it the other options. */
  readonly wrapper: boolean;
  build(o: NumericOptions, inner: GuidanceRule | undefined, ctx: RuleBuildContext): GuidanceRule;
}

const W: OptionSpec = {
  key: 'w',
  kind: 'number',
  default: DEFAULT_GUIDANCE_WEIGHT,
  description: 'guidance weight w (1 = none)',
};

// Builders receive only the options the caller gave; the factories fill in the defaults.
export const GUIDANCE_RULES: readonly GuidanceRuleSpec[] = [
  {
    name: 'cfg',
    summary: 'classifier-free guidance, ε_u + w(ε_c − ε_u) (Ho & Salimans 2022)',
    options: [W],
    wrapper: false,
    build: (o) => cfg(o.w ?? DEFAULT_GUIDANCE_WEIGHT),
  },
  {
    name: 'rescale',
    summary: 'CFG followed by guidance rescale (Lin et al. 2023), ε-space as diffusers',
    options: [
      {
        key: 'phi',
        kind: 'number',
        range: { min: 0, max: 1 },
        default: RESCALE_DEFAULTS.phi,
        description: 'rescale strength φ',
      },
    ],
    wrapper: true,
    build: (o, inner) => rescale(inner!, o),
  },
  {
    name: 'cfgpp',
    summary: 'CFG++ (Chung et al. 2024): x̂0 from ε_λ, re-noised with ε_u',
    options: [
      {
        key: 'lambda',
        kind: 'number',
        range: { min: 0 },
        description:
          'CFG++ scale λ; default λ = w·ρ, ρ = median_t (σ_t − σ_s)/σ_t, so w means the same median weight as CFG',
      },
      { ...W, default: undefined },
    ],
    wrapper: false,
    build(o, _inner, ctx) {
      if (o.lambda !== undefined || o.w === undefined) return cfgpp({ lambda: o.lambda, w: o.w });
      if (!ctx.levels) {
        throw new InvalidOptionError(
          "cfgpp: option 'w' without 'lambda' needs the schedule to map w to λ (λ = w·ρ)",
        );
      }
      return cfgppFromWeight(o.w, ctx.levels);
    },
  },
  {
    name: 'apg',
    summary: 'adaptive projected guidance (Sadat et al. 2024), in x̂0 space',
    options: [
      W,
      {
        key: 'eta',
        kind: 'number',
        default: APG_DEFAULTS.eta,
        description: 'weight η of the component parallel to x̂0_c',
      },
      {
        key: 'momentum',
        kind: 'number',
        default: APG_DEFAULTS.momentum,
        description: 'momentum β of the running average',
      },
      {
        key: 'normThreshold',
        kind: 'number-or-inf',
        range: { min: 0 },
        default: APG_DEFAULTS.normThreshold,
        description: 'norm threshold r (0 or inf = off)',
      },
    ],
    wrapper: false,
    build: (o) => apg({ ...o, w: o.w ?? DEFAULT_GUIDANCE_WEIGHT }),
  },
  {
    name: 'cfg-zero',
    summary: 'CFG-Zero* (Fan et al. 2025): optimised scale s*, zero-init steps',
    options: [
      W,
      {
        key: 'zeroInitSteps',
        kind: 'integer',
        range: { min: 0 },
        default: CFG_ZERO_STAR_DEFAULTS.zeroInitSteps,
        description: 'first steps whose ε is zeroed',
      },
    ],
    wrapper: false,
    build: (o) => cfgZeroStar({ ...o, w: o.w ?? DEFAULT_GUIDANCE_WEIGHT }),
  },
  {
    name: 'interval',
    summary: 'guidance only for σ_lo < σ ≤ σ_hi (Kynkäänniemi et al. 2024)',
    options: [
      {
        key: 'sigmaLo',
        kind: 'number',
        range: { min: 0 },
        default: INTERVAL_DEFAULTS.sigmaLo,
        description: 'lower σ bound (exclusive)',
      },
      {
        key: 'sigmaHi',
        kind: 'number-or-inf',
        default: INTERVAL_DEFAULTS.sigmaHi,
        description: 'upper σ bound (inclusive)',
      },
    ],
    wrapper: true,
    build: (o, inner) => interval(inner!, o),
  },
  {
    name: 'threshold',
    summary: 'CFG with dynamic thresholding of x̂0 (Saharia et al. 2022)',
    options: [
      {
        key: 'quantile',
        kind: 'number',
        range: { min: 0, max: 1 },
        default: THRESHOLD_DEFAULTS.quantile,
        description: 'percentile p of |x̂0|',
      },
      {
        key: 'maxValue',
        kind: 'number',
        range: { min: 1 },
        default: THRESHOLD_DEFAULTS.maxValue,
        description: 'upper clamp of the threshold s (diffusers sample_max_value)',
      },
    ],
    wrapper: true,
    build: (o, inner) => threshold(inner!, o),
  },
  {
    name: 'eps-scaling',
    summary: 'CFG with epsilon scaling ε/λ (Ning et al. 2024)',
    options: [
      {
        key: 'scalingFactor',
        kind: 'number',
        range: { min: 0, minOpen: true },
        default: EPS_SCALING_DEFAULTS.scalingFactor,
        description: 'λ (1 = off)',
      },
    ],
    wrapper: true,
    build: (o, inner) => epsScaling(inner!, o),
  },
];

/**
 * Build a rule from its name and flat options. Values may be numbers or numeric strings
 * ("7.5", "Infinity"). Throws InvalidOptionError for an unknown name, an unknown option
 * (listing the valid ones) or an invalid value (naming the option).
 */
export function createGuidanceRule(
  name: string,
  options: Readonly<Record<string, unknown>> = {},
  context: RuleBuildContext = {},
): GuidanceRule {
  const spec = specOf(name);
  const innerName = spec.wrapper && options.inner !== undefined ? ruleName(options.inner) : 'cfg';
  const valid = validOptions(name, spec.wrapper ? innerName : undefined);
  for (const [key, value] of Object.entries(options)) {
    // An option set to undefined counts as not given (CLI parsers leave such keys).
    if (value !== undefined && !valid.includes(key)) {
      const what = spec.wrapper ? `'${name}' (inner '${innerName}')` : `'${name}'`;
      throw new InvalidOptionError(
        `unknown option '${key}' for guidance rule ${what}; valid options: ${valid.join(', ')}`,
      );
    }
  }
  return build(name, options, context, true);
}

function build(
  name: string,
  options: Readonly<Record<string, unknown>>,
  context: RuleBuildContext,
  top: boolean,
): GuidanceRule {
  const spec = specOf(name);
  const own: NumericOptions = {};
  const rest: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(options)) {
    if (value === undefined || (top && key === 'inner')) continue;
    const opt = spec.options.find((o) => o.key === key);
    if (opt) own[key] = Number(parseOptionValue(`${name}: option '${key}'`, opt, value));
    else rest[key] = value;
  }
  const inner = spec.wrapper
    ? build(
        top && options.inner !== undefined ? ruleName(options.inner) : 'cfg',
        rest,
        context,
        false,
      )
    : undefined;
  return spec.build(own, inner, context);
}

function ownKeys(spec: GuidanceRuleSpec): string[] {
  return spec.options.map((o) => o.key);
}

/** Options accepted for `name` (with inner rule `innerName` when it is a wrapper). */
function validOptions(name: string, innerName?: string): string[] {
  const spec = specOf(name);
  if (!spec.wrapper) return ownKeys(spec);
  // The inner rule's own wrapper (if any) is plain CFG: 'inner' is consumed at the top.
  const inner = innerName ?? 'cfg';
  const innerKeys = specOf(inner).wrapper ? validOptions(inner, 'cfg') : ownKeys(specOf(inner));
  return [...new Set([...ownKeys(spec), 'inner', ...innerKeys.filter((k) => k !== 'inner')])];
}

function specOf(name: string): GuidanceRuleSpec {
  if (!(GUIDANCE_RULE_NAMES as readonly string[]).includes(name)) {
    throw new InvalidOptionError(
      `unknown guidance rule '${name}'; valid names: ${GUIDANCE_RULE_NAMES.join(', ')}`,
    );
  }
  return GUIDANCE_RULES.find((r) => r.name === name)!;
}

function ruleName(value: unknown): string {
  if (typeof value !== 'string') {
    throw new InvalidOptionError(
      `option 'inner' must be a guidance rule name, got ${String(value)}`,
    );
  }
  specOf(value);
  return value;
}
