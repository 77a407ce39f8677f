/**
 * The real-model benchmark's parts on the tiny fixture (random weights: the images are
 * noise, so what is tested is plumbing and contracts, not quality): the evaluation
 * classifier (signature checks, shapes, predictions on real held-out digits), the MNIST
 * split, the prompt catalogue, and `diffier bench t2i` end to end — the JSON contract, grids,
 * plots, determinism, and bad input failing before any file is written.
 */
import assert from 'node:assert/strict';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { PNG } from 'pngjs';
import { recipeTextOf } from '../src/pipelines/recipeFile.js';
import { parseRecipe } from '../src/recipe/recipe.js';
import type { ValueInfo } from '../src/backends/onnx.js';
import { selectPrompts, T2I_PROMPTS } from '../src/bench/t2iBench.js';
import { DatasetError, HELD_OUT_PER_DIGIT, loadMnist, takeImages } from '../src/data/mnist.js';
import {
  InvalidOptionError,
  ModelFolderError,
  ModelLoadError,
  ModelSignatureError,
  NonFiniteError,
  ShapeError,
} from '../src/core/errors.js';
import { classifierShapeProblems, EvalClassifier, evalModelDir } from '../src/eval/classifier.js';
import { frechetFromSamples } from '../src/eval/frechet.js';
import { concatBatch, Tensor } from '../src/core/tensor.js';
import { BAD, removeTempDirs, ROOT, TINY, tempDir } from './helpers/t2iFixtures.js';
import { cli, cliInProcess } from './helpers/cli.js';

after(removeTempDirs);

describe('MNIST split', () => {
  it('holds out the last 100 images of each digit file', async () => {
    const m = await loadMnist({ digits: [5, 7] });
    for (const d of [5, 7]) {
      const held = m.heldOut.get(d)!;
      const train = m.train.get(d)!;
      assert.equal(held.count, HELD_OUT_PER_DIGIT);
      assert.equal(held.firstIndex, train.count);
      assert.equal(held.images.length, 100 * 784);
    }
    assert.equal(m.train.get(5)!.count, 763); // 5.json has 863 images
    assert.equal(m.heldOut.get(0), undefined);
    const t = takeImages(m.heldOut.get(7)!, 98, 4); // wraps around: 98, 99, 0, 1
    assert.deepEqual(t.shape, [4, 1, 28, 28]);
    assert.deepEqual(t.data.subarray(2 * 784, 3 * 784), m.heldOut.get(7)!.images.subarray(0, 784));
  });
  it('a missing data folder is a DatasetError naming the dev dependency', async () => {
    await assert.rejects(loadMnist({ dir: '/no/such/mnist' }), (e: Error) => {
      assert.ok(e instanceof DatasetError);
      assert.match(e.message, /dev dependency/);
      return true;
    });
  });
});

