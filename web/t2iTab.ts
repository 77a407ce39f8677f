/**
 * The text-to-image tab: the library's pipeline (pipelines/textToImage.ts) on the embedded
 * model, one grid row per method with the same seeds, the gap and drift per step plotted
 * live, progress, cancel, and the grid and settings as downloads.
 */
import type { GapStep } from '../src/monitors/gapMonitor.js';
import { InvalidOptionError } from '../src/core/errors.js';
import { defaultScale, gridPixels } from '../src/image/grid.js';
import type { TextToImageModel } from '../src/models/load.js';
import { resolveMethod } from '../src/methods/registry.js';
import { parseInteger, parseNumber } from '../src/cli/parse.js';
import {
  planRun,
  runsJson,
  settingsRecord,
  SUMMARY_HEAD,
  summaryRow,
} from '../src/pipelines/run.js';
import {
  checkPrompt,
  encodePrompt,
  textToImage,
  type TextToImageResult,
} from '../src/pipelines/textToImage.js';
import { lineChart, type Series } from '../src/plot/charts.js';
import { renderSvg } from '../src/plot/render.js';
import { checkSeed } from '../src/core/random.js';
import { byId, download, errorText, fillTable, inputValue, setState } from './dom.js';
import { methodPicker } from './methodPicker.js';

/** Everything a run needs, checked before any work (the CLI's limits for n and steps). */
export function readSettings(picker: ReturnType<typeof methodPicker>) {
  const prompt = inputValue('prompt');
  checkPrompt(prompt);
  const range = byId<HTMLInputElement>('w-range');
  const w = parseNumber(inputValue('w'), 'w');
  // The slider's range is the page's range for w.
  if (w < Number(range.min) || w > Number(range.max)) {
    throw new InvalidOptionError(`w must be between ${range.min} and ${range.max}, got ${w}`);
  }
  const nfeText = inputValue('nfe').trim();
  const nfe = nfeText === '' ? undefined : parseInteger(nfeText, 'NFE', 1, 1_000_000);
  const steps =
    nfe === undefined ? parseInteger(inputValue('steps'), 'steps', 1, 100_000) : undefined;
  const n = parseInteger(inputValue('n'), 'batch size', 1, 4096);
  const seed = checkSeed(parseInteger(inputValue('seed'), 'seed', 0, 0xffffffff));
  const methods = picker.choices();
  if (methods.length === 0) throw new InvalidOptionError('pick at least one method');
  methods.forEach((m) => resolveMethod(m));
  return { prompt, w, steps, nfe, n, seed, sampler: 'ddim', methods };
}

export type Settings = ReturnType<typeof readSettings>;

const PLOT_INTERVAL_MS = 1000;

function drawGrid(runs: readonly TextToImageResult[]): void {
  const pixels = gridPixels(
    runs.map((r) => r.images),
    { scale: defaultScale(runs[0].images.shape[2]) },
  );
  const canvas = byId<HTMLCanvasElement>('grid');
  canvas.width = pixels.width;
  canvas.height = pixels.height;
  const data = new Uint8ClampedArray(pixels.data);
  canvas.getContext('2d')!.putImageData(new ImageData(data, pixels.width, pixels.height), 0, 0);
  const rowHeight = pixels.height / runs.length;
  byId('row-labels').replaceChildren(
    ...runs.map((r) => {
      const label = document.createElement('span');
      label.textContent = r.method;
      label.style.height = `${rowHeight}px`;
      return label;
    }),
  );
}

/**
 * Re-render the two per-step plots, one render at a time with the latest data, and at
 * most every PLOT_INTERVAL_MS: a Vega render costs as much as several sampling steps of
 * the embedded model, and both share the page's thread.
 */
function livePlots() {
  const gap = new Map<string, GapStep[]>();
  let pending = false;
  let rendering: Promise<void> = Promise.resolve();
  const series = (field: 'training' | 'drift'): Series[] =>
    [...gap].map(([name, steps]) => ({
      name,
      points: steps.filter((s) => Number.isFinite(s[field])).map((s) => ({ x: s.i, y: s[field] })),
    }));
  const render = async () => {
    pending = false;
    const chart = (field: 'training' | 'drift', title: string, yLabel: string) =>
      renderSvg(
        lineChart({
          title,
          xLabel: 'step',
          yLabel,
          series: series(field),
          width: 320,
          height: 200,
        }),
      );
    byId('gap-plot').innerHTML = await chart(
      'training',
      'training–inference gap per step (network’s training loss on the iterate)',
      'g_t (mean over samples)',
    );
    byId('drift-plot').innerHTML = await chart('drift', 'ε-drift per step', 'mean max(0, r_t − 1)');
  };
  return {
    reset(): void {
      gap.clear();
    },
    add(method: string, step: GapStep): void {
      gap.set(method, [...(gap.get(method) ?? []), step]);
      if (!pending) {
        pending = true;
        rendering = rendering
          .then(() => new Promise((r) => setTimeout(r, PLOT_INTERVAL_MS)))
          .then(render);
      }
    },
    settled: () => rendering,
  };
}

