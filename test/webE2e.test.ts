/**
 * The web page end to end in a real browser (headless Chromium): it loads the embedded
 * model through onnxruntime-web, generates with CFG and DiffIER, gives the same pixels as
 * the Node CLI for the same settings, shows bad input as a message, cancels, and runs the
 * mixture benchmark tab. Screenshots go to test-artifacts/web/.
 */
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Page } from 'playwright-core';
import { cli } from './helpers/cli.js';
import {
  artifactsDir,
  browserSkip,
  launchChromium,
  startWebServer,
  type Chromium,
  type WebServer,
} from './helpers/browser.js';
import { PNG } from 'pngjs';
import { bottomRight, pngDifference } from './helpers/pixels.js';
import { removeTempDirs, tempDir } from './helpers/t2iFixtures.js';

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

/**
 * The same cfg run in the CLI and in the page (steps, n, seed as given); returns how far the
 * page's downloaded grid is from the CLI's, and prints it.
 */
async function versusCli(page: Page, label: string, steps: string, n: string, seed: string) {
  const out = join(await tempDir(), 'cli.png');
  const r = await cli([
    'generate',
    PROMPT,
    '--method',
    'cfg',
    '--w',
    '3',
    '--steps',
    steps,
    '--n',
    n,
    '--seed',
    seed,
    '--out',
    out,
    '--no-progress',
  ]);
  assert.equal(r.code, 0, r.stderr);
  await setMethods(page, ['cfg']);
  await fill(page, { prompt: PROMPT, w: '3', steps, nfe: '', n, seed });
  await page.click('#generate');
  assert.equal(await settled(page), 'done', (await page.textContent('#error')) ?? '');
  const [download] = await Promise.all([
    page.waitForEvent('download'),
    page.click('#download-png'),
  ]);
  const pagePng = await readFile(await download.path());
  const { width, height } = PNG.sync.read(pagePng);
  // The CLI's grid has label margins left and above; its cells are compared.
  const diff = pngDifference(pagePng, bottomRight(await readFile(out), width, height));
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
  const pageErrors: string[] = [];
  let shots: string;

  before(async () => {
    shots = await artifactsDir();
    server = await startWebServer();
    chrome = await launchChromium();
    page = await chrome.context.newPage();
    page.on('pageerror', (e) => pageErrors.push(e.message));
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
  });

  it('generates with CFG and DiffIER: one grid row each, and the per-step plots', async () => {
    await setMethods(page, ['cfg', 'diffier']);
    await fill(page, { prompt: PROMPT, w: '3', steps: '4', nfe: '', n: '2', seed: '0' });
    await page.click('#generate');
    assert.equal(await settled(page), 'done', (await page.textContent('#error')) ?? '');
    assert.deepEqual(await page.locator('#row-labels span').allTextContents(), ['cfg', 'diffier']);
    const grid = await page.evaluate(() => {
      const c = document.getElementById('grid') as HTMLCanvasElement;
      const d = c.getContext('2d')!.getImageData(0, 0, c.width, c.height).data;
      let lo = 255;
      let hi = 0;
      for (let i = 0; i < d.length; i += 4) {
        lo = Math.min(lo, d[i]);
        hi = Math.max(hi, d[i]);
      }
      return { width: c.width, height: c.height, lo, hi };
    });
    assert.ok(grid.width > 100 && grid.height > 100, JSON.stringify(grid));
    assert.ok(grid.hi - grid.lo > 100, `the grid has contrast: ${JSON.stringify(grid)}`);
    assert.equal(await page.locator('#gap-plot svg').count(), 1);
    assert.equal(await page.locator('#drift-plot svg').count(), 1);
    assert.equal(await page.locator('#t2i-table tbody tr').count(), 2);
    await page.screenshot({ path: join(shots, 'generate.png'), fullPage: true });
  });

  it('gives the same pixels as the Node CLI for the same settings', async () => {
    const diff = await versusCli(page, 'browser', '6', '3', '11');
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
      await page.screenshot({ path: join(shots, `bad-${what.replace(/\W+/g, '-')}.png`) });
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
    await page.screenshot({ path: join(shots, 'bench.png'), fullPage: true });
  });

  it('runs a benchmark problem whose model is a trained ONNX network', async () => {
    await page.selectOption('#problem', '2d-overlapping-onnx');
    for (const box of await page.locator('#bench-methods input[type=checkbox]').all()) {
      await box.setChecked((await box.inputValue()) === 'cfg');
    }
    await page.click('#bench-run');
    assert.equal(await settled(page), 'done', (await page.textContent('#bench-error')) ?? '');
    assert.equal(await page.locator('#bench-table tbody tr').count(), 1);
    await page.click('.tab[data-tab=t2i]');
  });

  it('raised no uncaught error in the page', () => {
    assert.deepEqual(pageErrors, []);
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

  it('uses WebGPU, says so, and stays within 1/255 of the Node CLI', async () => {
    const page = await chrome.context.newPage();
    await page.goto(server.url);
    assert.equal(await settled(page, ['ready', 'error']), 'ready');
    assert.match((await page.textContent('#backend')) ?? '', /onnxruntime-web on WebGPU/);
    const diff = await versusCli(page, 'WebGPU', '3', '2', '5');
    // GPU kernels sum in another order than the CPU's: documented bound (docs/results.md §7).
    assert.ok(diff.maxDiff <= 1, `max |Δ| ${diff.maxDiff}`);
    assert.ok(diff.differing <= 0.01 * diff.values, `${diff.differing} values differ`);
    await page.screenshot({ path: join(await artifactsDir(), 'webgpu.png'), fullPage: true });
  });
});
