/**
 * The gap ↔ guidance-weight analysis of `diffier sweep`: rank correlations between the
 * accumulated errors and the quality metrics over w, and a recommended w from the errors
 * alone (no ground truth is needed to apply the rule, so it works on real models).
 */

/** Spearman's rank correlation (average ranks for ties); NaN when undefined. */
export function spearman(a: readonly number[], b: readonly number[]): number {
  const keep = a.map((_, i) => i).filter((i) => Number.isFinite(a[i]) && Number.isFinite(b[i]));
  if (keep.length < 3) return NaN;
  const ra = ranks(keep.map((i) => a[i]));
  const rb = ranks(keep.map((i) => b[i]));
  const mean = (v: number[]) => v.reduce((s, x) => s + x, 0) / v.length;
  const ma = mean(ra);
  const mb = mean(rb);
  let num = 0;
  let da = 0;
  let db = 0;
  for (let i = 0; i < ra.length; i++) {
    num += (ra[i] - ma) * (rb[i] - mb);
    da += (ra[i] - ma) ** 2;
    db += (rb[i] - mb) ** 2;
  }
  return da === 0 || db === 0 ? NaN : num / Math.sqrt(da * db);
}

function ranks(v: readonly number[]): number[] {
  const order = v.map((x, i) => [x, i] as const).sort((p, q) => p[0] - q[0]);
  const r = new Array<number>(v.length);
  for (let i = 0; i < order.length;) {
    let j = i;
    while (j + 1 < order.length && order[j + 1][0] === order[i][0]) j++;
    for (let k = i; k <= j; k++) r[order[k][1]] = (i + j) / 2 + 1;
    i = j + 1;
  }
  return r;
}

export const ERROR_MEASURES = ['training', 'gap', 'condGap', 'driftGap', 'trueGap'] as const;
export const QUALITY_METRICS = [
  'energy',
  'guidedEnergy',
  'precision',
  'recall',
  'adherence',
  'nll',
  'coverage',
] as const;

/** A rank correlation and the number of points (runs with both figures finite) it rests on. */
export interface Correlation {
  readonly rho: number;
  readonly n: number;
}

/**
 * Below this many points a rank correlation is not reported: with 4 points ρ takes only a
 * handful of values and ±1 happens by chance one time in 12.
 */
export const MIN_CORRELATION_POINTS = 5;

/** `{ "<error>:<metric>": {ρ, n} }` over the runs of one sweep (one run per w). */
export function correlations(runs: readonly { metrics: object }[]): Record<string, Correlation> {
  const get = (r: { metrics: object }, key: string) => (r.metrics as Record<string, number>)[key];
  const out: Record<string, Correlation> = {};
  for (const e of ERROR_MEASURES) {
    for (const m of QUALITY_METRICS) {
      const a = runs.map((r) => get(r, e));
      const b = runs.map((r) => get(r, m));
      const n = a.filter((v, i) => Number.isFinite(v) && Number.isFinite(b[i])).length;
      out[`${e}:${m}`] = { rho: spearman(a, b), n };
    }
  }
  return out;
}

/**
 * The recommended weight: the largest w whose accumulated drift A_r stays within
 * `tolerance` of the unguided run's (w = 1 if swept, else the smallest w) — "guide as
 * much as the trajectory tolerates". The tolerance is the one docs/diffier.md justifies on
 * the shipped problems.
 */
export function recommendW(
  runs: readonly { w: number; metrics: { driftGap: number } }[],
  tolerance = RECOMMEND_TOLERANCE,
): number {
  return recommendation(runs, tolerance).w;
}

/** The recommended w with what the rule compared: the base run's drift and the chosen run's. */
export interface Recommendation {
  readonly w: number;
  /** The run the rule measures from (w = 1 if swept, else the smallest w). */
  readonly baseW: number;
  readonly baseDrift: number;
  /** A_r of the recommended run. */
  readonly drift: number;
  /** The next swept w above the recommended one, whose A_r broke the tolerance. */
  readonly next?: { readonly w: number; readonly drift: number };
  readonly tolerance: number;
  /** The rule in words. */
  readonly rule: string;
}

export function recommendation(
  runs: readonly { w: number; metrics: { driftGap: number } }[],
  tolerance = RECOMMEND_TOLERANCE,
): Recommendation {
  const sorted = [...runs].sort((p, q) => p.w - q.w);
  const rule = `the largest swept w whose accumulated drift A_r is at most the smallest w's A_r + ${tolerance}`;
  if (sorted.length === 0)
    return { w: NaN, baseW: NaN, baseDrift: NaN, drift: NaN, tolerance, rule };
  const base = sorted[0];
  let best = base;
  for (const r of sorted) if (r.metrics.driftGap <= base.metrics.driftGap + tolerance) best = r;
  const after = sorted.find((r) => r.w > best.w);
  return {
    ...(after && { next: { w: after.w, drift: after.metrics.driftGap } }),
    w: best.w,
    baseW: base.w,
    baseDrift: base.metrics.driftGap,
    drift: best.metrics.driftGap,
    tolerance,
    rule,
  };
}

export const RECOMMEND_TOLERANCE = 1;