function settingsJson(s: Settings, backend: string, runs: readonly TextToImageResult[]) {
  return {
    prompt: s.prompt,
    layout: 'rows = methods (in order), columns = samples 0 … n−1',
    backend,
    settings: settingsRecord(s),
    runs: runsJson(runs),
  };
}

export function setUpT2iTab(model: TextToImageModel, backend: string): void {
  const picker = methodPicker(byId('t2i-methods'), 't2i', ['cfg', 'diffier']);
  const range = byId<HTMLInputElement>('w-range');
  const wInput = byId<HTMLInputElement>('w');
  const sync = (v: string) => {
    byId('w-value').textContent = v;
  };
  range.addEventListener('input', () => {
    wInput.value = range.value;
    sync(range.value);
  });
  wInput.addEventListener('input', () => {
    range.value = wInput.value;
    sync(wInput.value);
  });
  const plots = livePlots();
  const progress = byId<HTMLProgressElement>('progress');
  const message = byId('message');
  const error = byId('error');
  const generate = byId<HTMLButtonElement>('generate');
  const cancel = byId<HTMLButtonElement>('cancel');
  const pngButton = byId<HTMLButtonElement>('download-png');
  const jsonButton = byId<HTMLButtonElement>('download-json');
  let controller: AbortController | undefined;
  let last: { settings: Settings; runs: TextToImageResult[] } | undefined;

  cancel.addEventListener('click', () => controller?.abort());
  pngButton.addEventListener('click', () =>
    byId<HTMLCanvasElement>('grid').toBlob((b) => b && download(b, 'grid.png'), 'image/png'),
  );
  jsonButton.addEventListener('click', () => {
    if (!last) return;
    const text = JSON.stringify(settingsJson(last.settings, backend, last.runs), null, 2);
    download(new Blob([text], { type: 'application/json' }), 'grid.json');
  });

  byId('t2i-form').addEventListener('submit', (event) => {
    event.preventDefault();
    void (async () => {
      error.textContent = '';
      let s: Settings;
      try {
        s = readSettings(picker);
      } catch (err) {
        error.textContent = errorText(err);
        setState('error');
        return;
      }
      controller = new AbortController();
      generate.disabled = true;
      cancel.disabled = false;
      setState('running');
      plots.reset();
      const runs: TextToImageResult[] = [];
      try {
        const warn = (m: string) => (message.textContent = `warning: ${m}`);
        const plans = [];
        for (const method of s.methods)
          plans.push({ method, steps: (await planRun(model.schedule, { ...s, method })).steps });
        const embeddings = await encodePrompt(model, s.prompt, warn);
        progress.max = plans.reduce((a, p) => a + p.steps, 0);
        progress.value = 0;
        for (const { method, steps } of plans) {
          message.textContent = `${method.name}: ${steps} steps…`;
          const result = await textToImage(model, {
            ...s,
            method,
            steps,
            nfe: undefined,
            embeddings,
            signal: controller.signal,
            onStep: () => (progress.value += 1),
            onGap: (g) => plots.add(method.name, g),
            warn,
          });
          runs.push(result);
          drawGrid(runs);
          if (document.body.dataset.firstImageMs === undefined) {
            document.body.dataset.firstImageMs = String(Math.round(performance.now()));
          }
        }
        await plots.settled();
        last = { settings: s, runs };
        fillTable(byId<HTMLTableElement>('t2i-table'), SUMMARY_HEAD, runs.map(summaryRow));
        message.textContent = `done: ${runs.length} method(s) × ${s.n} image(s)`;
        pngButton.disabled = jsonButton.disabled = false;
        setState('done');
      } catch (err) {
        error.textContent = controller.signal.aborted ? 'cancelled' : errorText(err);
        setState('error');
      } finally {
        generate.disabled = false;
        cancel.disabled = true;
      }
    })();
  });
}
