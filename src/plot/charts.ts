import type { TopLevelSpec } from 'vega-lite';
import type { Field, PositionFieldDef } from 'vega-lite/types_unstable/channeldef.js';
import type { UnitSpec } from 'vega-lite/types_unstable/spec/unit.js';

import { InvalidOptionError } from '../core/errors.js';

/**
 * Vega-Lite specs for the project's figures: per-step curves (lineChart), 2-D sample
 * scatters over a density background (scatterChart, facetScatter: one panel per method ×
 * guidance weight) and quality trade-offs (paretoChart). Render with ./render.ts.
 *
 * Data is inlined into the spec, so a spec is self-contained and renders identically
 * anywhere. Non-finite values are dropped (they cannot be drawn), as are non-positive
 * values on a log axis.
 */

export interface XY {
  x: number;
  y: number;
}

export interface Series {
  name: string;
  points: readonly XY[];
}

export interface LineChartOptions {
  title: string;
  xLabel: string;
  yLabel: string;
  series: readonly Series[];
  logX?: boolean;
  logY?: boolean;
  /** Legend title (default: none). */
  legendTitle?: string;
  width?: number;
  height?: number;
}

/** A cell of a regular grid (its centre) with a value to shade, e.g. a target density. */
export interface GridCell {
  x: number;
  y: number;
  value: number;
}

/** A closed axis range [min, max]; points outside are not drawn (and counted in the subtitle). */
export type Domain = readonly [number, number];

export interface ScatterPoint extends XY {
  /** Colour group (e.g. a class); all points share one colour when absent. */
  group?: string;
}

export interface ScatterChartOptions {
  title: string;
  xLabel?: string;
  yLabel?: string;
  points: readonly ScatterPoint[];
  /** Shaded grid drawn behind the points (e.g. the true density); cells on a regular grid. */
  background?: readonly GridCell[];
  xDomain?: Domain;
  yDomain?: Domain;
  width?: number;
  height?: number;
}

export interface FacetPoint extends XY {
  method: string;
  w: number;
}

export interface FacetScatterOptions {
  title: string;
  xLabel?: string;
  yLabel?: string;
  points: readonly FacetPoint[];
  /** Drawn behind the points of every panel. */
  background?: readonly GridCell[];
  /** Column order (default: order of first appearance in `points`). */
  methods?: readonly string[];
  xDomain?: Domain;
  yDomain?: Domain;
  /** Side of one square panel in px (default 300). */
  panelSize?: number;
}

export interface ParetoPoint extends XY {
  /** Written next to the point, e.g. "w=3". */
  label?: string;
}

export interface ParetoSeries {
  name: string;
  /** Connected in the given order (e.g. increasing w), not sorted by x. */
  points: readonly ParetoPoint[];
}

export interface ParetoChartOptions {
  title: string;
  xLabel: string;
  yLabel: string;
  series: readonly ParetoSeries[];
  logX?: boolean;
  logY?: boolean;
  legendTitle?: string;
  width?: number;
  height?: number;
}

const DEFAULT_SIZE = 300;
const SCHEMA = 'https://vega.github.io/schema/vega-lite/v6.json';
/** Points over a grey density read best in one saturated colour. */
const POINT_COLOUR = '#1f77b4';

/** Curves y(x), one per series (e.g. the gap per step, per method). Lines follow x. */
export function lineChart(opts: LineChartOptions): TopLevelSpec {
  const rows = opts.series.flatMap((s) =>
    s.points
      .filter((p) => drawable(p.x, opts.logX) && drawable(p.y, opts.logY))
      .map((p) => ({ series: s.name, x: p.x, y: p.y })),
  );
  return {
    $schema: SCHEMA,
    title: opts.title,
    width: size(opts.width),
    height: size(opts.height),
    data: { values: rows },
    mark: { type: 'line', point: true },
    encoding: {
      x: {
        field: 'x',
        type: 'quantitative',
        title: opts.xLabel,
        scale: opts.logX ? { type: 'log' } : { zero: false },
      },
      y: {
        field: 'y',
        type: 'quantitative',
        title: opts.yLabel,
        scale: opts.logY ? { type: 'log' } : { zero: false },
      },
      color: {
        field: 'series',
        type: 'nominal',
        sort: opts.series.map((s) => s.name),
        title: opts.legendTitle ?? null,
      },
    },
  };
}

