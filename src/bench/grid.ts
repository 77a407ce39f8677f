/**
 * The one grid runner of the benchmarks: methods × w in that order, each cell planned once,
 * sampled, then scored; progress and cancellation are handled here, so a benchmark file is
 * its task (what a cell runs, how a run is scored, what the result reports), not its loop.
 */
import { AbortedError, InvalidOptionError } from '../core/errors.js';
import type { MethodChoice } from '../methods/registry.js';

/** One cell of the grid. */
export interface GridCell {
  readonly method: MethodChoice;
  readonly w: number;
}

export interface GridTask<Plan, Run, Row, Result> {
  readonly methods: readonly MethodChoice[];
  readonly ws: readonly number[];
  /** The cell's one plan (step count and method, run/plan.ts). */
  plan(cell: GridCell): Promise<Plan>;
  /** Sample the cell; `tick(label)` after each unit of work (a prompt, an input, a sentence). */
  runOne(cell: GridCell, plan: Plan, tick: (label: string) => void): Promise<Run>;
  /** The cell's row of the result: its run, scored. */
  score(cell: GridCell, plan: Plan, run: Run): Promise<Row> | Row;
  /** The result, from the rows in grid order. */
  report(rows: Row[]): Promise<Result> | Result;
}

export interface GridOptions {
  readonly signal?: AbortSignal;
  /** After each unit of work of each cell (progress). */
  readonly onProgress?: (label: string) => void;
}

/** A grid needs at least one method and one w (checked before any work). */
export function checkGrid(methods: readonly unknown[], ws: readonly unknown[]): void {
  if (methods.length === 0 || ws.length === 0)
    throw new InvalidOptionError('give at least one method and one w');
}

export async function runGrid<Plan, Run, Row, Result>(
  task: GridTask<Plan, Run, Row, Result>,
  opts: GridOptions = {},
): Promise<Result> {
  checkGrid(task.methods, task.ws);
  const tick = (label: string) => opts.onProgress?.(label);
  const rows: Row[] = [];
  for (const method of task.methods) {
    for (const w of task.ws) {
      if (opts.signal?.aborted) throw new AbortedError();
      const cell = { method, w };
      const plan = await task.plan(cell);
      const run = await task.runOne(cell, plan, tick);
      rows.push(await task.score(cell, plan, run));
    }
  }
  return task.report(rows);
}
