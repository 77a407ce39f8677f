/**
 * The names `--sampler` accepts, as users' tools spell them, resolved to a registry entry and
 * the config keys the name stands for:
 *
 * - project names: ddim, ddpm, euler, euler-a, dpmpp-2m, dpmpp-2m-sde, heun, dpmpp-sde, unipc, lms, lcm;
 * - diffusers `_class_name` values (DDIMScheduler, …): the config's own keys decide the rest;
 * - ComfyUI sampler names (euler_ancestral, dpmpp_2m, dpmpp_2m_sde, …).
 *
 * Any of them may be followed by `:` and a ComfyUI scheduler name (`dpmpp_2m:karras`), which
 * sets the σ spacing, or by `:key=value,…` diffusers config keys
 * (`DPMSolverMultistepScheduler:use_karras_sigmas=true`). A name or spacing we cannot honour
 * is refused by name.
 */
import { InvalidOptionError } from '../core/errors.js';
import { PARSED_KEYS, type ScheduleConfig } from '../schedules/config.js';
import { keysReadBy, knowsClass } from '../schedules/settings.js';
import {
  resolveDefinition,
  SAMPLERS,
  samplerDefinition,
  samplerForClass,
  unknownSampler,
  type ResolvedSampler,
  type SamplerDefinition,
  type SamplerOptions,
} from './registry.js';

type Keys = Readonly<Record<string, unknown>>;

/** A name: the registry entry and the keys that define it (over the config's). */
interface Alias {
  readonly sampler: string;
  readonly keys: Keys;
}

const DPM_ODE = { algorithm_type: 'dpmsolver++', solver_order: 2 };
const DPM_SDE = { algorithm_type: 'sde-dpmsolver++', solver_order: 2 };

/** Project and ComfyUI sampler names. Extend here when a sampler is added. */
export const SAMPLER_ALIASES: Readonly<Record<string, Alias>> = {
  ddim: { sampler: 'ddim', keys: {} },
  ddpm: { sampler: 'ddpm', keys: {} },
  euler: { sampler: 'euler', keys: {} },
  'euler-a': { sampler: 'euler-a', keys: {} },
  euler_ancestral: { sampler: 'euler-a', keys: {} },
  'dpmpp-2m': { sampler: 'dpmpp-2m', keys: DPM_ODE },
  dpmpp_2m: { sampler: 'dpmpp-2m', keys: DPM_ODE },
  'dpmpp-2m-sde': { sampler: 'dpmpp-2m', keys: DPM_SDE },
  dpmpp_2m_sde: { sampler: 'dpmpp-2m', keys: DPM_SDE },
  dpmpp_2m_sde_gpu: { sampler: 'dpmpp-2m', keys: DPM_SDE },
  heun: { sampler: 'heun', keys: {} },
  'dpmpp-sde': { sampler: 'dpmpp-sde', keys: {} },
  dpmpp_sde: { sampler: 'dpmpp-sde', keys: {} },
  dpmpp_sde_gpu: { sampler: 'dpmpp-sde', keys: {} },
  unipc: { sampler: 'unipc', keys: {} },
  // ComfyUI's uni_pc is the bh1 variant, uni_pc_bh2 the bh2 one, both of order 3.
  uni_pc: { sampler: 'unipc', keys: { solver_type: 'bh1', solver_order: 3 } },
  uni_pc_bh2: { sampler: 'unipc', keys: { solver_type: 'bh2', solver_order: 3 } },
  lms: { sampler: 'lms', keys: {} },
  lcm: { sampler: 'lcm', keys: {} },
};

/**
 * ComfyUI scheduler names → the diffusers keys giving the same σ spacing; null: no diffusers
 * equivalent here (refused by name). `normal` spaces timesteps evenly from T − 1 to 0
 * (diffusers' linspace), `simple` and `sgm_uniform` step back by T/N from T − 1 (trailing),
 * `ddim_uniform` is leading with steps_offset 1. ComfyUI interpolates σ between grid points
 * in log σ where diffusers' Euler interpolates in σ, so fractional timesteps differ slightly.
 */
