import type { GaussianMixture } from '../denoisers/gaussianMixture.js';
import { facetScatter, lineChart, paretoChart, type GridCell } from '../plot/charts.js';
import { renderSvg } from '../plot/render.js';
import type { GmmBenchResult, RunMetrics, RunRow } from './gmmBench.js';

/** Points per scatter panel: enough to see mode weights, few enough for a light SVG. */
const SCATTER_POINTS = 600;

type MetricName = keyof RunMetrics;
const CURVES: readonly [MetricName, string][] = [
  ['energy', 'energy distance to the true conditional'],
  ['guidedEnergy', 'energy distance to the guided target π₀ʷ'],
  ['adherence', 'adherence (mean true p(c|x))'],
  ['recall', 'k-NN recall'],
  ['precision', 'k-NN precision'],
  ['coverage', 'mode coverage'],
  ['gap', 'accumulated gap A (KSD vs the guided field)'],
  ['condGap', 'accumulated gap vs the conditional training marginal'],
  ['driftGap', 'accumulated drift A_r'],
  ['trueGap', 'accumulated true gap'],
];

function byMethod(runs: readonly RunRow[]): Map<string, RunRow[]> {
  const groups = new Map<string, RunRow[]>();
  for (const r of runs) groups.set(r.method, [...(groups.get(r.method) ?? []), r]);
  return groups;
}

/** One SVG per metric: the metric against w, one line per method. */
export async function metricCurves(result: GmmBenchResult): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  const groups = byMethod(result.runs);
  for (const [metric, label] of CURVES) {
    const series = [...groups].map(([name, rows]) => ({
      name,
      points: rows.map((r) => ({ x: r.w, y: r.metrics[metric] })),
    }));
    if (metric === 'energy') {
      series.push({
        name: 'exact π₀ʷ (floor)',
        points: result.targets.map((t) => ({ x: t.w, y: t.energy })),
      });
    }
    const spec = lineChart({
      title: `${result.problem}: ${label}`,
      xLabel: 'guidance weight w',
      yLabel: metric,
      series,
      legendTitle: 'method',
    });
    out.set(`${metric}-vs-w.svg`, await renderSvg(spec));
  }
  return out;
}

/** Energy vs adherence, one curve per method over w (lower-right is better). */
export async function paretoPlot(result: GmmBenchResult): Promise<string> {
  const series = [...byMethod(result.runs)].map(([name, rows]) => ({
    name,
    points: rows.map((r) => ({ x: r.metrics.adherence, y: r.metrics.energy, label: `w=${r.w}` })),
  }));
  return renderSvg(
    paretoChart({
      title: `${result.problem}: quality vs adherence`,
      xLabel: 'adherence',
      yLabel: 'energy distance to the true conditional',
      series,
      logY: true,
      legendTitle: 'method',
    }),
  );
}

/** The gap per step, one line per w, for each method. */
export async function gapCurves(result: GmmBenchResult): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  for (const [name, rows] of byMethod(result.runs)) {
    for (const [field, label] of [
      ['gap', 'G_t (KSD)'],
      ['condGap', 'KSD vs the conditional training marginal'],
      ['drift', 'mean max(0, r_t − 1)'],
    ] as const) {
      const series = rows.map((r) => ({
        name: `w=${r.w}`,
        points: r.gapSteps.filter((s) => s.i > 0).map((s) => ({ x: s.sigma, y: s[field] })),
      }));
      const spec = lineChart({
        title: `${result.problem} · ${name}: ${label} per step`,
        xLabel: 'σ_t',
        yLabel: field,
        series,
        logX: true,
        legendTitle: 'weight',
      });
      out.set(`${field}-per-step-${name}.svg`, await renderSvg(spec));
    }
  }
  return out;
}

/** 2-D problems: samples of every method × w over the true conditional density. */
export async function scatterPlot(
  result: GmmBenchResult,
  truthCond: GaussianMixture,
): Promise<string | undefined> {
  if (result.dim !== 2 || result.runs.some((r) => !r.samples)) return undefined;
  const all = result.runs.flatMap((r) => (r.samples ?? []).slice(0, SCATTER_POINTS));
  const xs = all.map((p) => p[0]);
  const ys = all.map((p) => p[1]);
  const q = (v: number[], f: number) =>
    [...v].sort((a, b) => a - b)[Math.floor(f * (v.length - 1))];
  const pad = (lo: number, hi: number): [number, number] => [
    lo - 0.15 * (hi - lo),
    hi + 0.15 * (hi - lo),
  ];
  const xDomain = pad(q(xs, 0.005), q(xs, 0.995));
  const yDomain = pad(q(ys, 0.005), q(ys, 0.995));
  return renderSvg(
    facetScatter({
      title: `${result.problem}: samples over the true conditional density`,
      points: result.runs.flatMap((r) =>
        (r.samples ?? [])
          .slice(0, SCATTER_POINTS)
          .map((p) => ({ x: p[0], y: p[1], method: r.method, w: r.w })),
      ),
      background: densityGrid(truthCond, xDomain, yDomain, 40),
      xDomain,
      yDomain,
      panelSize: 220,
    }),
  );
}

function densityGrid(
  mix: GaussianMixture,
  xd: [number, number],
  yd: [number, number],
  cells: number,
): GridCell[] {
  const pts = new Float64Array(cells * cells * 2);
  for (let i = 0; i < cells; i++) {
    for (let j = 0; j < cells; j++) {
      pts[2 * (i * cells + j)] = xd[0] + ((i + 0.5) * (xd[1] - xd[0])) / cells;
      pts[2 * (i * cells + j) + 1] = yd[0] + ((j + 0.5) * (yd[1] - yd[0])) / cells;
    }
  }
  const logp = mix.logPdf(pts);
  return Array.from(logp, (lp, k) => ({ x: pts[2 * k], y: pts[2 * k + 1], value: Math.exp(lp) }));
}
