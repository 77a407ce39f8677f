import { InvalidOptionError } from '../core/errors.js';

/** Parse a finite number, naming the option in the error. */
export function parseNumber(value: string, option: string): number {
  const n = Number(value);
  // Decimal only: Number() would also read "0x10", "0b11" and "0o7".
  const decimal = /^\s*[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?\s*$/i.test(value);
  if (!decimal || !Number.isFinite(n)) {
    throw new InvalidOptionError(`${option} must be a finite number, got "${value}"`);
  }
  return n;
}

export function parseInteger(
  value: string,
  option: string,
  min: number,
  max = Number.MAX_SAFE_INTEGER,
): number {
  // Digits only: "1e3", "0x10", "0b11" and "16.0" are refused, not read as 1000, 16, 3, 16.
  if (!/^\s*[+-]?\d+\s*$/.test(value)) {
    throw new InvalidOptionError(
      `${option} must be a decimal integer in [${min}, ${max}], got "${value}"`,
    );
  }
  const n = parseNumber(value, option);
  if (!Number.isInteger(n) || n < min || n > max) {
    throw new InvalidOptionError(
      `${option} must be an integer in [${min}, ${max}], got "${value}"`,
    );
  }
  return n;
}

/** A comma-separated list of finite numbers, e.g. "1,1.5,2". */
export function parseNumberList(value: string, option: string): number[] {
  const parts = value.split(',').map((p) => p.trim());
  if (parts.length === 0 || parts.some((p) => p === '')) {
    throw new InvalidOptionError(
      `${option} must be a comma-separated list of numbers, got "${value}"`,
    );
  }
  return parts.map((p) => parseNumber(p, option));
}

export function parseNameList(value: string, option: string): string[] {
  const parts = value.split(',').map((p) => p.trim());
  if (parts.some((p) => p === ''))
    throw new InvalidOptionError(`${option} has an empty name in "${value}"`);
  return parts;
}
