/**
 * The web page end to end in a real browser (headless Chromium): it loads the embedded
 * model through onnxruntime-web, generates with CFG and DiffIER into a labelled grid whose
 * images download one by one, gives the same pixels as the library in Node for the same settings,
 * runs with a negative prompt, image-to-image and inpainting, shows bad input as one message
 * and clears the earlier results, cancels, runs the mixture benchmark tab, and logs no
 * console error or failed request. Screenshots go to test-artifacts/web/, and with
 * DIFFIER_SCREENSHOTS=1 the documented ones to docs/screenshots/after-*.png as well.
 */
import assert from 'node:assert/strict';
import { copyFile, readFile, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Page } from 'playwright-core';
import { decode as decodePng } from 'fast-png';
import { PNG } from 'pngjs';
import type { Tensor } from '../src/core/tensor.js';
import { gridPixels } from '../src/image/grid.js';
import { packageRoot } from '../src/models/embedded.js';
import { loadTextToImageModel } from '../src/models/load.js';
import { textToImage } from '../src/pipelines/textToImage.js';
import {
  artifactsDir,
  browserSkip,
  launchChromium,
  startWebServer,
  type Chromium,
  type WebServer,
} from './helpers/browser.js';
import { pngDifference } from './helpers/pixels.js';
import { cli } from './helpers/cli.js';
import { MNIST_T2I, removeTempDirs, tempDir } from './helpers/t2iFixtures.js';

const skip = browserSkip();
if (skip) console.log(`# ${skip}`);

const WAIT = { timeout: 180_000 };
const PROMPT = 'a thick slanted seven';

/** Wait until the page leaves the running state; returns the state it reached. */
async function settled(page: Page, states = ['done', 'error']): Promise<string> {
  await page.waitForFunction((s) => s.includes(document.body.dataset.state ?? ''), states, WAIT);
  return (await page.getAttribute('body', 'data-state')) ?? '';
}

async function setMethods(page: Page, names: readonly string[]): Promise<void> {
  for (const box of await page.locator('#t2i-methods input[type=checkbox]').all()) {
    await box.setChecked(names.includes(await box.inputValue()));
  }
}

async function fill(page: Page, fields: Record<string, string>): Promise<void> {
  for (const [id, value] of Object.entries(fields)) await page.fill(`#${id}`, value);
}

/** A small run: the given methods, 3 steps, `n` images, seed 0, no negative prompt. */
async function run(page: Page, methods: readonly string[], fields: Record<string, string> = {}) {
  await setMethods(page, methods);
  await fill(page, {
    prompt: PROMPT,
    'negative-prompt': '',
    w: '3',
    steps: '3',
    nfe: '',
    n: '2',
    seed: '0',
    ...fields,
  });
  await page.click('#generate');
  assert.equal(await settled(page), 'done', (await page.textContent('#error')) ?? '');
}

/** The PNG behind grid cell (method, i), through its download link. */
async function downloadTile(page: Page, method: string, i: number) {
  const link = page.locator(`tr[data-method="${method}"] td`).nth(i).locator('a[download]');
  const [file] = await Promise.all([page.waitForEvent('download'), link.click()]);
  const bytes = await readFile(await file.path());
  return { name: file.suggestedFilename(), bytes, png: PNG.sync.read(bytes) };
}

/** The settings shown for the selected image, as label → text. */
async function shownRecipe(page: Page): Promise<Record<string, string>> {
  const dts = await page.locator('#inspector dt').allTextContents();
  const dds = await page.locator('#inspector dd').allTextContents();
  return Object.fromEntries(dts.map((k, i) => [k, dds[i]]));
}

/** Red of every pixel of a decoded PNG (the embedded model's images are grey). */
function reds(png: PNG): number[] {
  return Array.from({ length: png.width * png.height }, (_, p) => png.data[4 * p]);
}

/** A grey PNG of the model's 28×28 size: white (repaint) where `white(x, y)`. */
function maskPng(white: (x: number, y: number) => boolean, size = 28, colorType = 0): Buffer {
  const png = new PNG({ width: size, height: size });
  for (let p = 0; p < size * size; p++) {
    const v = white(p % size, Math.floor(p / size)) ? 255 : 0;
    png.data.set([v, v, v, 255], 4 * p);
  }
  return PNG.sync.write(png, { colorType: colorType as 0 | 6 });
}

