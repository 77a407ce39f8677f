/**
 * The mixture-benchmark tab: the library's benchmark (bench/gmmBench.ts) on a 2-D problem,
 * one method at a time so each panel appears when it is done, drawn over the true
 * conditional density by the same chart the CLI writes (bench/gmmPlots.ts).
 */
import { runGmmBench, type GmmBenchResult, type RunRow } from '../src/bench/gmmBench.js';
import { scatterPlot } from '../src/bench/gmmPlots.js';
import { loadProblem, type Problem } from '../src/denoisers/problem.js';
import { parseInteger, parseNumber } from '../src/cli/parse.js';
import { trueMixtures } from '../src/denoisers/gaussianMixture.js';
import { InvalidOptionError } from '../src/core/errors.js';
import { pathKind } from '../src/io/filesWeb.js';
import { byId, errorText, fillTable, inputValue, setState } from './dom.js';
import { methodPicker } from './methodPicker.js';

/** The served problems (bench/problems and its subfolders) with two dimensions. */
async function planarProblems(): Promise<Problem[]> {
  const files: string[] = [];
  const walk = async (dir: string): Promise<void> => {
    const res = await fetch(dir);
    for (const name of (await res.json()) as string[]) {
      if (name.endsWith('.json')) files.push(`${dir}${name}`);
      else if ((await pathKind(`${dir}${name}`)) === 'dir') await walk(`${dir}${name}/`);
    }
  };
  await walk('/bench/problems/');
  const problems = await Promise.all(files.map((f) => loadProblem(f)));
  return problems.filter((p) => p.dim === 2);
}

export async function setUpBenchTab(): Promise<void> {
  const picker = methodPicker(byId('bench-methods'), 'bench', ['cfg', 'diffier', 'apg']);
  const problems = await planarProblems();
  const select = byId<HTMLSelectElement>('problem');
  select.replaceChildren(
    ...problems.map((p) => {
      const o = document.createElement('option');
      o.value = p.name;
      o.textContent = p.name;
      o.title = p.description ?? '';
      return o;
    }),
  );
  const progress = byId<HTMLProgressElement>('bench-progress');
  const message = byId('bench-message');
  const error = byId('bench-error');
  const run = byId<HTMLButtonElement>('bench-run');
  const plot = byId('bench-plot');
  const table = byId<HTMLTableElement>('bench-table');
  const placeholder = [...plot.childNodes];
  /** Nothing of an earlier run stays on the page once a new one is asked for. */
  const clearResults = () => {
    plot.replaceChildren(...placeholder);
    table.replaceChildren();
    message.textContent = error.textContent = '';
    progress.value = 0;
  };

  byId('bench-form').addEventListener('submit', (event) => {
    event.preventDefault();
    void (async () => {
      clearResults();
      run.disabled = true;
      setState('running');
      try {
        const problem = problems.find((p) => p.name === select.value);
        if (!problem) throw new InvalidOptionError('pick a problem');
        const methods = picker.choices();
        if (methods.length === 0) throw new InvalidOptionError('pick at least one method');
        const opts = {
          problem,
          ws: [parseNumber(inputValue('bench-w'), 'w')],
          steps: parseInteger(inputValue('bench-steps'), 'steps', 1, 100_000),
          samples: parseInteger(inputValue('bench-samples'), 'samples', 10, 100_000),
          seed: parseInteger(inputValue('bench-seed'), 'seed', 0, 0xffffffff),
          keepSamples: true,
        };
        const truth = trueMixtures(problem).cond;
        const runs: RunRow[] = [];
        let result: GmmBenchResult | undefined;
        progress.max = methods.length;
        progress.value = 0;
        for (const method of methods) {
          message.textContent = `${method.name}…`;
          result = await runGmmBench({ ...opts, methods: [method] });
          runs.push(...result.runs);
          const svg = await scatterPlot({ ...result, runs }, truth);
          plot.innerHTML = svg ?? '';
          progress.value += 1;
        }
        fillTable(
          table,
          [
            'method',
            'w',
            'steps',
            'energy distance',
            'adherence',
            'mode coverage',
            'gap A',
            'drift A_r',
          ],
          runs.map((r) => [
            r.method,
            r.w,
            r.steps,
            r.metrics.energy,
            r.metrics.adherence,
            r.metrics.coverage,
            r.metrics.gap,
            r.metrics.driftGap,
          ]),
        );
        message.textContent = `done: ${runs.length} method(s) on ${problem.name}`;
        setState('done');
      } catch (err) {
        error.textContent = errorText(err);
        setState('error');
      } finally {
        run.disabled = false;
      }
    })();
  });
}
