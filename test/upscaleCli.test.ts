/**
 * `diffier upscale` and `diffier bench sr` as a user runs them (child processes on the built
 * CLI, the embedded upscaler): the side-by-side PNG and its sidecar, byte-identical reruns,
 * and bad input giving a clear typed error, exit 2 and no file at all.
 */
import assert from 'node:assert/strict';
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { PNG } from 'pngjs';
import { cli, cliInProcess } from './helpers/cli.js';
import { palettePngBytes, pngBytes, writePng } from './helpers/pngFiles.js';
import { MNIST_SR, MNIST_T2I, removeTempDirs, ROOT, tempDir } from './helpers/t2iFixtures.js';

after(removeTempDirs);

const EXAMPLE = join(ROOT, 'examples', 'lowres-7.png');

/** Run upscale into a fresh folder; returns the result and the folder's files afterwards. */
async function upscale(input: string, extra: string[] = [], run = cli) {
  const dir = await tempDir();
  const out = join(dir, 'up.png');
  const r = await run(['upscale', input, '--out', out, '--steps', '3', '--n', '2', ...extra]);
  return { ...r, dir, out, files: (await readdir(dir)).filter((f) => f.startsWith('up')) };
}

describe('diffier upscale', () => {
  it('writes the upscaled image, the sheet (input | bicubic, then one row per method) with --compare, and the JSON sidecar', async () => {
    const r = await upscale(EXAMPLE, ['--compare', 'cfg,diffier', '--w', '2', '--no-progress']);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(r.files.sort(), ['up-sheet.png', 'up.json', 'up.png']);
    assert.match(r.stdout, /cfg\s+2\.00\s+3\s+6/);
    const png = PNG.sync.read(await readFile(r.out));
    assert.deepEqual([png.width, png.height], [28, 28]); // the model's output size
    const sheet = PNG.sync.read(await readFile(join(r.dir, 'up-sheet.png')));
    // 2 columns (n = 2; the input row has 2 too), 3 rows (input row + one per method), with a label margin left.
    assert.ok(sheet.width > 2 + 2 * (84 + 2), `width ${sheet.width}`);
    assert.equal(sheet.height, 2 + 3 * (84 + 2));
    const side = JSON.parse(await readFile(join(r.dir, 'up.json'), 'utf8'));
    assert.equal(side.input, EXAMPLE);
    assert.equal(side.sheet, join(r.dir, 'up-sheet.png'));
    assert.equal(side.model.dir, MNIST_SR);
    assert.deepEqual(side.model.inputShape, [1, 7, 7]);
    assert.equal(side.model.guidedOn, 'low-res image');
    assert.equal(side.settings.noiseLevel, 20);
    assert.deepEqual(
      side.runs.map((x: { method: string; nfe: number }) => [x.method, x.nfe]),
      [
        ['cfg', 6],
        // + 1 probe and 1 corrector step on each of the 2 steps that do not end at the final level
        ['diffier', 10],
      ],
    );
  });
  it('the same seed gives byte-identical files', async () => {
    const a = await upscale(EXAMPLE, ['--seed', '3', '--no-progress']);
    const b = await upscale(EXAMPLE, ['--seed', '3', '--no-progress']);
    assert.equal(a.code, 0, a.stderr);
    assert.deepEqual(await readFile(a.out), await readFile(b.out));
  });
});

