/**
 * The guidance rules and a small registry that builds one from a name and a flat options
 * object (what the CLI and the benchmark pass around). Wrapper rules (rescale, interval,
 * threshold, eps-scaling) take an `inner` rule name (default 'cfg'); options they do not
 * own go to the inner rule, so `{ inner: 'apg', w: 5, sigmaHi: 3 }` for 'interval' is
 * interval(apg({ w: 5 }), { sigmaHi: 3 }).
 */
import { InvalidOptionError } from '../errors.js';
import type { NoiseLevel } from '../core/noiseLevel.js';
import { APG_DEFAULTS, apg } from './apg.js';
import { cfg } from './cfg.js';
import { CFGPP_DEFAULTS, cfgpp, cfgppFromWeight } from './cfgpp.js';
import { CFG_ZERO_STAR_DEFAULTS, cfgZeroStar } from './cfgZeroStar.js';
import { EPS_SCALING_DEFAULTS, epsScaling } from './epsScaling.js';
import { INTERVAL_DEFAULTS, interval } from './interval.js';
import { RESCALE_DEFAULTS, rescale } from './rescale.js';
import { THRESHOLD_DEFAULTS, threshold } from './threshold.js';
import type { GuidanceRule } from '../core/guidance.js';

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

/** The default guidance weight of the rules that take one (diffusers' SD1.5 pipeline). */
export const DEFAULT_GUIDANCE_WEIGHT = 7.5;

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

type NumericOptions = Partial<Record<string, number>>;

interface RuleSpec {
  /** Numeric options the rule owns, with their defaults (absent = no default). */
  readonly defaults: Readonly<Record<string, number>>;
  /** Numeric options without a default (CFG++'s nominal w). */
  readonly optional?: readonly string[];
  readonly wrapper: boolean;
  build(o: NumericOptions, inner: GuidanceRule | undefined, ctx: RuleBuildContext): GuidanceRule;
}

const W = { w: DEFAULT_GUIDANCE_WEIGHT };

// Builders receive only the options the caller gave; the factories fill in the defaults.
const SPECS: Record<GuidanceRuleName, RuleSpec> = {
  cfg: { defaults: W, wrapper: false, build: (o) => cfg(o.w ?? W.w) },
  cfgpp: {
    defaults: CFGPP_DEFAULTS,
    optional: ['w'],
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
  apg: {
    defaults: { ...W, ...APG_DEFAULTS },
    wrapper: false,
    build: (o) => apg({ ...o, w: o.w ?? W.w }),
  },
  'cfg-zero': {
    defaults: { ...W, ...CFG_ZERO_STAR_DEFAULTS },
    wrapper: false,
    build: (o) => cfgZeroStar({ ...o, w: o.w ?? W.w }),
  },
  rescale: { defaults: RESCALE_DEFAULTS, wrapper: true, build: (o, inner) => rescale(inner!, o) },
  interval: {
    defaults: INTERVAL_DEFAULTS,
    wrapper: true,
    build: (o, inner) => interval(inner!, o),
  },
  threshold: {
    defaults: THRESHOLD_DEFAULTS,
    wrapper: true,
    build: (o, inner) => threshold(inner!, o),
  },
  'eps-scaling': {
    defaults: EPS_SCALING_DEFAULTS,
    wrapper: true,
    build: (o, inner) => epsScaling(inner!, o),
  },
};

/**
 * The default options of a rule, as echoed in benchmark JSON (wrappers list their inner
 * rule as 'cfg' and also accept the inner rule's options).
 */
export function guidanceDefaults(name: string): Record<string, number | string> {
  const spec = specOf(name);
  return spec.wrapper ? { ...spec.defaults, inner: 'cfg' } : { ...spec.defaults };
}

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
    if (ownKeys(spec).includes(key)) own[key] = toNumber(name, key, value);
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

function ownKeys(spec: RuleSpec): string[] {
  return [...Object.keys(spec.defaults), ...(spec.optional ?? [])];
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

function specOf(name: string): RuleSpec {
  if (!(GUIDANCE_RULE_NAMES as readonly string[]).includes(name)) {
    throw new InvalidOptionError(
      `unknown guidance rule '${name}'; valid names: ${GUIDANCE_RULE_NAMES.join(', ')}`,
    );
  }
  return SPECS[name as GuidanceRuleName];
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

function toNumber(rule: string, key: string, value: unknown): number {
  if (typeof value === 'number') return value;
  if (typeof value === 'string' && value.trim() !== '') {
    const v = /^[+-]?inf$/i.test(value.trim())
      ? Number(value.trim().replace(/inf$/i, 'Infinity'))
      : Number(value);
    if (!Number.isNaN(v)) return v;
  }
  throw new InvalidOptionError(
    `${rule}: option '${key}' must be a number, got ${JSON.stringify(value)}`,
  );
}