/**
 * Into test-artifacts/web/ always; with DIFFIER_SCREENSHOTS=1 also to
 * docs/screenshots/after-NAME.png, the committed ones docs/web.md shows.
 */
async function screenshot(page: Page, name: string): Promise<void> {
  const path = join(await artifactsDir(), `${name}.png`);
  await page.screenshot({ path, fullPage: true });
  if (process.env.DIFFIER_SCREENSHOTS === '1') {
    await copyFile(path, join(packageRoot(), 'docs', 'screenshots', `after-${name}.png`));
  }
}

/**
 * The same cfg run by the library in Node (onnxruntime-node) and in the page (steps, n, seed
 * as given); returns how far the page's downloaded grid is from the Node run's grid pixels
 * (image/grid.ts, which both use), and prints it.
 */
/** A cfg run of the embedded model by the library in Node (onnxruntime-node), w 3. */
async function nodeImages(opts: {
  steps: number;
  n: number;
  seed: number;
  negativePrompt?: string;
}): Promise<Tensor> {
  const model = await loadTextToImageModel(MNIST_T2I, { warn: () => undefined });
  try {
    const run = await textToImage(model, {
      prompt: PROMPT,
      method: { name: 'cfg' },
      w: 3,
      gapMonitor: false,
      ...opts,
    });
    return run.images;
  } finally {
    await model.release();
  }
}

async function versusNode(page: Page, label: string, steps: string, n: string, seed: string) {
  const images = await nodeImages({ steps: Number(steps), n: Number(n), seed: Number(seed) });
  const pixels = gridPixels([images]);
  const png = new PNG({ width: pixels.width, height: pixels.height });
  png.data.set(pixels.data);
  const node = PNG.sync.write(png);
  await setMethods(page, ['cfg']);
  await fill(page, { prompt: PROMPT, 'negative-prompt': '', w: '3', steps, nfe: '', n, seed });
  await page.click('#generate');
  assert.equal(await settled(page), 'done', (await page.textContent('#error')) ?? '');
  const [download] = await Promise.all([
    page.waitForEvent('download'),
    page.click('#download-png'),
  ]);
  const diff = pngDifference(await readFile(await download.path()), node);
  console.log(
    `# ${label} vs Node: max |Δ| = ${diff.maxDiff}/255, ${diff.differing} of ${diff.values} RGBA values differ`,
  );
  assert.deepEqual(diff.sizes[0], diff.sizes[1]);
  return diff;
}

