// Page load to first image in headless Chromium: starts `diffier web`, opens the page in a
// fresh browser each run (cold cache), clicks Generate with the page's defaults (CFG and
// DiffIER, 20 steps, 8 images, w = 3) and reads the times the page records. Optionally
// saves a screenshot of the finished page, and compares the page's PNG grid with one the
// CLI wrote for the same settings. Needs `npm run build` (it reuses the built end-to-end
// helpers in dist/test/helpers/).
//   node scripts/web-timing.mjs [--runs N] [--threads N] [--screenshot FILE] [--compare-with CLI.png]
/* global document, performance -- inside page.evaluate, run by the browser */
import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { launchChromium, startWebServer } from '../dist/test/helpers/browser.js';
import { pngDifference } from '../dist/test/helpers/pixels.js';

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
        const d = pngDifference(
          await readFile(await download.path()),
          await readFile(values['compare-with']),
        );
        if (Number.isNaN(d.maxDiff))
          throw new Error(`grid sizes differ: ${JSON.stringify(d.sizes)}`);
        console.log(
          `page grid vs ${values['compare-with']}: ${d.sizes[0].join('×')} px, ` +
            `max |Δ| = ${d.maxDiff}/255, ${d.differing} of ${d.values} RGBA values differ`,
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
