import { InvalidOptionError } from './errors.js';
import { Tensor } from './tensor.js';

/**
 * Seedable random numbers.
 *
 * Algorithm: each stream is xoshiro128** (Blackman & Vigna, 2018), its 128-bit state
 * filled by SplitMix32 from a 32-bit key; normals come from the Box–Muller transform
 * (both values of a pair are used, in order). A stream is keyed by (seed, item), so the
 * noise of batch item i is the same whatever the batch size and whatever the other items
 * do — the property that makes "same seed, same image" hold across batch sizes.
 */
export class RandomStream {
  private s0: number;
  private s1: number;
  private s2: number;
  private s3: number;
  private spare: number | undefined;

  constructor(key: number) {
    let x = key >>> 0;
    const next = (): number => {
      // SplitMix32 (Steele et al.) — spreads a small key over the whole state.
      x = (x + 0x9e3779b9) >>> 0;
      let z = x;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
      return (z ^ (z >>> 16)) >>> 0;
    };
    this.s0 = next();
    this.s1 = next();
    this.s2 = next();
    this.s3 = next();
    if ((this.s0 | this.s1 | this.s2 | this.s3) === 0) this.s0 = 1;
  }

  /** Next 32-bit unsigned integer (xoshiro128**). */
  nextUint32(): number {
    const result = Math.imul(rotl(Math.imul(this.s1, 5) >>> 0, 7), 9) >>> 0;
    const t = (this.s1 << 9) >>> 0;
    this.s2 ^= this.s0;
    this.s3 ^= this.s1;
    this.s1 ^= this.s2;
    this.s0 ^= this.s3;
    this.s2 ^= t;
    this.s3 = rotl(this.s3, 11);
    this.s0 >>>= 0;
    this.s1 >>>= 0;
    this.s2 >>>= 0;
    this.s3 >>>= 0;
    return result;
  }

  /** Uniform in (0, 1): never 0, so log() is safe. */
  uniform(): number {
    return (this.nextUint32() + 0.5) / 4294967296;
  }

  /** Standard normal (Box–Muller). */
  normal(): number {
    if (this.spare !== undefined) {
      const v = this.spare;
      this.spare = undefined;
      return v;
    }
    const r = Math.sqrt(-2 * Math.log(this.uniform()));
    const theta = 2 * Math.PI * this.uniform();
    this.spare = r * Math.sin(theta);
    return r * Math.cos(theta);
  }
}

function rotl(x: number, k: number): number {
  return ((x << k) | (x >>> (32 - k))) >>> 0;
}

/** Mix a seed and an item index into one 32-bit stream key. */
export function streamKey(seed: number, item: number): number {
  let h = Math.imul(seed ^ 0x27d4eb2d, 0x165667b1) >>> 0;
  h = Math.imul(h ^ (item + 0x9e3779b9), 0x85ebca6b) >>> 0;
  return (h ^ (h >>> 15)) >>> 0;
}

export function checkSeed(seed: number): number {
  if (!Number.isInteger(seed) || seed < 0 || seed > 0xffffffff) {
    throw new InvalidOptionError(`seed must be an integer in [0, 2^32), got ${seed}`);
  }
  return seed;
}

/**
 * One independent stream per batch item. Steps draw their noise from here and nowhere
 * else, so a run is a pure function of its seed.
 */
export class BatchRandom {
  readonly streams: RandomStream[];

  /** Items `offset … offset+batch−1` of the run keyed by `seed`. */
  constructor(
    readonly seed: number,
    batch: number,
    offset = 0,
  ) {
    checkSeed(seed);
    this.streams = Array.from(
      { length: batch },
      (_, i) => new RandomStream(streamKey(seed, offset + i)),
    );
  }

  get batch(): number {
    return this.streams.length;
  }

  /** A tensor of standard normals; item i is filled from stream i. */
  normal(shape: readonly number[]): Tensor {
    const t = Tensor.zeros(shape);
    const n = t.itemSize;
    if (t.batch !== this.batch) {
      throw new InvalidOptionError(`noise for batch ${t.batch} from ${this.batch} streams`);
    }
    for (let i = 0; i < t.batch; i++) {
      const s = this.streams[i];
      for (let j = i * n; j < (i + 1) * n; j++) t.data[j] = s.normal();
    }
    return t;
  }

  /** Streams for a sub-batch (used by wrappers that work on a subset of items). */
  subset(indices: readonly number[]): BatchRandom {
    const sub = Object.create(BatchRandom.prototype) as BatchRandom;
    Object.assign(sub, { seed: this.seed, streams: indices.map((i) => this.streams[i]) });
    return sub;
  }
}
