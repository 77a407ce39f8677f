/** Paths of the tiny model fixtures (training/fixtures/make_fixtures.py) and throw-away copies of them. */
import { cp, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { packageRoot } from '../../src/models/embedded.js';

export const ROOT = packageRoot();
export const FIXTURES = join(ROOT, 'test', 'fixtures');
/** Pixel space 1×28×28, float32 scalar timestep, UNet weights in model.onnx_data. */
export const TINY = join(FIXTURES, 'tiny-t2i');
/** The same weights exported the old way: int64 [B] timestep, int32 input_ids, weights.pb. */
export const TINY_INT64 = join(FIXTURES, 'tiny-t2i-int64');
/** Latent 2×7×7 with a VAE decoder (scaling_factor 0.5) and v_prediction. */
export const TINY_VAE = join(FIXTURES, 'tiny-t2i-vae');
/** TINY_VAE plus a vae_encoder (training/fixtures/make_editing_fixtures.py). */
export const TINY_VAE_ENC = join(FIXTURES, 'tiny-t2i-vae-enc');
/** Inpainting layout: latent 4×7×7, a 9-channel UNet (latent, mask, masked latent), VAE 1 ↔ 4. */
export const TINY_INPAINT = join(FIXTURES, 'tiny-inpaint');
/** x4-upscaler layout: 7-channel UNet (4 latent + 3 image), class_labels, text, RGB VAE ×4. */
export const TINY_X4 = join(FIXTURES, 'tiny-x4');
export const BAD = join(FIXTURES, 'bad');
/** The embedded models. */
export const MNIST_T2I = join(ROOT, 'models', 'mnist-t2i');
export const MNIST_SR = join(ROOT, 'models', 'mnist-sr');

const made: string[] = [];

/** A fresh temporary folder, removed by `removeTempDirs`. */
export async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'diffier-test-'));
  made.push(dir);
  return dir;
}

export async function removeTempDirs(): Promise<void> {
  for (const dir of made.splice(0)) await rm(dir, { recursive: true, force: true });
}

/** A copy of TINY with files replaced (`{ 'unet/model.onnx': path }`) or removed (`null`). */
export async function tinyCopy(changes: Record<string, string | null> = {}): Promise<string> {
  const dir = join(await tempDir(), 'model');
  await cp(TINY, dir, { recursive: true });
  for (const [rel, src] of Object.entries(changes)) {
    if (src === null) await rm(join(dir, rel), { recursive: true, force: true });
    else await cp(src, join(dir, rel));
  }
  return dir;
}
