import { InvalidOptionError } from '../core/errors.js';
import { flatRows, rowCount, type Rows } from './rows.js';

export type { Rows };
import { squaredDistancesFromRow } from './energy.js';

/**
 * Improved precision and recall (Kynkäänniemi et al., 2019).
 *
 * Each point of a set gets a ball whose radius is the distance to its k-th nearest
 * neighbour within the same set (itself excluded); the union of the balls estimates the
 * set's support. Then
 *
 *     precision = fraction of generated points inside at least one real ball
 *     recall    = fraction of real points inside at least one generated ball
 *
 * "Inside" is |q − p| ≤ r_p, as in the authors' code. Everything is done on squared
 * distances in float64; the cost is O((n² + m² + n·m)·d), with an early exit as soon as a
 * point is found inside a ball (the balls are tried largest first).
 */

export interface PrecisionRecall {
  readonly precision: number;
  readonly recall: number;
  readonly k: number;
}

/** Balls tested per distance batch in the coverage search. */
const CHUNK = 32;

/** The default k of the paper. */
export const DEFAULT_K = 5;

/** Precision and recall of `generated` against `real` (rows of `dim` values). */
export function precisionRecall(
  real: Rows,
  generated: Rows,
  dim: number,
  k = DEFAULT_K,
): PrecisionRecall {
  return new KnnReference(real, dim, k).evaluate(generated);
}

/** A real sample whose k-NN balls are computed once and reused for many generated samples. */
export class KnnReference {
  readonly dim: number;
  readonly k: number;
  private readonly balls: Balls;

  constructor(real: Rows, dim: number, k = DEFAULT_K) {
    this.dim = dim;
    this.k = k;
    this.balls = new Balls(real, dim, k, 'real sample');
  }

  evaluate(generated: Rows): PrecisionRecall {
    const gen = new Balls(generated, this.dim, this.k, 'generated sample');
    return {
      precision: this.balls.fractionCovering(gen.points),
      recall: gen.fractionCovering(this.balls.points),
      k: this.k,
    };
  }
}

/**
 * Squared distance from each row to its k-th nearest neighbour among the other rows.
 * Each pair is computed once and offered to both rows' k-best lists (kept sorted, so a
 * new distance is one comparison unless it beats the current k-th best).
 */
export function kthNeighbourSquared(x: Rows, dim: number, k: number): Float64Array {
  const n = rowCount(x, dim, 'sample');
  if (!Number.isInteger(k) || k < 1)
    throw new InvalidOptionError(`k must be an integer ≥ 1, got ${k}`);
  if (n <= k) throw new InvalidOptionError(`k-NN radii need more than k = ${k} points, got ${n}`);
  const f = flatRows(x);
  const xs = f instanceof Float64Array ? f : Float64Array.from(f);
  const best = new Float64Array(n * k).fill(Infinity);
  const row = new Float64Array(n);
  for (let i = 0; i < n - 1; i++) {
    squaredDistancesFromRow(xs, i * dim, xs, i + 1, n, dim, row);
    for (let j = i + 1; j < n; j++) {
      const d2 = row[j - i - 1];
      if (d2 < best[i * k + k - 1]) insert(best, i * k, k, d2);
      if (d2 < best[j * k + k - 1]) insert(best, j * k, k, d2);
    }
  }
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) out[i] = best[i * k + k - 1];
  return out;
}

/** Insert v into the sorted list list[o … o+k), dropping the largest. */
function insert(list: Float64Array, o: number, k: number, v: number): void {
  let p = o + k - 1;
  while (p > o && list[p - 1] > v) {
    list[p] = list[p - 1];
    p--;
  }
  list[p] = v;
}

/** A set of points with their k-NN balls, ordered by decreasing radius. */
class Balls {
  readonly points: Float64Array;
  private readonly centres: Float64Array;
  private readonly radii2: Float64Array;
  private readonly dim: number;

  constructor(x: Rows, dim: number, k: number, what: string) {
    const n = rowCount(x, dim, what);
    this.dim = dim;
    this.points = Float64Array.from(flatRows(x));
    const r2 = kthNeighbourSquared(this.points, dim, k);
    // Largest balls first: a covered query usually stops after a few comparisons.
    const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => r2[b] - r2[a]);
    this.centres = new Float64Array(n * dim);
    this.radii2 = new Float64Array(n);
    order.forEach((i, p) => {
      this.centres.set(this.points.subarray(i * dim, (i + 1) * dim), p * dim);
      this.radii2[p] = r2[i];
    });
  }

  /** Fraction of the query rows that lie in at least one ball. */
  fractionCovering(queries: Float64Array): number {
    const { dim, centres, radii2 } = this;
    const q = rowCount(queries, dim, 'query');
    const n = radii2.length;
    const d2 = new Float64Array(CHUNK);
    let inside = 0;
    for (let i = 0; i < q; i++) {
      // Balls in chunks, largest first, stopping at the first chunk with a hit.
      search: for (let from = 0; from < n; from += CHUNK) {
        const to = Math.min(n, from + CHUNK);
        squaredDistancesFromRow(queries, i * dim, centres, from, to, dim, d2);
        for (let p = from; p < to; p++) {
          if (d2[p - from] <= radii2[p]) {
            inside++;
            break search;
          }
        }
      }
    }
    return inside / q;
  }
}
