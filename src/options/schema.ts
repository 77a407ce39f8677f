/**
 * The one declarative option schema of the library: every guidance rule and every method
 * declares each of its options once, as an `OptionSpec`; the CLI flags, the JSON echo, the
 * web page's option fields and the library's own checks derive from it, through the one
 * parser below.
 */
import { InvalidOptionError } from '../core/errors.js';

/** A value a method option can take. */
export type OptionValue = number | string | boolean;

/** The values a numeric option may take: min/max, each inclusive unless said open. */
export interface OptionRange {
  readonly min?: number;
  readonly max?: number;
  readonly minOpen?: boolean;
  readonly maxOpen?: boolean;
}

/** "[0, 16]", "(0, 4]", "≥ 0", "> 0" (what the CLI help and the errors say). */
export function formatRange(r: OptionRange): string {
  if (r.min !== undefined && r.max !== undefined)
    return `${r.minOpen ? '(' : '['}${r.min}, ${r.max}${r.maxOpen ? ')' : ']'}`;
  if (r.min !== undefined) return `${r.minOpen ? '>' : '≥'} ${r.min}`;
  if (r.max !== undefined) return `${r.maxOpen ? '<' : '≤'} ${r.max}`;
  return 'any value';
}

function inRange(v: number, r: OptionRange): boolean {
  const aboveMin = r.min === undefined || (r.minOpen ? v > r.min : v >= r.min);
  const belowMax = r.max === undefined || (r.maxOpen ? v < r.max : v <= r.max);
  return aboveMin && belowMax;
}

/** One documented option of a rule or method; the CLI turns it into a flag (`optionFlag`). */
export interface OptionSpec {
  /** Key in the options object (camelCase); the flag is derived from it. */
  readonly key: string;
  readonly description: string;
  readonly kind: 'number' | 'integer' | 'number-or-inf' | 'choice';
  readonly choices?: readonly string[];
  /** Default; undefined means "derived from w or the schedule" (said in the description). */
  readonly default?: OptionValue;
  /** The bounds of a numeric option, checked by `parseOptionValue`. */
  readonly range?: OptionRange;
}

/**
 * Check one raw option value (a number, or a string from the CLI or the web page) against
 * its spec. `where` names the option in the error ("--apg-eta", "apg: option 'eta'").
 * Numbers may be written "inf"/"infinity"; only `number-or-inf` options accept +∞. A
 * declared `range` is checked here, so every caller (CLI, library, web page) gets it.
 */
export function parseOptionValue(where: string, opt: OptionSpec, raw: unknown): OptionValue {
  if (opt.kind === 'choice') {
    const v = String(raw);
    if (!opt.choices?.includes(v))
      throw new InvalidOptionError(
        `${where} must be one of ${opt.choices?.join(', ')}, got "${v}"`,
      );
    return v;
  }
  // Decimal only: Number() would also read "0x10", "0b11" and "0o7".
  if (typeof raw === 'string' && /^\s*[+-]?0[xbo]/i.test(raw)) {
    throw new InvalidOptionError(`${where} must be a decimal number, got "${raw}"`);
  }
  const v =
    typeof raw === 'number'
      ? raw
      : typeof raw !== 'string' || raw.trim() === ''
        ? NaN
        : /^\+?inf(inity)?$/i.test(raw.trim())
          ? Infinity
          : Number(raw);
  if (Number.isNaN(v) || (!Number.isFinite(v) && opt.kind !== 'number-or-inf') || v === -Infinity) {
    const what = Number.isNaN(v) ? 'number' : 'finite number';
    throw new InvalidOptionError(
      `${where} must be a ${opt.kind === 'number-or-inf' ? 'number or inf' : what}, got "${raw}"`,
    );
  }
  if (opt.kind === 'integer' && !Number.isInteger(v))
    throw new InvalidOptionError(`${where} must be an integer, got "${raw}"`);
  if (opt.kind === 'integer' && typeof raw === 'string' && !/^\s*[+-]?\d+\s*$/.test(raw))
    throw new InvalidOptionError(`${where} must be a decimal integer, got "${raw}"`);
  if (opt.range && !inRange(v, opt.range))
    throw new InvalidOptionError(`${where} must be in ${formatRange(opt.range)}, got "${raw}"`);
  return v;
}

/** camelCase → kebab-case. */
export function kebab(key: string): string {
  return key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
}

/**
 * The CLI flag of a method's option: `--<method>-<option>`, with a word the two share said
 * once (`--eps-scaling-factor`, not `--eps-scaling-scaling-factor`).
 */
export function optionFlag(method: string, key: string): string {
  const m = method.split('-');
  const o = kebab(key).split('-');
  for (let n = Math.min(m.length, o.length - 1); n > 0; n--) {
    if (m.slice(-n).join('-') === o.slice(0, n).join('-'))
      return `--${[...m, ...o.slice(n)].join('-')}`;
  }
  return `--${method}-${kebab(key)}`;
}

/** The flag as spelt before `optionFlag` said shared words once (still accepted). */
export function legacyOptionFlag(method: string, key: string): string {
  return `--${method}-${kebab(key)}`;
}