describe('evaluation classifier', () => {
  let classifier: EvalClassifier;
  before(async () => {
    classifier = await EvalClassifier.load(evalModelDir());
  });
  after(() => classifier?.release());

  it('classifies held-out real digits and returns 64-d features', async () => {
    const m = await loadMnist({ digits: [3, 8] });
    const images = new Tensor(
      Float32Array.from([
        ...takeImages(m.heldOut.get(3)!, 0, 10).data,
        ...takeImages(m.heldOut.get(8)!, 0, 10).data,
      ]),
      [20, 1, 28, 28],
    );
    const out = await classifier.classify(images);
    assert.equal(out.n, 20);
    assert.equal(out.featureDim, 64);
    assert.equal(out.features.length, 20 * 64);
    let right = 0;
    for (let i = 0; i < 20; i++) right += out.digit[i] === (i < 10 ? 3 : 8) ? 1 : 0;
    assert.ok(right >= 16, `${right}/20 digits right`); // 0.98 held-out accuracy (config.json)
    for (const a of ['thickness', 'slant', 'size'] as const) {
      assert.ok(out.attributes[a].every((c) => c >= 0 && c <= 2));
    }
    assert.ok(out.digitProb.every((p) => p > 0 && p <= 1));
    // Batching does not change the answer.
    const one = await classifier.classify(images.sliceBatch(5, 6));
    assert.ok(Math.abs(one.features[0] - out.features[5 * 64]) < 1e-4);
  });
  it('reproduces the Python reference of config.json (Fréchet floor, held-out digit accuracy)', async () => {
    // training/export_onnx.py: FD of TRAIN (first 100 of each digit) vs HELD-OUT (1000), numpy.
    const ref = classifier.config?.reference as { frechet_train100perdigit_vs_heldout?: number };
    const acc = classifier.config?.heldout_accuracy as { digit?: number };
    const m = await loadMnist();
    const digits = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9];
    const train = await classifier.classify(
      concatBatch(digits.map((d) => takeImages(m.train.get(d)!, 0, 100))),
    );
    const held = await classifier.classify(
      concatBatch(digits.map((d) => takeImages(m.heldOut.get(d)!, 0, 100))),
    );
    const fd = frechetFromSamples(train.features, held.features, 64);
    assert.ok(
      Math.abs(fd - ref.frechet_train100perdigit_vs_heldout!) < 1e-3,
      `${fd} vs ${ref.frechet_train100perdigit_vs_heldout}`,
    );
    let right = 0;
    for (let i = 0; i < 1000; i++) right += held.digit[i] === Math.floor(i / 100) ? 1 : 0;
    assert.ok(Math.abs(right / 1000 - acc.digit!) <= 0.003, `${right / 1000} vs ${acc.digit}`);
  });
  it('rejects images of the wrong shape and non-finite pixels', async () => {
    await assert.rejects(classifier.classify(Tensor.zeros([2, 1, 14, 14])), ShapeError);
    await assert.rejects(classifier.classify(Tensor.zeros([2, 3, 28, 28])), ShapeError);
    const bad = Tensor.zeros([1, 1, 28, 28]);
    bad.data[5] = NaN;
    await assert.rejects(classifier.classify(bad), NonFiniteError);
  });
  it('signature errors: wrong network, corrupted file, missing file', async () => {
    await assert.rejects(
      EvalClassifier.load(join(ROOT, 'models', 'bench', 'matmul.onnx')),
      (e: Error) => {
        assert.ok(e instanceof ModelSignatureError);
        assert.match(e.message, /missing input image/);
        assert.match(e.message, /missing output features/);
        return true;
      },
    );
    await assert.rejects(
      EvalClassifier.load(join(BAD, 'unet-wrong-names.onnx')),
      ModelSignatureError,
    );
    await assert.rejects(EvalClassifier.load(join(BAD, 'unet-corrupt.onnx')), ModelLoadError);
    await assert.rejects(EvalClassifier.load('/no/such/classifier.onnx'), ModelFolderError);
    await assert.rejects(EvalClassifier.load(await tempDir()), ModelFolderError); // no classifier.onnx
  });
  it('fixed sizes are checked', () => {
    const v = (name: string, shape: (number | string)[]): ValueInfo => ({
      name,
      type: 'float32',
      shape,
    });
    const good = [
      v('digit_logits', ['b', 10]),
      v('thickness_logits', ['b', 3]),
      v('slant_logits', ['b', 3]),
      v('size_logits', ['b', 3]),
      v('features', ['b', 64]),
    ];
    assert.deepEqual(classifierShapeProblems([v('image', ['b', 1, 28, 28])], good), []);
    assert.deepEqual(classifierShapeProblems([v('image', ['b', 'c', 'h', 'w'])], good), []);
    const p = classifierShapeProblems(
      [v('image', ['b', 3, 32, 32])],
      [...good.slice(1), v('digit_logits', ['b', 9])],
    );
    assert.equal(p.length, 2);
    assert.match(p.join('\n'), /input image is \[b, 3, 32, 32\]/);
    assert.match(p.join('\n'), /digit_logits is \[b, 9\], expected \[B, 10\]/);
  });
});

describe('prompt catalogue', () => {
  it('one caption per digit, then attribute prompts using every attribute word', () => {
    const digits = selectPrompts('digits');
    assert.deepEqual(
      digits.map((p) => p.digit),
      [0, 1, 2, 3, 4, 5, 6, 7, 8, 9],
    );
    assert.equal(digits[8].text, 'an eight');
    const attrs = selectPrompts('attributes');
    const words = new Set(attrs.flatMap((p) => p.text.split(' ')));
    for (const w of ['thin', 'thick', 'backslanted', 'slanted', 'small', 'large'])
      assert.ok(words.has(w), w);
    const readme = T2I_PROMPTS.find((p) => p.text === 'a thick slanted seven')!;
    assert.deepEqual(readme.attributes, { thickness: 2, slant: 2 });
    assert.equal(selectPrompts('all').length, T2I_PROMPTS.length);
    assert.deepEqual(
      selectPrompts('a-seven,a-small-4').map((p) => p.digit),
      [7, 4],
    );
    assert.throws(() => selectPrompts('a-seven,nope'), InvalidOptionError);
    assert.throws(() => selectPrompts('a-seven,a-seven'), InvalidOptionError);
  });
});

