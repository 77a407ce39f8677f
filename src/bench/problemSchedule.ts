import {
  parseSchedulerConfig,
  SD15_SCHEDULER_CONFIG,
  type ScheduleConfig,
} from '../schedules/config.js';
import { schedulePlan, type SchedulePlan } from '../schedules/plan.js';
import type { Problem } from '../denoisers/problem.js';

/** A problem's scheduler config: its own `schedule` keys, or Stable Diffusion 1.5's. */
export function scheduleConfigFor(
  problem: Problem,
  warn?: (message: string) => void,
): ScheduleConfig {
  return parseSchedulerConfig(problem.schedule ?? SD15_SCHEDULER_CONFIG, { warn });
}

/** A problem's schedule with DDIM's plan (tests that step by hand). */
export function scheduleFor(problem: Problem, warn?: (message: string) => void): SchedulePlan {
  return schedulePlan(scheduleConfigFor(problem, warn));
}
