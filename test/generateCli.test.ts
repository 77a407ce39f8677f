/**
 * `diffier generate` as a user runs it (a child process on the built CLI, tiny fixtures):
 * the PNG and its sidecar, byte-identical reruns, and every bad input giving a clear typed
 * error, a non-zero exit and no file at all (those through the same command line run
 * in-process, `cliInProcess`).
 */
import assert from 'node:assert/strict';
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { PNG } from 'pngjs';
import { resolveMethod } from '../src/methods/registry.js';
import { BAD, removeTempDirs, ROOT, TINY, tempDir, tinyCopy } from './helpers/t2iFixtures.js';
import { cli, cliInProcess } from './helpers/cli.js';

after(removeTempDirs);

/** Run generate into a fresh folder; returns the result and the folder's files afterwards. */
async function generate(prompt: string, extra: string[], model = TINY, run = cli) {
  const dir = await tempDir();
  const out = join(dir, 'grid.png');
  // --steps 4 unless the case sets --steps or --nfe itself; a later --n overrides this one.
  const steps = extra.includes('--steps') || extra.includes('--nfe') ? [] : ['--steps', '4'];
  const result = await run([
    'generate',
    prompt,
    '--model',
    model,
    '--out',
    out,
    '--n',
    '3',
    ...steps,
    ...extra,
  ]);
  return { ...result, dir, out, files: await readdir(dir) };
}

