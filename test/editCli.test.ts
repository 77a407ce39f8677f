/**
 * `diffier generate` with --negative-prompt, --init-image, --strength and --mask: the sidecar
 * records them and the steps run; the kept region of an inpainting is the input's pixels;
 * every bad editing input is a typed one-line error, exit 2, before any work, no file written.
 */
import assert from 'node:assert/strict';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { PNG } from 'pngjs';
import { cli, cliInProcess } from './helpers/cli.js';
import { pngBytes } from './helpers/pngFiles.js';
import {
  MNIST_T2I,
  removeTempDirs,
  TINY,
  TINY_INPAINT,
  TINY_VAE,
  tempDir,
} from './helpers/t2iFixtures.js';

after(removeTempDirs);

const digit = (x: number, y: number) => ((x * 7 + y * 3) % 17) / 16;
/** White (repaint) on the left 12 columns. */
const leftWhite = (x: number) => (x < 12 ? 1 : 0);

/** A folder holding in.png (28×28 grey) and mask.png; returns the folder and both paths. */
async function inputs() {
  const dir = await tempDir();
  const init = join(dir, 'in.png');
  const mask = join(dir, 'mask.png');
  await writeFile(init, pngBytes(28, 28, 'grey', digit));
  await writeFile(mask, pngBytes(28, 28, 'grey', leftWhite));
  return { dir, init, mask, out: join(dir, 'grid.png') };
}

describe('diffier generate: editing', () => {
  it('records the negative prompt, init image, strength, mask and the steps run', async () => {
    const f = await inputs();
    const r = await cli([
      'generate',
      'a thick seven',
      '--model',
      MNIST_T2I,
      '--negative-prompt',
      'a thin one',
      '--init-image',
      f.init,
      '--strength',
      '0.5',
      '--mask',
      f.mask,
      '--steps',
      '6',
      '--n',
      '2',
      '--compare',
      'cfg,diffier',
      '--out',
      f.out,
    ]);
    assert.equal(r.code, 0, r.stderr);
    const side = JSON.parse(await readFile(join(f.dir, 'grid.json'), 'utf8'));
    assert.equal(side.negativePrompt, 'a thin one');
    assert.deepEqual(side.edit, {
      initImage: f.init,
      mask: f.mask,
      strength: 0.5,
      mode: 'inpainting (replacement)',
      sampledSteps: [3, 3],
    });
    assert.deepEqual(
      side.runs.map((x: { steps: number }) => x.steps),
      [6, 6],
    );
    // Every grid cell (3× enlarged, 2 px gaps) keeps the input's pixels where the mask is black.
    const png = PNG.sync.read(await readFile(f.out));
    for (let row = 0; row < 2; row++) {
      for (let col = 0; col < 2; col++) {
        for (let y = 0; y < 28; y++) {
          for (let x = 12; x < 28; x++) {
            const px = 2 + col * 86 + 3 * x;
            const py = 2 + row * 86 + 3 * y;
            const v = png.data[4 * (py * png.width + px)];
            assert.equal(v, Math.round(digit(x, y) * 255), `cell ${row},${col} pixel ${x},${y}`);
          }
        }
      }
    }
  });

  it('an inpainting model runs from the command line', async () => {
    const f = await inputs();
    const r = await cli([
      'generate',
      'a seven',
      '--model',
      TINY_INPAINT,
      '--init-image',
      f.init,
      '--mask',
      f.mask,
      '--steps',
      '3',
      '--n',
      '1',
      '--out',
      f.out,
      '--no-progress',
    ]);
    assert.equal(r.code, 0, r.stderr);
    const side = JSON.parse(await readFile(join(f.dir, 'grid.json'), 'utf8'));
    assert.equal(side.edit.mode, 'inpainting (UNet)');
    assert.equal(side.edit.strength, 0.8);
    assert.deepEqual(side.edit.sampledSteps, [2]);
  });

  const cases: [string, (f: Awaited<ReturnType<typeof inputs>>) => Promise<string[]>, RegExp][] = [
    [
      'missing init image',
      async (f) => ['--init-image', join(f.dir, 'none.png')],
      /INPUT_IMAGE.*none\.png: no such file/,
    ],
    [
      'missing mask',
      async (f) => ['--init-image', f.init, '--mask', join(f.dir, 'no.png')],
      /INPUT_IMAGE.*no\.png: no such file/,
    ],
    [
      'mask without init image',
      async (f) => ['--mask', f.mask],
      /INVALID_OPTION.*--mask needs --init-image/,
    ],
    [
      'strength without init image',
      async () => ['--strength', '0.5'],
      /INVALID_OPTION.*--strength needs --init-image/,
    ],
    [
      'strength above 1',
      async (f) => ['--init-image', f.init, '--strength', '1.5'],
      /INVALID_OPTION.*strength must be a number in \[0, 1\]/,
    ],
    [
      'strength not a number',
      async (f) => ['--init-image', f.init, '--strength', '0x1'],
      /INVALID_OPTION.*--strength must be a finite number/,
    ],
    [
      'init image of another size',
      async (f) => {
        const small = join(f.dir, 'small.png');
        await writeFile(small, pngBytes(14, 14, 'grey'));
        return ['--init-image', small];
      },
      /INPUT_IMAGE.*small\.png is 14×14; the model reads 28×28 images/,
    ],
    [
      'mask of another size',
      async (f) => {
        const small = join(f.dir, 'small.png');
        await writeFile(small, pngBytes(14, 14, 'grey'));
        return ['--init-image', f.init, '--mask', small];
      },
      /INPUT_IMAGE.*small\.png is 14×14/,
    ],
    [
      'RGB init image for a greyscale model',
      async (f) => {
        const rgb = join(f.dir, 'rgb.png');
        await writeFile(rgb, pngBytes(28, 28, 'rgb'));
        return ['--init-image', rgb];
      },
      /INPUT_IMAGE.*RGB PNG/,
    ],
    [
      'output over the init image',
      async (f) => ['--init-image', f.init, '--out', f.init],
      /OUTPUT/,
    ],
    [
      'latent model without vae_encoder',
      async (f) => ['--init-image', f.init, '--model', TINY_VAE],
      /MODEL_FOLDER.*without vae_encoder/,
    ],
    [
      'inpainting model without a mask',
      async (f) => ['--init-image', f.init, '--model', TINY_INPAINT],
      /INVALID_OPTION.*inpainting model/,
    ],
  ];
  for (const [name, args, message] of cases) {
    it(`${name} → exit 2, one line, nothing written`, async () => {
      const f = await inputs();
      const extra = await args(f);
      const r = await cliInProcess([
        'generate',
        'a seven',
        '--model',
        TINY,
        '--out',
        f.out,
        '--steps',
        '2',
        '--n',
        '1',
        ...extra,
      ]);
      assert.equal(r.code, 2, r.stderr);
      assert.match(r.stderr, message);
      assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
      const left = (await readdir(f.dir)).filter(
        (n) => !['in.png', 'mask.png', 'small.png', 'rgb.png'].includes(n),
      );
      assert.deepEqual(left, []);
    });
  }
});
