/**
 * Outputs that carry their recipe, as a user runs them (child processes on the built CLI):
 * `generate --from out.png` remakes out.png byte for byte on the embedded model, explicit flags
 * override the recipe, --out-dir writes one PNG per image, `upscale` writes the upscaled image
 * (the sheet only with --sheet/--compare), `info` prints recipes, and every bad recipe input is
 * a typed one-line error with exit 2 and no file written.
 */
import assert from 'node:assert/strict';
import { copyFile, readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { PNG } from 'pngjs';
import { withTextChunks } from '../src/image/pngText.js';
import { recipeTextOf } from '../src/pipelines/recipeFile.js';
import { parseRecipe, RECIPE_FORMAT, type Recipe } from '../src/recipe/recipe.js';
import { cli, cliInProcess } from './helpers/cli.js';
import { pngBytes } from './helpers/pngFiles.js';
import { removeTempDirs, ROOT, tempDir, TINY } from './helpers/t2iFixtures.js';

after(removeTempDirs);

const EXAMPLE = join(ROOT, 'examples', 'lowres-7.png');
const FAST = ['--steps', '2', '--n', '2', '--no-progress'];

async function recipeIn(path: string): Promise<Recipe> {
  return parseRecipe(recipeTextOf(await readFile(path), path), path);
}

/** A PNG carrying `recipe` (as JSON text) in a diffier chunk. */
async function pngWithText(path: string, text: string): Promise<string> {
  await writeFile(path, withTextChunks(pngBytes(4, 4, 'grey'), [{ keyword: 'diffier', text }]));
  return path;
}

describe('generate --from', () => {
  it('remakes out.png byte for byte on the embedded model; explicit flags override the recipe', async () => {
    const dir = await tempDir();
    const out = join(dir, 'out.png');
    const a = await cli([
      'generate',
      'a thick seven',
      '--compare',
      'cfg,diffier',
      '--out',
      out,
      ...FAST,
    ]);
    assert.equal(a.code, 0, a.stderr);
    const b = await cli([
      'generate',
      '--from',
      out,
      '--out',
      join(dir, 'again.png'),
      '--no-progress',
    ]);
    assert.equal(b.code, 0, b.stderr);
    assert.deepEqual(await readFile(join(dir, 'again.png')), await readFile(out));
    const c = await cli([
      'generate',
      '--from',
      out,
      '--seed',
      '5',
      '--out',
      join(dir, 'seed5.png'),
      '--no-progress',
    ]);
    assert.equal(c.code, 0, c.stderr);
    assert.notDeepEqual(await readFile(join(dir, 'seed5.png')), await readFile(out));
    const r = await recipeIn(join(dir, 'seed5.png'));
    assert.equal(r.flags.seed, '5');
    assert.equal(r.flags.compare, 'cfg,diffier');
    assert.equal(r.argument, 'a thick seven');
    // A flag given replaces the recorded one it stands for: --nfe the steps, --method the list.
    const d = await cli([
      'generate',
      '--from',
      out,
      '--nfe',
      '4',
      '--method',
      'apg',
      '--out',
      join(dir, 'nfe.png'),
      '--no-progress',
    ]);
    assert.equal(d.code, 0, d.stderr);
    const rd = await recipeIn(join(dir, 'nfe.png'));
    assert.deepEqual(
      [rd.flags.nfe, rd.flags.steps, rd.flags.method, rd.flags.compare],
      ['4', undefined, 'apg', undefined],
    );
    // The sidecar carries the same recipe.
    const side = JSON.parse(await readFile(join(dir, 'seed5.json'), 'utf8'));
    assert.deepEqual(side.recipe, r);
  });

  it('the recipe names the prompt, every sampling flag, the model and its hash, the version', async () => {
    const dir = await tempDir();
    const out = join(dir, 'g.png');
    const g = await cli([
      'generate',
      'a two',
      '--model',
      TINY,
      '--w',
      '2.5',
      '--out',
      out,
      ...FAST,
    ]);
    assert.equal(g.code, 0, g.stderr);
    const r = await recipeIn(out);
    const pkg = JSON.parse(await readFile(join(ROOT, 'package.json'), 'utf8'));
    assert.equal(r.diffier, pkg.version);
    assert.equal(r.command, 'generate');
    assert.equal(r.flags.model, TINY);
    // A folder inside the package is named relative to it (the same in every checkout).
    assert.equal(r.model?.dir, 'diffier:test/fixtures/tiny-t2i');
    assert.match(r.model?.sha256 ?? '', /^[0-9a-f]{64}$/);
    for (const [k, v] of Object.entries({
      w: '2.5',
      steps: '2',
      n: '2',
      seed: '0',
    }))
      assert.equal(r.flags[k], v, k);
    for (const k of ['out', 'json', 'progress', 'from', 'threads']) assert.ok(!(k in r.flags), k);
    // No --sampler given: its default is the model's scheduler class, fixed by the model's hash.
    assert.ok(!('sampler' in r.flags));
    const info = await cli(['info', out]);
    assert.equal(info.code, 0, info.stderr);
    assert.match(info.stdout, /made by diffier .* generate/);
    assert.match(info.stdout, /argument: a two/);
    assert.match(info.stdout, /^ {2}w +2\.5$/m);
    assert.match(info.stdout, /again: diffier generate --from/);
    const json = await cli(['info', out, '--json']);
    assert.deepEqual(JSON.parse(json.stdout), r);
  });
});

describe('generate --from with the editing flags', () => {
  it('records the negative prompt, init image, strength and mask, and remakes the grid byte for byte', async () => {
    const dir = await tempDir();
    const out = join(dir, 'edit.png');
    const init = join(ROOT, 'examples', 'seven.png');
    const mask = join(ROOT, 'examples', 'mask-top.png');
    const args = ['--negative-prompt', 'a thin one', '--init-image', init, '--strength', '0.6'];
    const a = await cli(['generate', 'a seven', ...args, '--mask', mask, '--out', out, ...FAST]);
    assert.equal(a.code, 0, a.stderr);
    const r = await recipeIn(out);
    assert.deepEqual(
      [r.flags.negativePrompt, r.flags.initImage, r.flags.strength, r.flags.mask],
      ['a thin one', init, '0.6', mask],
    );
    const b = await cli(['generate', '--from', out, '--out', join(dir, 'b.png'), '--no-progress']);
    assert.equal(b.code, 0, b.stderr);
    assert.deepEqual(await readFile(join(dir, 'b.png')), await readFile(out));
  });
});

describe('generate --out-dir', () => {
  it('writes <method>-<w>-<i>.png per image beside the grid, each the image at its own size with its recipe', async () => {
    const dir = await tempDir();
    const r = await cli([
      'generate',
      'a seven',
      '--model',
      TINY,
      '--compare',
      'cfg,apg',
      '--w',
      '2',
      '--out',
      join(dir, 'grid.png'),
      '--out-dir',
      join(dir, 'images'),
      ...FAST,
    ]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /wrote 6 files:(\n {2}.*){2}images\/cfg-2-0\.png/);
    const names = (await readdir(join(dir, 'images'))).sort();
    assert.deepEqual(names, ['apg-2-0.png', 'apg-2-1.png', 'cfg-2-0.png', 'cfg-2-1.png']);
    const grid = PNG.sync.read(await readFile(join(dir, 'grid.png')));
    const one = PNG.sync.read(await readFile(join(dir, 'images', 'apg-2-1.png')));
    assert.deepEqual([one.width, one.height], [28, 28]);
    // The image is the grid's cell (row 1, column 1), before the grid's 3× enlargement.
    const left = grid.width - (2 + 2 * 86);
    const top = grid.height - (2 + 2 * 86);
    for (const [x, y] of [
      [0, 0],
      [13, 14],
      [27, 27],
    ]) {
      const gx = left + 2 + 86 + 3 * x;
      const gy = top + 2 + 86 + 3 * y;
      assert.equal(grid.data[(gy * grid.width + gx) * 4], one.data[(y * 28 + x) * 4], `${x},${y}`);
    }
    const recipe = await recipeIn(join(dir, 'images', 'apg-2-1.png'));
    assert.deepEqual(recipe.item, { method: 'apg', w: 2, index: 1 });
  });

  it('is refused before any work when it would write over an input or too many files', async () => {
    const dir = await tempDir();
    const copy = join(dir, 'cfg-3-0.png');
    await copyFile(EXAMPLE, copy);
    const up = await cliInProcess(['upscale', copy, '--out', join(dir, 'o.png'), '--out-dir', dir]);
    assert.equal(up.code, 2);
    assert.match(up.stderr, /OUTPUT_UNWRITABLE.*would overwrite the input/);
    const many = await cliInProcess([
      'generate',
      'a seven',
      '--n',
      '600',
      '--compare',
      'cfg,apg',
      '--out',
      join(dir, 'g.png'),
      '--out-dir',
      join(dir, 'many'),
    ]);
    assert.equal(many.code, 2);
    assert.match(many.stderr, /INVALID_OPTION.*1200 files.*at most 1024/);
    assert.deepEqual(await readdir(dir), ['cfg-3-0.png']);
  });
});

describe('upscale outputs', () => {
  it('--out is the upscaled image; --sheet adds the sheet; --from remakes both byte for byte', async () => {
    const dir = await tempDir();
    const out = join(dir, 'up.png');
    const a = await cli(['upscale', EXAMPLE, '--out', out, '--sheet', ...FAST]);
    assert.equal(a.code, 0, a.stderr);
    assert.deepEqual((await readdir(dir)).sort(), ['up-sheet.png', 'up.json', 'up.png']);
    const png = PNG.sync.read(await readFile(out));
    assert.deepEqual([png.width, png.height], [28, 28]);
    const b = await cli(['upscale', '--from', out, '--out', join(dir, 'b.png'), '--sheet']);
    assert.equal(b.code, 0, b.stderr);
    assert.deepEqual(await readFile(join(dir, 'b.png')), await readFile(out));
    assert.deepEqual(
      await readFile(join(dir, 'b-sheet.png')),
      await readFile(join(dir, 'up-sheet.png')),
    );
    const plain = await cli(['upscale', EXAMPLE, '--out', join(dir, 'c.png'), ...FAST]);
    assert.equal(plain.code, 0, plain.stderr);
    assert.ok(!(await readdir(dir)).includes('c-sheet.png'));
  });
});

describe('speak outputs', () => {
  it('each WAV carries the recipe in LIST/INFO; info prints it; --from remakes the WAV byte for byte', async () => {
    const dir = await tempDir();
    const out = join(dir, 's.wav');
    const a = await cli(['speak', 'Hello there.', '--steps', '2', '--out', out, '--no-progress']);
    assert.equal(a.code, 0, a.stderr);
    const r = await recipeIn(out);
    assert.equal(r.command, 'speak');
    assert.equal(r.argument, 'Hello there.');
    assert.equal(r.flags.steps, '2');
    const info = await cli(['info', out]);
    assert.equal(info.code, 0, info.stderr);
    assert.match(info.stdout, /made by diffier .* speak/);
    const b = await cli(['speak', '--from', out, '--out', join(dir, 'b.wav'), '--no-progress']);
    assert.equal(b.code, 0, b.stderr);
    assert.deepEqual(await readFile(join(dir, 'b.wav')), await readFile(out));
  });
});

describe('recipes: bad input → typed one-line error, exit 2, no file', { concurrency: 4 }, () => {
  const recipe = (r: object) =>
    JSON.stringify({
      format: RECIPE_FORMAT,
      diffier: '0.1.0',
      command: 'generate',
      argument: 'a seven',
      flags: { steps: '1', n: '1' },
      ...r,
    });
  const cases: [string, (dir: string) => Promise<string[]>, RegExp][] = [
    [
      'info on a text file',
      async (d) => {
        await writeFile(join(d, 'a.txt'), 'hello');
        return ['info', join(d, 'a.txt')];
      },
      /RECIPE.*neither a PNG nor a WAV/,
    ],
    [
      'info on a PNG without recipe',
      async () => ['info', EXAMPLE],
      /RECIPE.*has no diffier recipe/,
    ],
    ['info on a missing file', async (d) => ['info', join(d, 'none.png')], /RECIPE.*cannot read/],
    [
      'a recipe from a newer version',
      async (d) => [
        'info',
        await pngWithText(
          join(d, 'n.png'),
          recipe({ format: RECIPE_FORMAT + 1, diffier: '9.9.9' }),
        ),
      ],
      /RECIPE.*written by diffier 9\.9\.9.*upgrade/,
    ],
    [
      'a recipe with unknown keys',
      async (d) => ['info', await pngWithText(join(d, 'u.png'), recipe({ sneaky: 1 }))],
      /RECIPE.*unknown keys: sneaky/,
    ],
    [
      '--from with a flag the command does not have',
      async (d) => [
        'generate',
        '--from',
        await pngWithText(join(d, 'f.png'), recipe({ flags: { noSuchFlag: 'x' } })),
        '--out',
        join(d, 'o.png'),
      ],
      /RECIPE.*"noSuchFlag" is not a flag of generate/,
    ],
    [
      '--from with a recipe naming a missing model',
      async (d) => [
        'generate',
        '--from',
        await pngWithText(join(d, 'm.png'), recipe({ flags: { model: join(d, 'gone') } })),
        '--out',
        join(d, 'o.png'),
      ],
      /MODEL_FOLDER/,
    ],
    [
      '--from a recipe of another command',
      async (d) => [
        'upscale',
        '--from',
        await pngWithText(join(d, 'g.png'), recipe({})),
        '--out',
        join(d, 'o.png'),
      ],
      /RECIPE.*made by diffier generate; run diffier generate --from/,
    ],
    [
      '--out over the --from file',
      async (d) => {
        const f = await pngWithText(join(d, 'same.png'), recipe({}));
        return ['generate', '--from', f, '--out', f];
      },
      /OUTPUT_UNWRITABLE.*would overwrite the input/,
    ],
    [
      'generate with neither a prompt nor --from',
      async (d) => ['generate', '--out', join(d, 'o.png')],
      /INVALID_OPTION.*needs its argument, or --from FILE/,
    ],
  ];
  for (const [name, make, expected] of cases) {
    it(name, async () => {
      const dir = await tempDir();
      const args = await make(dir);
      const before = (await readdir(dir)).sort();
      const r = await cliInProcess(args);
      assert.equal(r.code, 2, r.stderr);
      assert.match(r.stderr, expected);
      assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
      assert.deepEqual((await readdir(dir)).sort(), before);
    });
  }
});
