import type { GuidedPrediction } from '../guidance/types.js';
import type { Transition, TransitionWrapper } from '../sampling/sample.js';
import type { Tensor } from '../tensor/tensor.js';

export interface AcceptanceOptions {
  readonly bands: number;
  readonly blur: number;
  readonly w: number;
  readonly k: number;
  readonly q: number;
  readonly floor: number;
  readonly lag: boolean;
}

/** Separable Gaussian blur over the last two axes of every item (edge-clamped). */
export function lowPass(data: Float32Array, shape: readonly number[], sigma: number): Float32Array {
  const w = shape[shape.length - 1];
  const h = shape.length >= 2 ? shape[shape.length - 2] : 1;
  const planes = data.length / (w * h);
  const r = Math.max(1, Math.ceil(3 * sigma));
  const k = new Float64Array(2 * r + 1);
  let ks = 0;
  for (let i = -r; i <= r; i++) ks += k[i + r] = Math.exp(-(i * i) / (2 * sigma * sigma));
  for (let i = 0; i < k.length; i++) k[i] /= ks;
  const tmp = new Float32Array(data.length);
  const out = new Float32Array(data.length);
  for (let p = 0; p < planes; p++) {
    const o = p * w * h;
    for (let y = 0; y < h; y++)
      for (let x = 0; x < w; x++) {
        let acc = 0;
        for (let i = -r; i <= r; i++) acc += k[i + r] * data[o + y * w + Math.min(w - 1, Math.max(0, x + i))];
        tmp[o + y * w + x] = acc;
      }
    for (let y = 0; y < h; y++)
      for (let x = 0; x < w; x++) {
        let acc = 0;
        for (let i = -r; i <= r; i++) acc += k[i + r] * tmp[o + Math.min(h - 1, Math.max(0, y + i)) * w + x];
        out[o + y * w + x] = acc;
      }
  }
  return out;
}

/**
 * Experimental: per-sample guidance scheduled by how much of the guided content the
 * conditional model adopts at the landing point.
 */
export function acceptance(o: AcceptanceOptions): TransitionWrapper {
  let prev: { x0c: Float32Array; bands: Float32Array[]; f: Float64Array[]; reach: number } | undefined;
  return (_inner: Transition): Transition =>
    async (ctx) => {
      if (ctx.i === 0) prev = undefined;
      const { from, to } = ctx;
      const pred = await ctx.guide(ctx.x, from, to);
      const n = ctx.x.batch;
      const d = ctx.x.itemSize;
      const len = ctx.x.data.length;
      const cond = pred.raw.cond.data;
      const x0c = new Float32Array(len);
      for (let j = 0; j < len; j++) x0c[j] = (ctx.x.data[j] - from.s * cond[j]) / from.a;
      const dEps = new Float32Array(len);
      const dX0 = new Float32Array(len);
      for (let j = 0; j < len; j++) {
        dEps[j] = pred.eps.data[j] - cond[j];
        dX0[j] = pred.x0.data[j] - x0c[j];
      }
      // Bands of the guidance: [low, high] (or one band).
      const epsBands: Float32Array[] = [];
      const x0Bands: Float32Array[] = [];
      if (o.bands === 2) {
        const el = lowPass(dEps, ctx.x.shape, o.blur);
        const xl = lowPass(dX0, ctx.x.shape, o.blur);
        epsBands.push(el, dEps.map((v, j) => v - el[j]));
        x0Bands.push(xl, dX0.map((v, j) => v - xl[j]));
      } else {
        epsBands.push(dEps);
        x0Bands.push(dX0);
      }
      const nb = epsBands.length;
      const f = Array.from({ length: nb }, () => new Float64Array(n).fill(1));
      const canProbe = to.timestep >= 0 && to.s > 0 && pred.raw.uncond !== undefined;
      const reach = 1 - to.sigma / from.sigma;
      const form = () => {
        const eps = new Float32Array(len);
        const x0 = new Float32Array(len);
        for (let i = 0; i < n; i++)
          for (let j = i * d; j < (i + 1) * d; j++) {
            let e = cond[j];
            let c = x0c[j];
            for (let b = 0; b < nb; b++) {
              e += f[b][i] * epsBands[b][j];
              c += f[b][i] * x0Bands[b][j];
            }
            eps[j] = e;
            x0[j] = c;
          }
        return { eps, x0 };
      };
      if (o.lag && prev && pred.raw.uncond) {
        for (let b = 0; b < nb; b++) {
          const D = prev.bands[b];
          for (let i = 0; i < n; i++) {
            let num = 0;
            let den = 0;
            for (let j = i * d; j < (i + 1) * d; j++) {
              num += (x0c[j] - prev.x0c[j]) * D[j];
              den += D[j] * D[j];
            }
            const fp = Math.max(prev.f[b][i], 1e-3);
            const c = den > 0 ? Math.min(1, Math.max(0, num / (den * prev.reach * fp))) : 1;
            f[b][i] = Math.max(o.floor, c ** o.q);
          }
        }
      } else if (o.lag) for (const fb of f) fb.fill(Math.max(o.floor, 0));
      for (let it = 0; canProbe && it < o.k; it++) {
        const { eps, x0 } = form();
        const land = new Float32Array(len);
        for (let j = 0; j < len; j++) land[j] = to.a * x0[j] + to.s * eps[j];
        const ec = (await ctx.predict(ctx.x.like(land), to, 'cond')).cond.data;
        for (let b = 0; b < nb; b++) {
          const D = x0Bands[b];
          for (let i = 0; i < n; i++) {
            let num = 0;
            let den = 0;
            for (let j = i * d; j < (i + 1) * d; j++) {
              const m = (land[j] - to.s * ec[j]) / to.a - x0c[j];
              num += m * D[j];
              den += D[j] * D[j];
            }
            const c = den > 0 ? Math.min(1, Math.max(0, num / (den * reach * f[b][i]))) : 1;
            f[b][i] = Math.max(o.floor, c ** o.q);
          }
        }
      }
      if (process.env.ACC_DEBUG && n > 1)
        console.error(`σ=${to.sigma.toFixed(3)} ` + f.map((fb) => Array.from(fb).map((v) => v.toFixed(2)).join(' ')).join(' | '));
      if (o.lag) prev = { x0c, bands: x0Bands, f: f.map((fb) => fb.slice()), reach };
      const { eps, x0 } = form();
      const mixed: GuidedPrediction = {
        ...pred,
        eps: ctx.x.like(eps),
        x0: ctx.x.like(x0),
        weights: f[0].map((v) => 1 + v * (o.w - 1)),
      };
      const out = ctx.sampler.step({ x: ctx.x, from, to, pred: mixed, rng: ctx.rng, history: ctx.history });
      return { x: out.x, history: out.history, xIn: ctx.x, pred: mixed };
    };
}