export const COMFY_SCHEDULERS: Readonly<Record<string, Keys | null>> = {
  karras: { use_karras_sigmas: true },
  normal: { timestep_spacing: 'linspace', use_karras_sigmas: false },
  simple: { timestep_spacing: 'trailing', use_karras_sigmas: false },
  sgm_uniform: { timestep_spacing: 'trailing', use_karras_sigmas: false },
  ddim_uniform: { timestep_spacing: 'leading', steps_offset: 1, use_karras_sigmas: false },
  exponential: null,
  beta: null,
  linear_quadratic: null,
  kl_optimal: null,
};

/** Every name `--sampler` accepts before the optional `:spacing` (help text, errors). */
export function samplerNames(): string[] {
  const project = SAMPLERS.map((d) => d.name);
  const aliases = Object.keys(SAMPLER_ALIASES).filter((n) => !project.includes(n));
  return [...project, ...aliases, ...SAMPLERS.map((d) => d.className)];
}

/** `key=value,…` with JSON values (true, 2, "karras") or bare strings. */
function parseKeyList(text: string, name: string): Keys {
  const out: Record<string, unknown> = {};
  for (const part of text.split(',')) {
    const eq = part.indexOf('=');
    if (eq <= 0)
      throw new InvalidOptionError(`sampler "${name}": expected key=value, got "${part}"`);
    const raw = part.slice(eq + 1);
    let value: unknown = raw;
    try {
      value = JSON.parse(raw);
    } catch {
      // a bare string such as sde-dpmsolver++
    }
    out[part.slice(0, eq)] = value;
  }
  return out;
}

/** Keys given by name must be read by the class (or be the training schedule's). */
function classKeys(keys: Keys, name: string, definition: SamplerDefinition): Keys {
  const reads = keysReadBy(definition.className);
  for (const key of Object.keys(keys)) {
    if (!reads.includes(key) && !PARSED_KEYS.has(key)) {
      throw new InvalidOptionError(
        `sampler "${name}": ${definition.className} does not read ${key} (it reads ${reads.join(', ')})`,
      );
    }
  }
  return keys;
}

function spacingKeys(spacing: string, name: string, definition: SamplerDefinition): Keys {
  if (spacing.includes('=')) return classKeys(parseKeyList(spacing, name), name, definition);
  if (!(spacing in COMFY_SCHEDULERS)) {
    throw new InvalidOptionError(
      `sampler "${name}": unknown scheduler "${spacing}"; valid: ${Object.keys(COMFY_SCHEDULERS).join(', ')}`,
    );
  }
  const keys = COMFY_SCHEDULERS[spacing];
  if (keys === null) {
    throw new InvalidOptionError(`sampler "${name}": the ${spacing} scheduler is not supported`);
  }
  if (keys.use_karras_sigmas && !keysReadBy(definition.className).includes('use_karras_sigmas')) {
    throw new InvalidOptionError(
      `sampler "${name}": ${definition.className} has no Karras σ's (use euler or dpmpp_2m with karras)`,
    );
  }
  return keys;
}

/** The registry entry and keys a name stands for (no schedule needed: checks the name only). */
export function parseSamplerName(name: string): { definition: SamplerDefinition; keys: Keys } {
  const colon = name.indexOf(':');
  const base = colon < 0 ? name : name.slice(0, colon);
  const alias = SAMPLER_ALIASES[base];
  const definition = alias
    ? samplerDefinition(alias.sampler)
    : knowsClass(base)
      ? samplerForClass(base)
      : undefined;
  if (!definition) throw unknownSampler(base, samplerNames());
  const extra = colon < 0 ? {} : spacingKeys(name.slice(colon + 1), name, definition);
  return { definition, keys: { ...(alias?.keys ?? {}), ...extra } };
}

/** The sampler used when none is named: the config's `_class_name` where supported, else DDIM. */
export function defaultSamplerName(schedule: ScheduleConfig): string {
  const cls = schedule.className;
  return cls !== null && samplerForClass(cls) ? cls : 'ddim';
}

/**
 * Resolve `--sampler` (or the default) against a schedule: the entry, the config with the
 * name's keys, the class's plan, the step; every key and option checked now.
 */
export function resolveSampler(
  name: string | undefined,
  schedule: ScheduleConfig,
  options: SamplerOptions = {},
): ResolvedSampler {
  const chosen = name ?? defaultSamplerName(schedule);
  const { definition, keys } = parseSamplerName(chosen);
  return resolveDefinition(chosen, definition, keys, schedule, options);
}