describe('diffier bench t2i (tiny fixture)', () => {
  const args = (dir: string) => [
    'bench',
    't2i',
    '--model',
    TINY,
    '--methods',
    'cfg,diffier',
    '--w',
    '1,3',
    '--prompts',
    'a-seven,a-thick-slanted-seven',
    '--n',
    '4',
    '--nfe',
    '8',
    '--seed',
    '5',
    '--json',
    join(dir, 'out.json'),
    '--no-progress',
  ];
  const strip = (json: { runs: { timings?: unknown }[] }) => ({
    ...json,
    runs: json.runs.map(({ timings: _t, ...rest }) => rest),
  });

  it('writes the contract JSON, grids and plots, and is deterministic', async () => {
    const dir = await tempDir();
    const r = await cli([
      ...args(dir),
      '--grids',
      join(dir, 'grids'),
      '--plots',
      join(dir, 'plots'),
    ]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /FID/);
    assert.match(r.stdout, /real \(train\)/);
    const json = JSON.parse(await readFile(join(dir, 'out.json'), 'utf8'));
    assert.equal(json.benchmark, 't2i');
    assert.deepEqual(json.settings.methods, ['cfg', 'diffier']);
    assert.deepEqual(json.settings.ws, [1, 3]);
    assert.equal(json.settings.nfe, 8);
    assert.equal(json.evaluator.featureDim, 64);
    assert.equal(json.evaluator.k, 5);
    assert.deepEqual(
      json.prompts.map((p: { id: string }) => p.id),
      ['a-seven', 'a-thick-slanted-seven'],
    );
    assert.equal(json.reference.knnReferenceSize, 8);
    assert.ok(json.reference.floor.fid > 0 && Number.isFinite(json.reference.floor.fid));
    assert.equal(json.runs.length, 4);
    for (const run of json.runs) {
      assert.ok(run.nfe <= 8, `matched NFE: ${run.method} used ${run.nfe}`);
      assert.ok(run.steps >= 1);
      const m = run.metrics;
      assert.ok(m.fid > 0 && Number.isFinite(m.fid));
      for (const k of ['precision', 'recall', 'adherence', 'jointAdherence', 'attributeAdherence'])
        assert.ok(m[k] >= 0 && m[k] <= 1, `${k} = ${m[k]}`);
      assert.ok(Number.isFinite(m.gap) && Number.isFinite(m.driftGap));
      assert.equal(run.prompts.length, 2);
      assert.equal(run.prompts[0].attributeAdherence, null); // "a seven" asks for no attribute
      assert.ok(run.timings.sampleMs > 0);
      assert.equal(run.images, undefined);
    }
    const grids = (await readdir(join(dir, 'grids'))).sort();
    assert.deepEqual(grids, ['cfg-w1.png', 'cfg-w3.png', 'diffier-w1.png', 'diffier-w3.png']);
    const png = PNG.sync.read(await readFile(join(dir, 'grids', 'cfg-w3.png')));
    assert.equal(png.height, 2 + 2 * (84 + 2)); // rows = prompts
    assert.equal(png.width, 2 + 4 * (84 + 2)); // columns = images
    // Every grid carries the bench's recipe (the output folders are not part of it).
    const gridFile = join(dir, 'grids', 'cfg-w3.png');
    const recipe = parseRecipe(recipeTextOf(await readFile(gridFile), gridFile), gridFile);
    assert.equal(recipe.command, 'bench t2i');
    assert.equal(recipe.flags.nfe, '8');
    assert.ok(!('grids' in recipe.flags) && !('plots' in recipe.flags));
    const plots = await readdir(join(dir, 'plots'));
    for (const f of ['fid-vs-w.svg', 'adherence-vs-w.svg', 'pareto-fid-adherence.svg'])
      assert.ok(plots.includes(f), f);
    assert.match(await readFile(join(dir, 'plots', 'fid-vs-w.svg'), 'utf8'), /^<svg/);

    const dir2 = await tempDir();
    const again = await cli(args(dir2));
    assert.equal(again.code, 0, again.stderr);
    const json2 = JSON.parse(await readFile(join(dir2, 'out.json'), 'utf8'));
    assert.deepEqual(strip(json2), strip(json));
  });

  it('bad input fails before any work, with no file written', async () => {
    const dir = await tempDir();
    const cases: [string[], RegExp][] = [
      [['--methods', 'cfg,nope'], /unknown method "nope"/],
      [['--prompts', 'a-seven,a-zebra'], /unknown prompt "a-zebra"/],
      [['--w', '1,x'], /--w/],
      [['--nfe', '8', '--steps', '3'], /not both/],
      [['--n', '0'], /--n must be/],
      [['--prompts', 'a-seven', '--n', '5'], /more than 5 images/],
      [['--model', join(dir, 'none')], /MODEL_FOLDER/],
      [['--evaluator', join(dir, 'none')], /evaluation network/],
      [['--json', dir], /OUTPUT_UNWRITABLE/],
    ];
    for (const [extra, message] of cases) {
      const r = await cliInProcess([...args(dir), ...extra]);
      assert.equal(r.code, 2, `${extra.join(' ')}: ${r.stderr}`);
      assert.match(r.stderr, message);
    }
    assert.deepEqual(await readdir(dir), []);
  });
});