/** One 2-D scatter, optionally coloured by group, over an optional density grid. */
export function scatterChart(opts: ScatterChartOptions): TopLevelSpec {
  const { kept, dropped } = inDomain(opts.points, opts.xDomain, opts.yDomain);
  const grouped = kept.some((p) => p.group !== undefined);
  const rows: Record<string, unknown>[] = kept.map((p) => ({
    kind: 'point',
    x: p.x,
    y: p.y,
    group: p.group ?? '',
  }));
  rows.push(...gridRows(opts.background ?? [], opts.xDomain, opts.yDomain));
  return {
    $schema: SCHEMA,
    title: titleWithDropped(opts.title, dropped),
    width: size(opts.width),
    height: size(opts.height),
    data: { values: rows },
    layer: [
      ...(opts.background?.length
        ? [backgroundLayer(opts.xLabel ?? 'x', opts.yLabel ?? 'y', opts.xDomain, opts.yDomain)]
        : []),
      {
        transform: [{ filter: "datum.kind === 'point'" }],
        mark: { type: 'circle', size: 10, opacity: 0.7, aria: false },
        encoding: {
          x: axis('x', opts.xLabel ?? 'x', opts.xDomain),
          y: axis('y', opts.yLabel ?? 'y', opts.yDomain),
          ...(grouped
            ? { color: { field: 'group', type: 'nominal', title: null } }
            : { color: { value: POINT_COLOUR } }),
        },
      },
    ],
    resolve: { scale: { fill: 'independent' } },
  };
}

/**
 * A grid of 2-D scatters: one column per method, one row per guidance weight w, all on
 * shared axes, each over the same optional density grid.
 */
export function facetScatter(opts: FacetScatterOptions): TopLevelSpec {
  const { kept, dropped } = inDomain(opts.points, opts.xDomain, opts.yDomain);
  const methods = opts.methods ?? unique(opts.points.map((p) => p.method));
  const rows: Record<string, unknown>[] = kept.map((p) => ({
    kind: 'point',
    x: p.x,
    y: p.y,
    method: p.method,
    w: p.w,
  }));
  if (opts.background?.length) {
    // A facet splits one data set, so the background is repeated for every panel.
    const cells = gridRows(opts.background, opts.xDomain, opts.yDomain);
    const panels = new Map<string, { method: string; w: number }>();
    for (const p of kept) panels.set(`${p.method}\u0000${p.w}`, { method: p.method, w: p.w });
    for (const panel of panels.values()) {
      for (const c of cells) rows.push({ ...c, ...panel });
    }
  }
  const side = size(opts.panelSize);
  return {
    $schema: SCHEMA,
    title: titleWithDropped(opts.title, dropped),
    data: { values: rows },
    facet: {
      column: { field: 'method', type: 'nominal', sort: [...methods], title: null },
      row: {
        field: 'w',
        type: 'ordinal',
        sort: 'ascending',
        header: { labelExpr: "'w = ' + datum.value" },
        title: null,
      },
    },
    spec: {
      width: side,
      height: side,
      layer: [
        ...(opts.background?.length
          ? [backgroundLayer(opts.xLabel ?? 'x', opts.yLabel ?? 'y', opts.xDomain, opts.yDomain)]
          : []),
        {
          transform: [{ filter: "datum.kind === 'point'" }],
          mark: { type: 'circle', size: 10, opacity: 0.7, color: POINT_COLOUR, aria: false },
          encoding: {
            x: axis('x', opts.xLabel ?? 'x', opts.xDomain),
            y: axis('y', opts.yLabel ?? 'y', opts.yDomain),
          },
        },
      ],
    },
  };
}

/** Trade-off curves (e.g. recall vs precision over w), one line with points per method. */
export function paretoChart(opts: ParetoChartOptions): TopLevelSpec {
  const rows = opts.series.flatMap((s) =>
    s.points
      .map((p, order) => ({ series: s.name, x: p.x, y: p.y, label: p.label ?? '', order }))
      .filter((p) => drawable(p.x, opts.logX) && drawable(p.y, opts.logY)),
  );
  const x: PositionFieldDef<Field> = {
    field: 'x',
    type: 'quantitative',
    title: opts.xLabel,
    scale: opts.logX ? { type: 'log' } : { zero: false },
  };
  const y: PositionFieldDef<Field> = {
    field: 'y',
    type: 'quantitative',
    title: opts.yLabel,
    scale: opts.logY ? { type: 'log' } : { zero: false },
  };
  const color = {
    field: 'series',
    type: 'nominal',
    sort: opts.series.map((s) => s.name),
    title: opts.legendTitle ?? null,
  } as const;
  return {
    $schema: SCHEMA,
    title: opts.title,
    width: size(opts.width),
    height: size(opts.height),
    data: { values: rows },
    layer: [
      {
        // `order` keeps each curve in the caller's order (a sweep), not sorted by x.
        mark: { type: 'line', point: true },
        encoding: { x, y, color, order: { field: 'order', type: 'quantitative' } },
      },
      {
        transform: [{ filter: "datum.label !== ''" }],
        mark: { type: 'text', align: 'left', dx: 5, dy: -5, fontSize: 9 },
        encoding: { x, y, color, text: { field: 'label', type: 'nominal' } },
      },
    ],
  };
}

