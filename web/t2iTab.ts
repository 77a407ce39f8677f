/**
 * The text-to-image tab: the library's pipeline (pipelines/textToImage.ts) on the embedded
 * model, one labelled grid row per method with the same seeds, each image downloadable with
 * the settings that made it, the gap and drift per step plotted live, progress, cancel,
 * and the grid and settings as downloads. Bad input clears the previous results.
 */
import { InvalidOptionError } from '../src/core/errors.js';
import { gridPixels } from '../src/image/grid.js';
import type { TextToImageModel } from '../src/models/load.js';
import { editImageShape } from '../src/pipelines/imageEdit.js';
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
import { checkSeed } from '../src/core/random.js';
import { byId, download, errorText, fillTable, inputValue, linkSlider, setState } from './dom.js';
import { imageGrid, pngBlob, type Recipe } from './imageGrid.js';
import { livePlots } from './livePlots.js';
import { editInputs, type EditInputs } from './editInputs.js';
import { methodPicker, type MethodPicker } from './methodPicker.js';

/** Everything a run needs, checked before any work (the CLI's limits for n and steps). */
export function readSettings(picker: MethodPicker, edits: EditInputs) {
  const prompt = inputValue('prompt');
  checkPrompt(prompt);
  const negativePrompt = inputValue('negative-prompt');
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
  const edit = edits.read();
  return { prompt, negativePrompt, w, steps, nfe, n, seed, sampler: 'ddim', methods, edit };
}

export type Settings = ReturnType<typeof readSettings>;

function settingsJson(
  s: Settings,
  model: string,
  backend: string,
  runs: readonly TextToImageResult[],
) {
  return {
    prompt: s.prompt,
    negativePrompt: s.negativePrompt,
    image: Object.fromEntries(s.edit.recipe),
    model,
    layout: 'rows = methods (in order), columns = samples 0 … n−1',
    backend,
    settings: settingsRecord(s),
    runs: runsJson(runs),
  };
}

/** "key=value, …" of a method's options, or "defaults" when it has none. */
function optionsText(options: Readonly<Record<string, unknown>>): string {
  const parts = Object.entries(options).map(([k, v]) => `${k}=${String(v)}`);
  return parts.length === 0 ? 'none' : parts.join(', ');
}

/** What made image `index` of a run: enough to make it again here or with the CLI. */
function recipe(s: Settings, model: string, run: TextToImageResult, index: number): Recipe {
  return [
    ['prompt', s.prompt],
    ['negative prompt', s.negativePrompt === '' ? '(none)' : s.negativePrompt],
    ['method', run.method],
    ['options', optionsText(run.options)],
    ['w', String(run.w)],
    ['steps', `${run.steps} · NFE ${run.nfe}`],
    ['sampler', run.sampler],
    ['seed', `${run.seed}, image ${index}`],
    ...s.edit.recipe,
    ...(run.edit
      ? ([
          ['edit', `${run.edit.mode}: the last ${run.edit.sampledSteps} of ${run.steps} steps run`],
        ] as const)
      : []),
    ['model', model],
  ];
}

export function setUpT2iTab(model: TextToImageModel, modelName: string, backend: string): void {
  const picker = methodPicker(byId('t2i-methods'), 't2i', ['cfg', 'diffier']);
  linkSlider('w-range', 'w');
  const plots = livePlots();
  const grid = imageGrid(byId('t2i-results'), byId('inspector'));
  const table = byId<HTMLTableElement>('t2i-table');
  const progress = byId<HTMLProgressElement>('progress');
  const message = byId('message');
  const error = byId('error');
  const generate = byId<HTMLButtonElement>('generate');
  const cancel = byId<HTMLButtonElement>('cancel');
  const pngButton = byId<HTMLButtonElement>('download-png');
  const jsonButton = byId<HTMLButtonElement>('download-json');
  let controller: AbortController | undefined;
  let last: { settings: Settings; runs: TextToImageResult[] } | undefined;

  /** Nothing of an earlier run stays on the page: grid, settings, plots, table, status. */
  const clearResults = () => {
    last = undefined;
    grid.clear();
    plots.clear();
    table.replaceChildren();
    message.textContent = error.textContent = '';
    progress.value = 0;
    pngButton.disabled = jsonButton.disabled = true;
  };
  // A refused upload is bad input like any other: one line, and the earlier results go.
  const edits = editInputs(editImageShape(model), (m) => {
    clearResults();
    error.textContent = m;
    setState('error');
  });
  // The image inputs stay as they are while a run uses them.
  const editFields = byId<HTMLFieldSetElement>('edit-inputs');

  cancel.addEventListener('click', () => controller?.abort());
  pngButton.addEventListener('click', () => {
    if (!last) return;
    download(pngBlob(gridPixels(last.runs.map((r) => r.images))), 'grid.png');
  });
  jsonButton.addEventListener('click', () => {
    if (!last) return;
    const text = JSON.stringify(
      settingsJson(last.settings, modelName, backend, last.runs),
      null,
      2,
    );
    download(new Blob([text], { type: 'application/json' }), 'grid.json');
  });

  byId('t2i-form').addEventListener('submit', (event) => {
    event.preventDefault();
    void (async () => {
      clearResults();
      let s: Settings;
      try {
        s = readSettings(picker, edits);
      } catch (err) {
        error.textContent = errorText(err);
        setState('error');
        return;
      }
      controller = new AbortController();
      generate.disabled = true;
      cancel.disabled = false;
      const editable = !editFields.disabled;
      editFields.disabled = true;
      setState('running');
      const runs: TextToImageResult[] = [];
      try {
        const warn = (m: string) => (message.textContent = `warning: ${m}`);
        const { methods, edit, ...sampling } = s;
        const { initImage, strength, mask } = edit;
        const plans = [];
        for (const method of methods)
          plans.push(await planRun(model.schedule, { ...sampling, method, strength }));
        const embeddings = await encodePrompt(model, s.prompt, warn, s.negativePrompt);
        progress.max = plans.reduce((a, p) => a + p.levels.length - 1, 0);
        grid.reset(
          s.n,
          `“${s.prompt}” — rows: methods; columns: images 0 … ${s.n - 1} (seed ${s.seed})`,
        );
        for (const plan of plans) {
          message.textContent = `${plan.resolved.spec.name}: ${plan.levels.length - 1} steps…`;
          const result = await textToImage(model, {
            ...sampling,
            plan,
            initImage,
            strength,
            mask,
            embeddings,
            signal: controller.signal,
            onStep: () => (progress.value += 1),
            onGap: (g) => plots.add(plan.resolved.spec.name, g),
            warn,
          });
          runs.push(result);
          grid.addRow({
            method: result.method,
            w: result.w,
            detail: `${result.steps} steps · ${result.sampler}`,
            images: result.images,
            recipe: (i) => recipe(s, modelName, result, i),
          });
          if (document.body.dataset.firstImageMs === undefined) {
            document.body.dataset.firstImageMs = String(Math.round(performance.now()));
          }
        }
        await plots.settled();
        last = { settings: s, runs };
        fillTable(table, SUMMARY_HEAD, runs.map(summaryRow));
        message.textContent = `done: ${runs.length} method(s) × ${s.n} image(s)`;
        pngButton.disabled = jsonButton.disabled = false;
        setState('done');
      } catch (err) {
        error.textContent = controller.signal.aborted ? 'cancelled' : errorText(err);
        setState('error');
      } finally {
        generate.disabled = false;
        cancel.disabled = true;
        editFields.disabled = !editable;
      }
    })();
  });
}
