/** Typed reads of scheduler config keys: a ConfigError naming the key on a bad value. */
import { ConfigError } from '../core/errors.js';

export type Json = Record<string, unknown>;

export function isObject(v: unknown): v is Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export function readNumber(o: Json, key: string, def: number): number {
  const v = o[key];
  if (v === undefined) return def;
  if (typeof v !== 'number' || !Number.isFinite(v)) {
    throw new ConfigError(
      `scheduler config: ${key} must be a finite number, got ${JSON.stringify(v)}`,
    );
  }
  return v;
}

export function readInteger(o: Json, key: string, def: number, min: number): number {
  const v = readNumber(o, key, def);
  if (!Number.isInteger(v) || v < min) {
    throw new ConfigError(`scheduler config: ${key} must be an integer ≥ ${min}, got ${v}`);
  }
  return v;
}

export function readBoolean(o: Json, key: string, def: boolean): boolean {
  const v = o[key];
  if (v === undefined) return def;
  if (typeof v !== 'boolean') {
    throw new ConfigError(
      `scheduler config: ${key} must be true or false, got ${JSON.stringify(v)}`,
    );
  }
  return v;
}

export function readEnum<T extends string>(o: Json, key: string, allowed: readonly T[], def: T): T {
  const v = o[key];
  if (v === undefined) return def;
  if (typeof v !== 'string' || !(allowed as readonly string[]).includes(v)) {
    throw new ConfigError(
      `scheduler config: ${key} must be one of ${allowed.join(', ')}, got ${JSON.stringify(v)}`,
    );
  }
  return v as T;
}

/** A positive number or null/absent (diffusers writes `null` for unset optional values). */
export function readOptionalPositive(o: Json, key: string): number | null {
  if (o[key] === undefined || o[key] === null) return null;
  const v = readNumber(o, key, NaN);
  if (v <= 0) throw new ConfigError(`scheduler config: ${key} must be > 0, got ${v}`);
  return v;
}
