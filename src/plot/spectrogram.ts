/**
 * Mel spectrograms as a Vega-Lite heat map, one row per panel (method, w). Cells are pooled
 * (means over 4 mel bins × k frames, at most 80 columns) and drawn on integer pixel
 * positions without ARIA labels, so that a six-panel SVG stays near half a megabyte.
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
}

const BINS_PER_CELL = 4;
const MAX_COLUMNS = 80;
const CELL_W = 5;
const CELL_H = 4;

export function spectrogramChart(
  panels: readonly SpectrogramPanel[],
  opts: SpectrogramChartOptions,
): TopLevelSpec {
  const values: Record<string, number | string>[] = [];
  const frames = Math.max(...panels.map((p) => p.logMel.frames));
  const k = Math.max(1, Math.ceil(frames / MAX_COLUMNS));
  const columns = Math.ceil(frames / k);
  const rows = Math.ceil(Math.max(...panels.map((p) => p.logMel.rows)) / BINS_PER_CELL);
  for (const p of panels) {
    const { rows: nMels, frames: nf, data } = p.logMel;
    for (let r = 0; r * BINS_PER_CELL < nMels; r++) {
      const m0 = r * BINS_PER_CELL;
      const m1 = Math.min(nMels, m0 + BINS_PER_CELL);
      for (let c = 0; c * k < nf; c++) {
        const t1 = Math.min(nf, (c + 1) * k);
        let s = 0;
        for (let m = m0; m < m1; m++) for (let t = c * k; t < t1; t++) s += data[m * nf + t];
        values.push({ panel: p.title, c, r, v: +(s / ((m1 - m0) * (t1 - c * k))).toFixed(2) });
      }
    }
  }
  const secondsPerColumn = k * opts.frameSeconds;
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: opts.title,
    data: { values },
    config: { aria: false },
    facet: {
      row: { field: 'panel', type: 'nominal', sort: panels.map((p) => p.title), title: null },
    },
    spec: {
      width: columns * CELL_W,
      height: rows * CELL_H,
      mark: { type: 'rect', aria: false },
      transform: [
        { calculate: 'datum.c + 1', as: 'c1' },
        { calculate: 'datum.r + 1', as: 'r1' },
      ],
      encoding: {
        x: {
          field: 'c',
          type: 'quantitative',
          scale: { domain: [0, columns], nice: false },
          title: 'time (s)',
          axis: { labelExpr: `format(datum.value * ${secondsPerColumn}, '.1f')` },
        },
        x2: { field: 'c1' },
        y: {
          field: 'r',
          type: 'quantitative',
          scale: { domain: [0, rows], nice: false },
          title: `mel bin ÷ ${BINS_PER_CELL}`,
        },
        y2: { field: 'r1' },
        color: {
          field: 'v',
          type: 'quantitative',
          title: 'ln mel',
          // One fixed range for every panel (ln of the 1e-5 floor … loud speech), clamped.
          scale: { scheme: 'viridis', domain: [-12, 2], clamp: true },
        },
      },
    },
  };
}