describe('diffier upscale: bad input → typed error, exit 2, no file', { concurrency: 4 }, () => {
  const cases: [string, (dir: string) => Promise<{ input: string; args?: string[] }>, RegExp][] = [
    [
      'not a PNG',
      async (d) => ({ input: await writePng(join(d, 'a.png'), Buffer.from('text')) }),
      /INPUT_IMAGE.*not a PNG/,
    ],
    [
      'wrong size for the model',
      async (d) => ({ input: await writePng(join(d, 'a.png'), pngBytes(28, 28, 'grey')) }),
      /INPUT_IMAGE.*upscales 7×7 images.*input is 28×28/,
    ],
    [
      '16-bit',
      async (d) => ({ input: await writePng(join(d, 'a.png'), pngBytes(7, 7, 'grey16')) }),
      /INPUT_IMAGE.*16-bit/,
    ],
    [
      'palette',
      async (d) => ({ input: await writePng(join(d, 'a.png'), palettePngBytes(7, 7)) }),
      /INPUT_IMAGE.*palette/,
    ],
    [
      'alpha',
      async (d) => ({ input: await writePng(join(d, 'a.png'), pngBytes(7, 7, 'rgba')) }),
      /INPUT_IMAGE.*alpha/,
    ],
    [
      'unreadable path',
      async (d) => ({ input: join(d, 'missing.png') }),
      /INPUT_IMAGE.*cannot read/,
    ],
    [
      'noise level over the model’s maximum',
      async () => ({ input: EXAMPLE, args: ['--noise-level', '400'] }),
      /INVALID_OPTION.*noise level.*\[0, 350\]/,
    ],
    [
      '--steps 0',
      async () => ({ input: EXAMPLE, args: ['--steps', '0'] }),
      /INVALID_OPTION.*--steps/,
    ],
    [
      'a text-to-image folder as --model',
      async () => ({ input: EXAMPLE, args: ['--model', MNIST_T2I] }),
      /MODEL_FOLDER.*low_res_scheduler/,
    ],
  ];
  for (const [name, setup, message] of cases) {
    it(name, async () => {
      const { input, args = [] } = await setup(await tempDir());
      const r = await upscale(input, ['--no-progress', ...args], cliInProcess);
      assert.equal(r.code, 2, `${r.stdout}\n${r.stderr}`);
      assert.match(r.stderr, message);
      assert.deepEqual(r.files, [], 'no file written');
    });
  }
  it('unwritable --out fails before any work and leaves what was there', async () => {
    const dir = await tempDir();
    await mkdir(join(dir, 'folder.png'));
    await writeFile(join(dir, 'up.json'), 'mine');
    const r = await cli(['upscale', EXAMPLE, '--out', join(dir, 'folder.png'), '--no-progress']);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /OUTPUT_UNWRITABLE/);
    assert.equal(await readFile(join(dir, 'up.json'), 'utf8'), 'mine');
  });
});

describe('diffier bench sr', () => {
  it('scores methods × w against the held-out originals and writes JSON, grids and plots', async () => {
    const dir = await tempDir();
    const r = await cli([
      'bench',
      'sr',
      '--inputs',
      '3',
      '--n',
      '2',
      '--steps',
      '2',
      '--w',
      '1,2',
      '--methods',
      'cfg,diffier',
      '--json',
      join(dir, 'sr.json'),
      '--grids',
      join(dir, 'grids'),
      '--plots',
      join(dir, 'plots'),
      '--no-progress',
    ]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /bicubic/);
    assert.match(r.stdout, /ground truth/);
    const result = JSON.parse(await readFile(join(dir, 'sr.json'), 'utf8'));
    assert.equal(result.runs.length, 4);
    for (const run of result.runs) {
      const m = run.metrics;
      assert.ok(m.psnr > 0 && m.ssim > 0 && m.ssim <= 1 && m.consistency > 0 && m.fid > 0);
      assert.ok(m.digitAccuracy >= 0 && m.digitAccuracy <= 1);
      assert.equal(run.images, undefined, 'images stay out of the JSON');
    }
    // Guidance off (w = 1): DiffIER probes nothing, only its corrector runs (one step, not
    // into the final level): 2 steps × 1 evaluation + 1.
    assert.deepEqual(
      result.runs.map((x: { method: string; w: number; nfe: number }) => [x.method, x.w, x.nfe]),
      [
        ['cfg', 1, 2],
        ['cfg', 2, 4],
        ['diffier', 1, 3],
        ['diffier', 2, 6],
      ],
    );
    assert.equal(result.reference.groundTruth.psnr, null, 'Infinity is written as null');
    assert.deepEqual((await readdir(join(dir, 'grids'))).sort(), [
      'cfg-w1.png',
      'cfg-w2.png',
      'diffier-w1.png',
      'diffier-w2.png',
    ]);
    assert.ok((await readdir(join(dir, 'plots'))).includes('pareto-fid-psnr.svg'));
  });
});
