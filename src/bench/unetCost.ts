/**
 * The analytic cost of the embedded UNet (training/nets.py, TinyCrossAttnUNet): 2 × the
 * multiply-adds of its convolutions, linear layers and attention products (normalisations
 * and activations not counted), and whether a loaded model is that architecture.
 */
import { readdir, stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { TextToImageModel } from '../models/load.js';

/** Multiply-adds and parameters of a network (or a part of one). */
export interface NetCost {
  readonly macs: number;
  readonly params: number;
}

const add = (...parts: NetCost[]): NetCost => ({
  macs: parts.reduce((a, p) => a + p.macs, 0),
  params: parts.reduce((a, p) => a + p.params, 0),
});
/** k×k convolution (with bias) producing h×w outputs. */
const conv = (cin: number, cout: number, k: number, h: number, w = h): NetCost => ({
  macs: h * w * cout * cin * k * k,
  params: cout * cin * k * k + cout,
});
/** nn.Linear applied to `rows` vectors. */
const linear = (cin: number, cout: number, rows = 1): NetCost => ({
  macs: rows * cin * cout,
  params: cin * cout + cout,
});
const groupNorm = (c: number): NetCost => ({ macs: 0, params: 2 * c });

/** nets.py ResBlock at h×h. */
function resBlock(cin: number, cout: number, emb: number, h: number): NetCost {
  return add(
    groupNorm(cin),
    conv(cin, cout, 3, h),
    linear(emb, cout),
    groupNorm(cout),
    conv(cout, cout, 3, h),
    cin !== cout ? conv(cin, cout, 1, h) : { macs: 0, params: 0 },
  );
}

/** nets.py CrossAttn: L = h·h queries of width c attend to S text states of width ctx. */
function crossAttn(c: number, ctx: number, h: number, s: number): NetCost {
  const l = h * h;
  return add(
    groupNorm(c),
    linear(c, c, l), // q projection
    linear(ctx, c, s), // k projection
    linear(ctx, c, s), // v projection
    { macs: 2 * l * s * c, params: 0 }, // q·kᵀ and softmax(·)·v
    linear(c, c, l), // attention out_proj
    linear(c, c, l), // CrossAttn.proj
  );
}

export interface TinyUnetArch {
  readonly channels: readonly [number, number, number];
  readonly ctxDim: number;
  readonly ctxLen: number;
  readonly embDim: number;
  readonly tDim: number;
  readonly size: number;
}

/** training/nets.py TinyCrossAttnUNet() defaults, as exported by training/export_onnx.py. */
export const EMBEDDED_UNET_ARCH: TinyUnetArch = {
  channels: [16, 32, 64],
  ctxDim: 64,
  ctxLen: 16,
  embDim: 128,
  tDim: 64,
  size: 28,
};

/** Multiply-adds per image and parameters of TinyCrossAttnUNet (training/nets.py, `trunk`). */
export function tinyUnetCost(a: TinyUnetArch = EMBEDDED_UNET_ARCH): NetCost {
  const [c1, c2, c3] = a.channels;
  const { ctxDim: ctx, ctxLen: s, embDim: e, tDim } = a;
  const h1 = a.size;
  const h2 = Math.ceil(h1 / 2);
  const h3 = Math.ceil(h2 / 2);
  return add(
    linear(tDim, e),
    linear(e, e), // t_mlp (once per call; counted per image, 0.06 % of the total)
    linear(ctx, e),
    linear(e, e), // pool_proj
    conv(1, c1, 3, h1), // inp
    resBlock(c1, c1, e, h1), // d1
    conv(c1, c2, 3, h2), // down1 (stride 2)
    resBlock(c2, c2, e, h2),
    crossAttn(c2, ctx, h2, s), // d2, a2
    conv(c2, c3, 3, h3), // down2 (stride 2)
    resBlock(c3, c3, e, h3),
    crossAttn(c3, ctx, h3, s), // d3, a3
    resBlock(c3, c3, e, h3),
    crossAttn(c3, ctx, h3, s), // m, ma
    resBlock(2 * c3, c3, e, h3),
    crossAttn(c3, ctx, h3, s), // u3, ua3
    conv(c3, c2, 3, h3), // up2 (then nearest ×2)
    resBlock(2 * c2, c2, e, h2),
    crossAttn(c2, ctx, h2, s), // u2, ua2
    conv(c2, c1, 3, h2), // up1 (then nearest ×2)
    resBlock(2 * c1, c1, e, h1), // u1
    groupNorm(c1),
    conv(c1, 1, 3, h1), // out_norm, out
  );
}

/** Bytes of every file in a folder (an .onnx and its external data). */
async function folderBytes(dir: string): Promise<number> {
  let total = 0;
  for (const name of await readdir(dir)) {
    const st = await stat(join(dir, name));
    if (st.isFile()) total += st.size;
  }
  return total;
}

/**
 * Whether a loaded UNet is the embedded architecture: the same sample and context shapes,
 * and weight files within 15 % of 4 bytes × the analytic parameter count.
 */
export async function matchesEmbeddedArch(model: TextToImageModel): Promise<{
  matches: boolean;
  weightBytes: number;
  analyticParams: number;
}> {
  const a = EMBEDDED_UNET_ARCH;
  const weightBytes = await folderBytes(dirname(model.folder.unet));
  const analyticParams = tinyUnetCost(a).params;
  const [ctxLen, ctxDim] = model.unet.contextShape;
  const shape = model.unet.itemShape;
  const matches =
    shape.length === 3 &&
    shape[0] === 1 &&
    shape[1] === a.size &&
    shape[2] === a.size &&
    ctxLen === a.ctxLen &&
    ctxDim === a.ctxDim &&
    Math.abs(weightBytes - 4 * analyticParams) <= 0.15 * 4 * analyticParams;
  return { matches, weightBytes, analyticParams };
}