describe('web page in Chromium', { skip }, () => {
  let server: WebServer;
  let chrome: Chromium;
  let page: Page;
  /** The image the image-to-image test starts from, for the inpainting tests. */
  let initImage: number[] = [];
  /** Uncaught errors, console errors, failed requests and HTTP errors, from the first load on. */
  const problems: string[] = [];

  before(async () => {
    server = await startWebServer();
    chrome = await launchChromium();
    page = await chrome.context.newPage();
    await page.setViewportSize({ width: 1280, height: 900 });
    page.on('pageerror', (e) => problems.push(`uncaught: ${e.message}`));
    page.on('console', (m) => m.type() === 'error' && problems.push(`console: ${m.text()}`));
    page.on('requestfailed', (r) => problems.push(`failed: ${r.url()} ${r.failure()?.errorText}`));
    page.on('response', (r) => r.status() >= 400 && problems.push(`${r.status()}: ${r.url()}`));
    await page.goto(server.url);
    assert.equal(
      await settled(page, ['ready', 'error']),
      'ready',
      (await page.textContent('#backend')) ?? '',
    );
  });

  after(async () => {
    await chrome?.close();
    await server?.stop();
    await removeTempDirs();
  });

  it('says which runtime it uses', async () => {
    const text = (await page.textContent('#backend')) ?? '';
    assert.match(text, /onnxruntime-web on (WebAssembly|WebGPU)/);
    assert.match(text, /model loaded in \d+ ms/);
    await screenshot(page, 't2i-idle');
  });

  it('generates with CFG and DiffIER: a labelled grid row each, and the per-step plots', async () => {
    await run(page, ['cfg', 'diffier'], { steps: '4', n: '4' });
    const rows = page.locator('#t2i-results tbody tr');
    assert.deepEqual(await rows.locator('.row-method').allTextContents(), ['cfg', 'diffier']);
    assert.deepEqual(await rows.locator('.row-detail').allTextContents(), [
      'w 3 · 4 steps · ddim',
      'w 3 · 4 steps · ddim',
    ]);
    assert.deepEqual(await page.locator('#t2i-results thead th').allTextContents(), [
      '#0',
      '#1',
      '#2',
      '#3',
    ]);
    assert.equal(await rows.locator('img').count(), 8);
    const tile = await downloadTile(page, 'diffier', 3);
    const r = reds(tile.png);
    assert.ok(Math.max(...r) - Math.min(...r) > 100, 'the image has contrast');
    assert.equal(await page.locator('#gap-plot svg').count(), 1);
    assert.equal(await page.locator('#drift-plot svg').count(), 1);
    assert.equal(await page.locator('#t2i-table tbody tr').count(), 2);
    await screenshot(page, 't2i-done');
  });

  it('downloads each image as <method>-<w>-<i>.png, the pixels of its grid cell', async () => {
    await run(page, ['cfg', 'diffier'], { w: '2.5', n: '3', seed: '7' });
    const [grid] = await Promise.all([page.waitForEvent('download'), page.click('#download-png')]);
    const sheet = PNG.sync.read(await readFile(await grid.path()));
    // The grid's layout (image/grid.ts): 2 px gaps, 28×28 cells enlarged 3×.
    const cell = 28 * 3 + 2;
    for (const [row, method] of ['cfg', 'diffier'].entries()) {
      for (const i of [0, 2]) {
        const tile = await downloadTile(page, method, i);
        assert.equal(tile.name, `${method}-2.5-${i}.png`);
        assert.deepEqual([tile.png.width, tile.png.height], [28, 28]);
        // Grey, 8 bits, no alpha (what the CLI reads back), the settings in a tEXt chunk.
        const decoded = decodePng(tile.bytes);
        assert.deepEqual([decoded.channels, decoded.depth], [1, 8]);
        const settings = JSON.parse(decoded.text.Comment);
        assert.deepEqual(
          [settings.method, settings.w, settings.seed],
          [method, '2.5', `7, image ${i}`],
        );
        const fromSheet = Array.from({ length: 28 * 28 }, (_, p) => {
          const x = 2 + i * cell + 3 * (p % 28);
          const y = 2 + row * cell + 3 * Math.floor(p / 28);
          return sheet.data[4 * (y * sheet.width + x)];
        });
        assert.deepEqual(reds(tile.png), fromSheet, `${tile.name} is its grid cell`);
      }
    }
  });

  it('shows the settings that made the image picked', async () => {
    await page.locator('tr[data-method="diffier"] td').nth(1).locator('button').click();
    const recipe = await shownRecipe(page);
    assert.equal(recipe.prompt, PROMPT);
    assert.equal(recipe['negative prompt'], '(none)');
    assert.equal(recipe.method, 'diffier');
    assert.match(recipe.options, /=/);
    assert.equal(recipe.w, '2.5');
    assert.match(recipe.steps, /^3 · NFE \d+$/);
    assert.equal(recipe.sampler, 'ddim');
    assert.equal(recipe.seed, '7, image 1');
    assert.equal(recipe.model, 'mnist-t2i');
    assert.equal(
      await page.locator('#inspector a[download]').getAttribute('download'),
      'diffier-2.5-1.png',
    );
  });

  it('runs with a negative prompt: other images, and the prompt among the settings', async () => {
    await run(page, ['cfg']);
    const plain = await downloadTile(page, 'cfg', 0);
    await run(page, ['cfg'], { 'negative-prompt': 'a thin upright one' });
    const negative = await downloadTile(page, 'cfg', 0);
    assert.notDeepEqual(reds(negative.png), reds(plain.png));
    // The page hands the negative prompt to the library as Node's callers do: same pixels.
    const node = await nodeImages({
      steps: 3,
      n: 1,
      seed: 0,
      negativePrompt: 'a thin upright one',
    });
    const nodeReds = gridPixels([node], { scale: 1, gap: 0 }).data.filter((_, j) => j % 4 === 0);
    assert.deepEqual(reds(negative.png), Array.from(nodeReds));
    assert.equal((await shownRecipe(page))['negative prompt'], 'a thin upright one');
    await fill(page, { 'negative-prompt': '' });
  });

  it('runs image-to-image: strength 0 gives the init image back, 0.5 changes it', async () => {
    await run(page, ['cfg'], { n: '1', seed: '3' });
    const init = await downloadTile(page, 'cfg', 0);
    initImage = reds(init.png);
    await page.setInputFiles('#init-image', {
      name: 'seven.png',
      mimeType: 'image/png',
      buffer: init.bytes,
    });
    await page.waitForSelector('#edit-preview:not([hidden])');
    // The page's download is an input the CLI takes too.
    const file = join(await tempDir(), 'seven.png');
    await writeFile(file, init.bytes);
    const r = await cli([
      'generate',
      PROMPT,
      '--init-image',
      file,
      '--strength',
      '0',
      '--n',
      '1',
      '--steps',
      '3',
      '--out',
      join(dirname(file), 'again.png'),
      '--no-progress',
    ]);
    assert.equal(r.code, 0, r.stderr);
    await run(page, ['cfg'], { n: '1', seed: '4', strength: '0' });
    assert.deepEqual(reds((await downloadTile(page, 'cfg', 0)).png), reds(init.png));
    await run(page, ['cfg'], { n: '2', seed: '4', steps: '4', strength: '0.5' });
    const changed = await downloadTile(page, 'cfg', 0);
    assert.notDeepEqual(reds(changed.png), reds(init.png));
    const recipe = await shownRecipe(page);
    assert.equal(recipe['init image'], 'seven.png');
    assert.equal(recipe.strength, '0.5');
    assert.equal(recipe.edit, 'image-to-image: the last 2 of 4 steps run');
    await screenshot(page, 'img2img');
  });

  it('inpaints from a mask file: the pixels outside the mask stay the init image', async () => {
    // The left half is repainted.
    const left = (x: number) => x < 14;
    await page.setInputFiles('#mask', {
      name: 'left.png',
      mimeType: 'image/png',
      buffer: maskPng(left),
    });
    // The file is read after the change event: wait for the note to say what it read.
    await page.waitForFunction(
      () => /^Inpainting/.test(document.getElementById('edit-note')!.textContent ?? ''),
      null,
      WAIT,
    );
    assert.match((await page.textContent('#edit-note')) ?? '', /Inpainting 392 of 784 pixels/);
    await run(page, ['cfg'], { n: '1', seed: '5', steps: '4', strength: '1' });
    const out = reds((await downloadTile(page, 'cfg', 0)).png);
    const outside = (r: number[]) => r.filter((_, p) => !left(p % 28));
    const inside = (r: number[]) => r.filter((_, p) => left(p % 28));
    assert.deepEqual(outside(out), outside(initImage));
    assert.notDeepEqual(inside(out), inside(initImage));
    const recipe = await shownRecipe(page);
    assert.equal(recipe.mask, 'left.png, 392 of 784 pixels repainted');
    assert.equal(recipe.edit, 'inpainting (replacement): the last 4 of 4 steps run');
  });

  it('inpaints from a mask painted over the init image', async () => {
    await page.click('#clear-mask');
    assert.match((await page.textContent('#edit-note')) ?? '', /^Image-to-image/);
    const box = (await page.locator('#mask-canvas').boundingBox())!;
    await page.mouse.move(box.x + box.width * 0.2, box.y + box.height * 0.5);
    await page.mouse.down();
    await page.mouse.move(box.x + box.width * 0.8, box.y + box.height * 0.5, { steps: 8 });
    await page.mouse.up();
    const note = (await page.textContent('#edit-note')) ?? '';
    const painted = Number(/Inpainting (\d+) of 784 pixels \(painted\)/.exec(note)?.[1]);
    assert.ok(painted > 0 && painted < 784, note);
    await run(page, ['cfg'], { n: '1', seed: '5', steps: '4', strength: '1' });
    assert.equal((await shownRecipe(page)).mask, `painted, ${painted} of 784 pixels repainted`);
    await screenshot(page, 'inpaint');
    await page.click('#clear-init');
    assert.equal(await page.locator('#edit-preview').isHidden(), true);
  });

  it('refuses an init image of another size or with alpha, in one line, as the CLI', async () => {
    await page.setInputFiles('#init-image', {
      name: 'rgba.png',
      mimeType: 'image/png',
      buffer: maskPng(() => true, 28, 6),
    });
    await page.waitForFunction(() => document.body.dataset.state === 'error', null, WAIT);
    assert.equal(
      await page.textContent('#error'),
      'rgba.png has an alpha channel or transparency; save it without',
    );
    // The inpainting results before it are gone, as after any bad input.
    assert.equal(await page.locator('#t2i-results img').count(), 0);
    assert.equal(await page.textContent('#message'), '');
    await fill(page, { steps: '3' });
    await page.click('#generate');
    assert.equal(await settled(page), 'done');
    await page.setInputFiles('#init-image', {
      name: 'big.png',
      mimeType: 'image/png',
      buffer: maskPng(() => true, 40),
    });
    await page.waitForFunction(() => document.body.dataset.state === 'error', null, WAIT);
    assert.equal(
      await page.textContent('#error'),
      'big.png is 40×40; the model reads 28×28 images',
    );
    assert.equal(await page.locator('#edit-preview').isHidden(), true);
  });

  it('clears the earlier results when the input is bad', async () => {
    await run(page, ['cfg', 'diffier']);
    assert.equal(await page.locator('#t2i-results img').count(), 4);
    await fill(page, { steps: '0' });
    await page.click('#generate');
    assert.equal(await settled(page), 'error');
    const error = (await page.textContent('#error')) ?? '';
    assert.match(error, /^steps must be an integer in \[1, \d+\], got "0"$/);
    assert.equal(await page.locator('#t2i-results img').count(), 0);
    assert.equal(await page.textContent('#message'), '');
    assert.equal(await page.locator('#inspector').isHidden(), true);
    assert.equal(await page.locator('#t2i-table tr').count(), 0);
    assert.equal(await page.locator('#gap-plot svg').count(), 0);
    assert.equal(await page.isDisabled('#download-png'), true);
    assert.equal(await page.isDisabled('#download-json'), true);
    await screenshot(page, 't2i-error');
  });

  it('gives the same pixels as the library in Node for the same settings', async () => {
    const diff = await versusNode(page, 'browser', '6', '3', '11');
    assert.equal(diff.maxDiff, 0);
    const [json] = await Promise.all([page.waitForEvent('download'), page.click('#download-json')]);
    const settings = JSON.parse(await readFile(await json.path(), 'utf8'));
    assert.deepEqual(settings.settings, {
      w: 3,
      steps: 6,
      nfe: null,
      n: 3,
      seed: 11,
      sampler: 'ddim',
    });
    assert.equal(settings.runs[0].method, 'cfg');
  });

  for (const [what, fields, message] of [
    ['an empty prompt', { prompt: '  ' }, /the prompt is empty/],
    ['w out of range', { w: '99' }, /w must be between 0 and 15, got 99/],
    ['steps 0', { steps: '0' }, /steps must be an integer in \[1, /],
  ] as const) {
    it(`shows a clear message for ${what}, and keeps working`, async () => {
      await setMethods(page, ['cfg']);
      await fill(page, {
        prompt: PROMPT,
        w: '3',
        steps: '3',
        nfe: '',
        n: '1',
        seed: '0',
        ...fields,
      });
      await page.click('#generate');
      assert.equal(await settled(page), 'error');
      assert.match((await page.textContent('#error')) ?? '', message);
      const name = `bad-${what.replace(/\W+/g, '-')}.png`;
      await page.screenshot({ path: join(await artifactsDir(), name) });
      await fill(page, { prompt: PROMPT, w: '3', steps: '3' });
      await page.click('#generate');
      assert.equal(await settled(page), 'done', (await page.textContent('#error')) ?? '');
    });
  }

  it('cancels a run', async () => {
    await setMethods(page, ['cfg']);
    await fill(page, { prompt: PROMPT, w: '3', steps: '500', nfe: '', n: '1', seed: '0' });
    await page.click('#generate');
    await page.waitForFunction(
      () => Number((document.getElementById('progress') as HTMLProgressElement).value) > 0,
      null,
      WAIT,
    );
    await page.click('#cancel');
    assert.equal(await settled(page), 'error');
    assert.equal(await page.textContent('#error'), 'cancelled');
  });

  it('runs the 2-D mixture benchmark: one scatter panel per method over the true density', async () => {
    await page.click('.tab[data-tab=bench]');
    await page.selectOption('#problem', '2d-separated');
    for (const box of await page.locator('#bench-methods input[type=checkbox]').all()) {
      await box.setChecked(['cfg', 'diffier'].includes(await box.inputValue()));
    }
    await page.fill('#bench-steps', '10');
    await page.fill('#bench-samples', '100');
    await page.click('#bench-run');
    assert.equal(await settled(page), 'done', (await page.textContent('#bench-error')) ?? '');
    assert.equal(await page.locator('#bench-plot svg').count(), 1);
    assert.equal(await page.locator('#bench-table tbody tr').count(), 2);
    await screenshot(page, 'bench-done');
  });

  it('runs a benchmark problem whose model is a trained ONNX network', async () => {
    await page.selectOption('#problem', '2d-overlapping-onnx');
    for (const box of await page.locator('#bench-methods input[type=checkbox]').all()) {
      await box.setChecked((await box.inputValue()) === 'cfg');
    }
    await page.click('#bench-run');
    assert.equal(await settled(page), 'done', (await page.textContent('#bench-error')) ?? '');
    assert.equal(await page.locator('#bench-table tbody tr').count(), 1);
  });

  it('clears the earlier benchmark results when its input is bad', async () => {
    await page.fill('#bench-samples', '5');
    await page.click('#bench-run');
    assert.equal(await settled(page), 'error');
    assert.match((await page.textContent('#bench-error')) ?? '', /^samples must be an integer in/);
    assert.equal(await page.locator('#bench-plot svg').count(), 0);
    assert.equal(await page.locator('#bench-table tr').count(), 0);
    assert.equal(await page.textContent('#bench-message'), '');
    await page.fill('#bench-samples', '100');
    await page.click('.tab[data-tab=t2i]');
  });

  it('fits a narrow window: one column, settings above the results', async () => {
    await page.click('.tab[data-tab=t2i]');
    await page.setViewportSize({ width: 420, height: 900 });
    await run(page, ['cfg', 'diffier']);
    const form = (await page.locator('#t2i-form').boundingBox())!;
    const results = (await page.locator('#t2i-results').boundingBox())!;
    assert.ok(results.y >= form.y + form.height, 'results below the form');
    const width = await page.evaluate(() => document.documentElement.scrollWidth);
    assert.ok(width <= 420, `no sideways scrolling: the page is ${width} px wide`);
    await screenshot(page, 'narrow');
    await page.setViewportSize({ width: 1280, height: 900 });
  });

  it('logged no error and asked for nothing the server does not have', () => {
    assert.deepEqual(problems, []);
  });
});

describe('web page on WebGPU (SwiftShader, a CPU WebGPU adapter)', { skip }, () => {
  let server: WebServer;
  let chrome: Chromium;

  before(async () => {
    server = await startWebServer();
    chrome = await launchChromium({ webgpu: true });
  });

  after(async () => {
    await chrome?.close();
    await server?.stop();
    await removeTempDirs();
  });

  it('uses WebGPU, says so, and stays within 1/255 of the library in Node', async () => {
    const page = await chrome.context.newPage();
    await page.goto(server.url);
    assert.equal(await settled(page, ['ready', 'error']), 'ready');
    assert.match((await page.textContent('#backend')) ?? '', /onnxruntime-web on WebGPU/);
    const diff = await versusNode(page, 'WebGPU', '3', '2', '5');
    // GPU kernels sum in another order than the CPU's: documented bound (docs/results.md §7).
    assert.ok(diff.maxDiff <= 1, `max |Δ| ${diff.maxDiff}`);
    assert.ok(diff.differing <= 0.01 * diff.values, `${diff.differing} values differ`);
    await page.screenshot({ path: join(await artifactsDir(), 'webgpu.png'), fullPage: true });
  });
});
