import type { GuidanceRule } from '../core/guidance.js';
import type { ScheduleInfo } from '../core/levels.js';
import type { TransitionWrapper } from '../core/transition.js';
import type { OptionSpec, OptionValue } from '../options/schema.js';

export type { OptionSpec, OptionValue } from '../options/schema.js';

/** A ready-to-run method: the guidance rule and the wrappers around the sampler's step. */
export interface MethodInstance {
  readonly rule: GuidanceRule;
  readonly wrappers: readonly TransitionWrapper[];
  /**
   * What `--nfe` planning counts, when it is not the method itself: a method whose cost
   * depends on the data (an iterative solve that stops early) gives its worst case here.
   */
  readonly planning?: Omit<MethodInstance, 'planning'>;
}

/**
 * A named sampling method: a guidance rule, DiffIER, or a peer. `build` receives the
 * user's w and the options (defaults already filled in and validated).
 */
export interface MethodSpec {
  readonly name: string;
  readonly summary: string;
  readonly options: readonly OptionSpec[];
  build(
    w: number,
    options: Readonly<Record<string, OptionValue>>,
    schedule: ScheduleInfo,
  ): MethodInstance;
  /** A warning when a batch of n samples sharing one condition is too small for the method. */
  batchNote?(n: number, options: Readonly<Record<string, OptionValue>>): string | undefined;
}
