/** What the real-model benchmarks (t2i, sr) share to report runs over methods × w. */
import { lineChart } from '../plot/charts.js';
import { renderSvg } from '../plot/render.js';

interface MethodRun {
  readonly method: string;
  readonly w: number;
}

/** Runs grouped by method, in order of first appearance. */
export function byMethod<R extends MethodRun>(runs: readonly R[]): Map<string, R[]> {
  const groups = new Map<string, R[]>();
  for (const r of runs) groups.set(r.method, [...(groups.get(r.method) ?? []), r]);
  return groups;
}

/** File-system-safe name of a run's grid: `<method>-w<w>.png`. */
export function gridName(run: MethodRun): string {
  return `${run.method}-w${String(run.w).replace(/[^0-9a-zA-Z.-]/g, '_')}.png`;
}

/** A metric against w, one line per method, plus flat reference lines (floors, baselines). */
export async function metricVsW<R extends MethodRun>(
  runs: readonly R[],
  title: string,
  label: string,
  pick: (r: R) => number | null,
  references: readonly { name: string; value: number }[] = [],
): Promise<string> {
  const ws = [...new Set(runs.map((r) => r.w))].sort((a, b) => a - b);
  const series = [...byMethod(runs)].map(([name, rows]) => ({
    name,
    points: rows.map((r) => ({ x: r.w, y: pick(r) ?? NaN })),
  }));
  for (const ref of references) {
    series.push({ name: ref.name, points: ws.map((w) => ({ x: w, y: ref.value })) });
  }
  return renderSvg(
    lineChart({
      title: `${title}: ${label} vs guidance weight`,
      xLabel: 'guidance weight w',
      yLabel: label,
      series,
      legendTitle: 'method',
    }),
  );
}
