import { parseSchedulerConfig, SD15_SCHEDULER_CONFIG } from '../schedules/config.js';
import { schedulePlan, type SchedulePlan } from '../schedules/plan.js';
import type { Problem } from '../denoisers/problem.js';

/** A problem's schedule: its own `schedule` keys, or Stable Diffusion 1.5's. */
export function scheduleFor(problem: Problem, warn?: (message: string) => void): SchedulePlan {
  return schedulePlan(parseSchedulerConfig(problem.schedule ?? SD15_SCHEDULER_CONFIG, { warn }));
}