function size(px: number | undefined): number {
  const v = px ?? DEFAULT_SIZE;
  if (!Number.isFinite(v) || v <= 0)
    throw new InvalidOptionError(`plot size must be > 0, got ${v}`);
  return v;
}

function drawable(v: number, log: boolean | undefined): boolean {
  return Number.isFinite(v) && (!log || v > 0);
}

function axis(field: string, title: string, domain: Domain | undefined): PositionFieldDef<Field> {
  return {
    field,
    type: 'quantitative',
    title,
    scale: domain ? { domain: [domain[0], domain[1]], nice: false } : { zero: false },
  };
}

/** Drops non-finite points and those outside the domains (no clip paths needed then). */
function inDomain<P extends XY>(
  points: readonly P[],
  xDomain: Domain | undefined,
  yDomain: Domain | undefined,
): { kept: P[]; dropped: number } {
  const inside = (v: number, d: Domain | undefined): boolean =>
    Number.isFinite(v) && (!d || (v >= d[0] && v <= d[1]));
  const kept = points.filter((p) => inside(p.x, xDomain) && inside(p.y, yDomain));
  return { kept, dropped: points.length - kept.length };
}

function titleWithDropped(title: string, dropped: number) {
  return dropped > 0
    ? { text: title, subtitle: `${dropped} point${dropped === 1 ? '' : 's'} outside the view` }
    : title;
}

/**
 * Grid cells as rectangles: the spacing of a regular grid is the smallest gap between
 * distinct centre coordinates (1 if there is only one). Cells are cut to the domains, so
 * nothing is drawn outside the plot area (again without clip paths).
 */
function gridRows(
  cells: readonly GridCell[],
  xDomain: Domain | undefined,
  yDomain: Domain | undefined,
): Record<string, unknown>[] {
  const finite = cells.filter(
    (c) => Number.isFinite(c.x) && Number.isFinite(c.y) && Number.isFinite(c.value),
  );
  const hx = spacing(finite.map((c) => c.x)) / 2;
  const hy = spacing(finite.map((c) => c.y)) / 2;
  const lo = (v: number, d: Domain | undefined): number => (d ? Math.max(v, d[0]) : v);
  const hi = (v: number, d: Domain | undefined): number => (d ? Math.min(v, d[1]) : v);
  const rows: Record<string, unknown>[] = [];
  for (const c of finite) {
    const x0 = lo(c.x - hx, xDomain);
    const x1 = hi(c.x + hx, xDomain);
    const y0 = lo(c.y - hy, yDomain);
    const y1 = hi(c.y + hy, yDomain);
    if (x1 > x0 && y1 > y0) rows.push({ kind: 'cell', x0, x1, y0, y1, value: c.value });
  }
  return rows;
}

function spacing(values: number[]): number {
  const u = Float64Array.from(new Set(values)).sort();
  let gap = Infinity;
  for (let i = 1; i < u.length; i++) gap = Math.min(gap, u[i] - u[i - 1]);
  return Number.isFinite(gap) ? gap : 1;
}

/** Shaded rectangles; same axis titles and scales as the points so the layers share axes. */
function backgroundLayer(
  xTitle: string,
  yTitle: string,
  xDomain?: Domain,
  yDomain?: Domain,
): UnitSpec<Field> {
  return {
    transform: [{ filter: "datum.kind === 'cell'" }],
    // aria: false drops a per-cell aria-label (most of the SVG's bytes otherwise).
    mark: { type: 'rect', aria: false },
    encoding: {
      x: axis('x0', xTitle, xDomain),
      x2: { field: 'x1' },
      y: axis('y0', yTitle, yDomain),
      y2: { field: 'y1' },
      // White → mid grey: light enough for points to stay visible on the densest cells.
      fill: {
        field: 'value',
        type: 'quantitative',
        scale: { range: ['#ffffff', '#9a9a9a'] },
        legend: null,
      },
    },
  };
}

function unique(values: readonly string[]): string[] {
  return [...new Set(values)];
}
