import type { ScheduleInfo } from '../core/levels.js';
import type { NoiseLevel } from '../core/noiseLevel.js';
import type { SamplerStep } from '../core/step.js';
import { stepsForNfe } from '../methods/nfe.js';
import type { ResolvedMethod } from '../methods/registry.js';
import type { MethodInstance } from '../methods/types.js';
import type { Budget } from './budget.js';

/** A schedule that hands out its levels for any step count (`schedulePlan`). */
export interface StepSchedule {
  readonly maxSteps: number;
  forSteps(steps: number): ScheduleInfo;
}

/** One method ready to sample: its step count, rule and wrappers, and the levels. */
export interface MethodPlan {
  readonly steps: number;
  readonly method: MethodInstance;
  readonly levels: readonly NoiseLevel[];
  /** Where step i lands when not levels[i + 1] (the sampler's plan). */
  readonly landings?: readonly NoiseLevel[];
  /** The initial noise's scale (the sampler's plan; default 1). */
  readonly initialScale?: number;
}

/**
 * The one planner: the step count a budget gives `resolved` at weight w (for an NFE budget,
 * the most steps whose evaluations fit, counted by running the method), and the method
 * built on that schedule.
 */
export async function planMethod(
  resolved: ResolvedMethod,
  w: number,
  schedule: StepSchedule,
  sampler: SamplerStep,
  budget: Budget,
): Promise<MethodPlan> {
  const build = (steps: number) => {
    const sched = schedule.forSteps(steps);
    return {
      method: resolved.spec.build(w, resolved.options, sched),
      levels: sched.levels,
      landings: sched.landings,
      initialScale: sched.initialScale,
    };
  };
  const steps =
    budget.nfe !== undefined
      ? (await stepsForNfe(budget.nfe, build, sampler, schedule.maxSteps)).steps
      : budget.steps;
  return { steps, ...build(steps) };
}
