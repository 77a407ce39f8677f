// Page load to first image in headless Chromium: starts `diffier web`, opens the page in a
// fresh browser each run (cold cache), clicks Generate with the page's defaults (CFG and
// DiffIER, 20 steps, 4 images, w = 3) and reads the times the page records. Optionally
// saves a screenshot of the finished page, and compares the page's PNG grid with one the
// CLI wrote for the same settings. Needs `npm run build` (it reuses the built end-to-end
// helpers in dist/test/helpers/browser.js).
//   node scripts/web-timing.mjs [--runs N] [--threads N] [--screenshot FILE] [--compare-with CLI.png]
/* global document, performance -- inside page.evaluate, run by the browser */
import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import pngjs from 'pngjs';
import { launchChromium, startWebServer } from '../dist/test/helpers/browser.js';

const { values } = parseArgs({
  options: {
    runs: { type: 'string', default: '3' },
    screenshot: { type: 'string' },
    'compare-with': { type: 'string' },
    threads: { type: 'string' },
  },
});
const runs = Number(values.runs);
const server = await startWebServer();
try {
  for (let r = 0; r < runs; r++) {
    const chrome = await launchChromium();
    try {
      const page = await chrome.context.newPage();
      await page.setViewportSize({ width: 1280, height: 900 });
      await page.goto(values.threads ? `${server.url}?threads=${values.threads}` : server.url);
      const wait = (states) =>
        page.waitForFunction((s) => s.includes(document.body.dataset.state), states, {
          timeout: 300_000,
        });
      await wait(['ready', 'error']);
      const readyMs = await page.evaluate(() => performance.now());
      await page.click('#generate');
      await wait(['done', 'error']);
      const t = await page.evaluate(() => ({
        firstImageMs: Number(document.body.dataset.firstImageMs),
        doneMs: performance.now(),
        state: document.body.dataset.state,
        backend: document.getElementById('backend').textContent,
      }));
      if (t.state !== 'done') throw new Error(`the page ended in state ${t.state}`);
      console.log(
        `run ${r + 1}: ready ${Math.round(readyMs)} ms, first image ${t.firstImageMs} ms, ` +
          `both methods ${Math.round(t.doneMs)} ms after navigation start ` +
          `(Chromium ${chrome.browser.version()}; ${t.backend})`,
      );
      if (values['compare-with'] && r === runs - 1) {
        const [download] = await Promise.all([
          page.waitForEvent('download'),
          page.click('#download-png'),
        ]);
        const read = async (f) => pngjs.PNG.sync.read(await readFile(f));
        const a = await read(await download.path());
        const b = await read(values['compare-with']);
        if (a.width !== b.width || a.height !== b.height) throw new Error('grid sizes differ');
        let max = 0;
        let differing = 0;
        for (let i = 0; i < a.data.length; i++) {
          const d = Math.abs(a.data[i] - b.data[i]);
          max = Math.max(max, d);
          if (d > 0) differing++;
        }
        console.log(
          `page grid vs ${values['compare-with']}: ${a.width}×${a.height} px, max |Δ| = ${max}/255, ` +
            `${differing} of ${a.data.length} RGBA values differ`,
        );
      }
      if (values.screenshot && r === runs - 1) {
        await page.screenshot({ path: values.screenshot, fullPage: true });
        console.log(`wrote ${values.screenshot}`);
      }
    } finally {
      await chrome.close();
    }
  }
} finally {
  await server.stop();
}
