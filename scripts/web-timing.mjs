// Page load to first image in headless Chromium: starts `diffier web`, opens the page in a
// fresh browser each run (cold cache), clicks Generate with the page's defaults (CFG and
// DiffIER, 20 steps, 4 images, w = 3) and reads the times the page records. Optionally
// saves a screenshot of the finished page. Needs `npm run build` (it reuses the built
// end-to-end helpers in dist/test/helpers/browser.js).
//   node scripts/web-timing.mjs [--runs N] [--screenshot FILE]
/* global document, performance -- inside page.evaluate, run by the browser */
import { parseArgs } from 'node:util';
import { launchChromium, startWebServer } from '../dist/test/helpers/browser.js';

const { values } = parseArgs({
  options: { runs: { type: 'string', default: '3' }, screenshot: { type: 'string' } },
});
const runs = Number(values.runs);
const server = await startWebServer();
try {
  for (let r = 0; r < runs; r++) {
    const chrome = await launchChromium();
    try {
      const page = await chrome.context.newPage();
      await page.setViewportSize({ width: 1280, height: 900 });
      await page.goto(server.url);
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
