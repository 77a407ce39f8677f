/**
 * The text-to-image tab's two per-step plots (training–inference gap, ε-drift), re-rendered
 * while sampling runs.
 */
import type { GapStep } from '../src/monitors/gapMonitor.js';
import { lineChart, type Series } from '../src/plot/charts.js';
import { renderSvg } from '../src/plot/render.js';
import { byId } from './dom.js';

const PLOT_INTERVAL_MS = 1000;

/**
 * Re-render the two per-step plots, one render at a time with the latest data, and at
 * most every PLOT_INTERVAL_MS: a Vega render costs as much as several sampling steps of
 * the embedded model, and both share the page's thread.
 */
export function livePlots() {
  const gap = new Map<string, GapStep[]>();
  let pending = false;
  let generation = 0;
  let rendering: Promise<void> = Promise.resolve();
  const series = (field: 'training' | 'drift'): Series[] =>
    [...gap].map(([name, steps]) => ({
      name,
      points: steps.filter((s) => Number.isFinite(s[field])).map((s) => ({ x: s.i, y: s[field] })),
    }));
  const render = async (asked: number) => {
    pending = false;
    const chart = (field: 'training' | 'drift', title: string, yLabel: string) =>
      renderSvg(
        lineChart({
          title,
          xLabel: 'step',
          yLabel,
          series: series(field),
          width: 320,
          height: 200,
        }),
      );
    const gapSvg = await chart(
      'training',
      'training–inference gap per step (network’s training loss on the iterate)',
      'g_t (mean over samples)',
    );
    const driftSvg = await chart('drift', 'ε-drift per step', 'mean max(0, r_t − 1)');
    // A clear() while rendering wins: stale plots are not put back.
    if (asked !== generation) return;
    byId('gap-plot').innerHTML = gapSvg;
    byId('drift-plot').innerHTML = driftSvg;
  };
  return {
    /** Forget the data and remove the plots. */
    clear(): void {
      gap.clear();
      generation += 1;
      pending = false;
      byId('gap-plot').replaceChildren();
      byId('drift-plot').replaceChildren();
    },
    add(method: string, step: GapStep): void {
      gap.set(method, [...(gap.get(method) ?? []), step]);
      if (!pending) {
        pending = true;
        const asked = generation;
        rendering = rendering
          .then(() => new Promise((r) => setTimeout(r, PLOT_INTERVAL_MS)))
          .then(() => (asked === generation ? render(asked) : undefined));
      }
    },
    settled: () => rendering,
  };
}