describe('diffier generate', () => {
  it('writes the PNG grid and the JSON sidecar', async () => {
    const r = await generate('a thick seven', ['--compare', 'cfg,diffier', '--w', '2']);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(r.files.sort(), ['grid.json', 'grid.png']);
    assert.match(r.stdout, /cfg\s+2\.00\s+4\s+8/);
    const png = PNG.sync.read(await readFile(r.out));
    // The cells (2 rows × 3 columns of 84 px, 2 px gaps) and a label margin left and above.
    assert.ok(png.width > 2 + 3 * 86, `width ${png.width}`);
    assert.ok(png.height > 2 + 2 * 86, `height ${png.height}`); // one row per method
    const side = JSON.parse(await readFile(join(r.dir, 'grid.json'), 'utf8'));
    assert.equal(side.prompt, 'a thick seven');
    assert.equal(side.model.dir, TINY);
    assert.equal(side.model.unetTimestep, 'float32 []');
    assert.equal(side.model.scheduler.beta_schedule, 'squaredcos_cap_v2');
    assert.deepEqual(
      {
        w: side.settings.w,
        steps: side.settings.steps,
        n: side.settings.n,
        seed: side.settings.seed,
        sampler: side.settings.sampler,
      },
      { w: 2, steps: 4, n: 3, seed: 0, sampler: null },
    );
    // No --sampler: the folder's _class_name (DDIMScheduler) picked it; the runs say what ran.
    assert.equal(side.runs[0].sampler.sampler, 'ddim');
    assert.equal(side.runs[0].sampler.className, 'DDIMScheduler');
    assert.equal(side.runs[0].sampler.keys.clip_sample, false);
    assert.equal(side.runs[0].sampler.keys.set_alpha_to_one, true);
    assert.deepEqual(
      side.runs.map((x: { method: string }) => x.method),
      ['cfg', 'diffier'],
    );
    const diffier = side.runs[1];
    const defaults = resolveMethod({ name: 'diffier' }).options; // resolved options, every default filled in
    assert.deepEqual(Object.keys(diffier.options).sort(), Object.keys(defaults).sort());
    assert.equal(diffier.options.iterations, defaults.iterations);
    // 4 steps: 2 guided evaluations each, + 1 probe and 1 corrector step except into the final level.
    assert.equal(diffier.nfe, 4 * 2 + 3 * 2);
    assert.equal(diffier.gapSteps.length, 4);
    assert.equal(typeof diffier.gap.training, 'number');
    // The inner loop's record: one probe per guided step that does not end at the final
    // level, the error before and after it, and the fraction of the guidance applied.
    const inner = diffier.gapSteps.filter((s: { inner?: unknown }) => s.inner);
    assert.equal(inner.length, 3);
    for (const { inner: r } of inner) {
      assert.equal(r.iterations, 1);
      assert.ok(r.fraction >= 0 && r.fraction <= 1);
      assert.ok(r.after <= r.before * (1 + 1e-4), `after ${r.after} > before ${r.before}`);
    }
    assert.ok(diffier.timings.sampleMs > 0);
  });

  it('same prompt, seed and settings → byte-identical PNG', async () => {
    const a = await generate('a thin two', ['--seed', '7']);
    const b = await generate('a thin two', ['--seed', '7', '--threads', '1']);
    const c = await generate('a thin two', ['--seed', '8']);
    assert.equal(a.code, 0, a.stderr);
    const [pa, pb, pc] = await Promise.all([a.out, b.out, c.out].map((f) => readFile(f)));
    assert.deepEqual(pa, pb);
    assert.notDeepEqual(pa, pc);
  });

  it('an --nfe budget sets the steps; --verbose progress goes to stderr', async () => {
    const r = await generate('a two', ['--nfe', '6', '--verbose']);
    assert.equal(r.code, 0, r.stderr);
    const side = JSON.parse(await readFile(join(r.dir, 'grid.json'), 'utf8'));
    assert.equal(side.runs[0].steps, 3);
    assert.equal(side.settings.nfe, 6);
    assert.match(r.stderr, /3\/3/);
  });

  it('an over-long prompt is truncated with a warning', async () => {
    const long =
      'one two three four five six seven eight nine zero one two three four five six seven';
    const r = await generate(long, []);
    assert.equal(r.code, 0, r.stderr);
    assert.match(
      r.stderr,
      /warning: the prompt is longer than the 16 tokens the model reads: 3 token\(s\) dropped/,
    );
    const side = JSON.parse(await readFile(join(r.dir, 'grid.json'), 'utf8'));
    assert.equal(side.tokens.dropped, 3);
  });

  it('the default model is the embedded one, found from any working directory', async () => {
    const dir = await tempDir();
    const r = await cli(
      ['generate', 'a seven', '--n', '1', '--steps', '1', '--out', join(dir, 'g.png')],
      dir,
    );
    assert.equal(r.code, 0, r.stderr);
    const side = JSON.parse(await readFile(join(dir, 'g.json'), 'utf8'));
    assert.equal(side.model.dir, join(ROOT, 'models', 'mnist-t2i'));
  });
});

