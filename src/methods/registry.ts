import { InvalidOptionError } from '../core/errors.js';
import { DIFFIER_METHOD, PEER_METHODS } from './diffierMethods.js';
import { GUIDANCE_METHODS } from './guidanceMethods.js';
import { PEER_GUIDANCE_METHODS } from './peerGuidanceMethods.js';
import { optionFlag, parseOptionValue } from '../options/schema.js';
import type { MethodSpec, OptionSpec, OptionValue } from './types.js';

/** Every method the CLI and the benchmarks know, by name. */
export const METHODS: readonly MethodSpec[] = [
  ...GUIDANCE_METHODS,
  DIFFIER_METHOD,
  ...PEER_METHODS,
  ...PEER_GUIDANCE_METHODS,
];

export const METHOD_NAMES = METHODS.map((m) => m.name);

/** A method as the user asked for it: a name and raw option values (strings from the CLI, or numbers). */
export interface MethodChoice {
  readonly name: string;
  readonly options?: Readonly<Record<string, OptionValue | undefined>>;
}

export interface ResolvedMethod {
  readonly spec: MethodSpec;
  /** Every option with its value (defaults filled in), as echoed in JSON. */
  readonly options: Readonly<Record<string, OptionValue>>;
}

export function methodSpec(name: string): MethodSpec {
  const spec = METHODS.find((m) => m.name === name);
  if (!spec)
    throw new InvalidOptionError(
      `unknown method "${name}"; known methods: ${METHOD_NAMES.join(', ')}`,
    );
  return spec;
}

/** Check names and option values, fill in defaults. */
export function resolveMethod(choice: MethodChoice): ResolvedMethod {
  const spec = methodSpec(choice.name);
  const given = choice.options ?? {};
  for (const key of Object.keys(given)) {
    if (given[key] !== undefined && !spec.options.some((o) => o.key === key)) {
      const valid = spec.options.map((o) => o.key).join(', ') || 'none';
      throw new InvalidOptionError(
        `unknown option "${key}" for method ${spec.name}; its options: ${valid}`,
      );
    }
  }
  const options: Record<string, OptionValue> = {};
  for (const opt of spec.options) {
    const raw = given[opt.key] ?? opt.default;
    if (raw !== undefined) options[opt.key] = parseOption(spec.name, opt, raw);
  }
  return { spec, options };
}

function parseOption(method: string, opt: OptionSpec, raw: OptionValue): OptionValue {
  return parseOptionValue(optionFlag(method, opt.key), opt, raw);
}
