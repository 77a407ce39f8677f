/**
 * Mel spectrograms as a Vega-Lite heat map, one row per panel (method). Cells are pooled
 * (means over 2 mel bins × k frames) so that an SVG of a few seconds of speech stays a
 * few hundred kB.
 */
import type { Spectrogram } from '../audio/mel.js';
import type { TopLevelSpec } from './render.js';

export interface SpectrogramPanel {
  readonly title: string;
  /** Log-mel [nMels, frames]. */
  readonly logMel: Spectrogram;
}

export interface SpectrogramChartOptions {
  readonly title: string;
  /** Seconds per frame (hop / sample rate). */
  readonly frameSeconds: number;
  /** At most this many pooled columns per panel. Default 120. */
  readonly maxColumns?: number;
}

export function spectrogramChart(
  panels: readonly SpectrogramPanel[],
  opts: SpectrogramChartOptions,
): TopLevelSpec {
  const values: Record<string, number | string>[] = [];
  for (const p of panels) {
    const { rows, frames, data } = p.logMel;
    const k = Math.max(1, Math.ceil(frames / (opts.maxColumns ?? 120)));
    for (let m0 = 0; m0 < rows; m0 += 2) {
      const m1 = Math.min(rows, m0 + 2);
      for (let t0 = 0; t0 < frames; t0 += k) {
        const t1 = Math.min(frames, t0 + k);
        let s = 0;
        for (let m = m0; m < m1; m++) for (let t = t0; t < t1; t++) s += data[m * frames + t];
        values.push({
          panel: p.title,
          t0: +(t0 * opts.frameSeconds).toFixed(4),
          t1: +(t1 * opts.frameSeconds).toFixed(4),
          m0,
          m1,
          v: +(s / ((m1 - m0) * (t1 - t0))).toFixed(2),
        });
      }
    }
  }
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: opts.title,
    data: { values },
    facet: {
      row: { field: 'panel', type: 'nominal', sort: panels.map((p) => p.title), title: null },
    },
    spec: {
      width: 480,
      height: 120,
      mark: { type: 'rect' },
      encoding: {
        x: { field: 't0', type: 'quantitative', title: 'time (s)' },
        x2: { field: 't1' },
        y: { field: 'm0', type: 'quantitative', title: 'mel bin' },
        y2: { field: 'm1' },
        color: { field: 'v', type: 'quantitative', title: 'ln mel', scale: { scheme: 'viridis' } },
      },
    },
  };
}