describe('diffier generate: bad input → typed error, exit 2, no file', { concurrency: 4 }, () => {
  const cases: [
    string,
    () => Promise<{ prompt?: string; args?: string[]; model?: string }>,
    RegExp,
  ][] = [
    ['empty prompt', async () => ({ prompt: '' }), /INVALID_OPTION.*prompt is empty/],
    ['blank prompt', async () => ({ prompt: '   ' }), /INVALID_OPTION.*prompt is empty/],
    ['--n 0', async () => ({ args: ['--n', '0'] }), /INVALID_OPTION.*--n must be an integer/],
    ['--n -1', async () => ({ args: ['--n', '-1'] }), /INVALID_OPTION.*--n must be an integer/],
    ['--steps 0', async () => ({ args: ['--steps', '0'] }), /INVALID_OPTION.*--steps/],
    ['--steps -4', async () => ({ args: ['--steps', '-4'] }), /INVALID_OPTION.*--steps/],
    [
      '--steps 2000 (over the schedule)',
      async () => ({ args: ['--steps', '2000'] }),
      /INVALID_OPTION.*steps must be an integer in \[1, 1000\], got 2000/,
    ],
    ['--nfe 0', async () => ({ args: ['--nfe', '0'] }), /INVALID_OPTION.*--nfe/],
    ['--nfe -3', async () => ({ args: ['--nfe', '-3'] }), /INVALID_OPTION.*--nfe/],
    [
      '--steps and --nfe',
      async () => ({ args: ['--steps', '4', '--nfe', '8'] }),
      /INVALID_OPTION.*not both/,
    ],
    [
      'unknown method',
      async () => ({ args: ['--compare', 'cfg,magic'] }),
      /INVALID_OPTION.*unknown method "magic"/,
    ],
    [
      'bad method option',
      async () => ({ args: ['--method', 'diffier', '--diffier-base', 'sometimes'] }),
      /INVALID_OPTION.*--diffier-base/,
    ],
    ['--w abc', async () => ({ args: ['--w', 'abc'] }), /INVALID_OPTION.*--w/],
    [
      'unknown sampler',
      async () => ({ args: ['--sampler', 'plms'] }),
      /INVALID_OPTION.*unknown sampler/,
    ],
    [
      'missing folder',
      async () => ({ model: '/no/such/model' }),
      /MODEL_FOLDER.*\/no\/such\/model does not exist/,
    ],
    [
      'missing file',
      async () => ({ model: await tinyCopy({ 'text_encoder/model.onnx': null }) }),
      /MODEL_FOLDER.*missing: text_encoder\/model\.onnx/,
    ],
    [
      'corrupted unet',
      async () => ({
        model: await tinyCopy({ 'unet/model.onnx': join(BAD, 'unet-corrupt.onnx') }),
      }),
      /MODEL_LOAD.*Protobuf/,
    ],
    [
      'wrong tensor names',
      async () => ({
        model: await tinyCopy({ 'unet/model.onnx': join(BAD, 'unet-wrong-names.onnx') }),
      }),
      /MODEL_SIGNATURE.*missing input sample/s,
    ],
    [
      'wrong output shape',
      async () => ({
        model: await tinyCopy({ 'unet/model.onnx': join(BAD, 'unet-wrong-shape.onnx') }),
      }),
      /MODEL_SIGNATURE.*out_sample/,
    ],
    [
      'wrong dtype',
      async () => ({
        model: await tinyCopy({ 'unet/model.onnx': join(BAD, 'unet-wrong-dtype.onnx') }),
      }),
      /MODEL_SIGNATURE.*float64/s,
    ],
    [
      'UNet outputs NaN',
      async () => ({ model: await tinyCopy({ 'unet/model.onnx': join(BAD, 'unet-nan.onnx') }) }),
      /NON_FINITE.*NaN/,
    ],
    [
      'text encoder outputs NaN',
      async () => ({
        model: await tinyCopy({ 'text_encoder/model.onnx': join(BAD, 'text-encoder-nan.onnx') }),
      }),
      /NON_FINITE.*text encoder/,
    ],
  ];
  for (const [name, setup, message] of cases) {
    it(name, async () => {
      const { prompt = 'a seven', args = [], model = TINY } = await setup();
      const r = await generate(prompt, args, model, cliInProcess);
      assert.equal(r.code, 2, `${r.stdout}\n${r.stderr}`);
      assert.match(r.stderr, message);
      assert.deepEqual(r.files, [], 'no file written');
    });
  }

  it('unwritable --out (a file as its folder, or a folder) fails before any work', async () => {
    const dir = await tempDir();
    await writeFile(join(dir, 'file'), 'x');
    await mkdir(join(dir, 'folder.png'));
    for (const out of [join(dir, 'file', 'grid.png'), join(dir, 'folder.png')]) {
      const r = await cli(['generate', 'a seven', '--model', TINY, '--out', out, '--no-progress']);
      assert.equal(r.code, 2);
      assert.match(r.stderr, /OUTPUT_UNWRITABLE/);
      assert.equal(r.stderr.includes('generate ×'), false, 'no sampling started');
    }
    assert.deepEqual((await readdir(dir)).sort(), ['file', 'folder.png']);
  });
});
