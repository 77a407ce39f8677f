import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';

import { packageRoot } from '../src/models/embedded.js';
import { assertFits, cliInProcess } from './helpers/cli.js';

const ROOT = packageRoot();
const CLI = join(ROOT, 'dist', 'src', 'cli', 'main.js');
const TMP = mkdtempSync(join(tmpdir(), 'diffier-bench-'));
after(() => rmSync(TMP, { recursive: true, force: true }));

function diffier(...args: string[]) {
  const r = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', cwd: ROOT });
  if (r.status === 0) assertFits(r.stdout, `diffier ${args.slice(0, 2).join(' ')}`);
  return { code: r.status, out: r.stdout, err: r.stderr };
}

/** The same command line in this process (bad-input cases: exit code and error line). */
async function diffierInProcess(...args: string[]) {
  const r = await cliInProcess(args);
  return { code: r.code, out: r.stdout, err: r.stderr };
}

const GOOD = {
  name: 'cli-2d',
  dim: 2,
  target: 0,
  classes: [
    {
      name: 'a',
      components: [
        { mean: [-2, 0], std: 0.5 },
        { mean: [2, 0], std: 0.5 },
      ],
    },
    { name: 'b', components: [{ mean: [2, 2.5], std: 0.5 }] },
  ],
  model: { kind: 'inflated', cond: 1.1, uncond: 1.2 },
};

function problemFile(name: string, content: unknown): string {
  const path = join(TMP, name);
  writeFileSync(path, typeof content === 'string' ? content : JSON.stringify(content));
  return path;
}

describe('diffier bench gmm', () => {
  it('writes the contract JSON, samples and plots', () => {
    const json = join(TMP, 'out', 'run.json');
    const samples = join(TMP, 'out', 'samples.json');
    const plots = join(TMP, 'out', 'plots');
    const r = diffier(
      'bench',
      'gmm',
      '--problem',
      problemFile('good.json', GOOD),
      '--methods',
      'cfg,diffier,pcg',
      '--w',
      '1,3',
      '--steps',
      '8',
      '--samples',
      '200',
      '--json',
      json,
      '--samples-out',
      samples,
      '--plots',
      plots,
      '--no-progress',
    );
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /physical floor/i);
    const out = JSON.parse(readFileSync(json, 'utf8'));
    assert.equal(out.problem, 'cli-2d');
    assert.equal(out.runs.length, 6);
    for (const run of out.runs) {
      for (const k of ['method', 'options', 'w', 'steps', 'nfe', 'metrics']) assert.ok(k in run, k);
      for (const k of [
        'energy',
        'precision',
        'recall',
        'adherence',
        'nll',
        'coverage',
        'guidedEnergy',
        'gap',
        'driftGap',
        'trueGap',
        'evals',
      ]) {
        assert.equal(typeof run.metrics[k], 'number', `${run.method} ${k}`);
      }
    }
    const pcg = out.runs.find(
      (x: { method: string; w: number }) => x.method === 'pcg' && x.w === 3,
    );
    assert.equal(pcg.options.k, 1);
    assert.equal(pcg.metrics.evals, pcg.nfe * 200);
    const s = JSON.parse(readFileSync(samples, 'utf8'));
    assert.equal(s.runs[0].samples.length, 200);
    assert.equal(s.runs[0].samples[0].length, 2);
    for (const f of ['samples.svg', 'energy-vs-w.svg', 'pareto.svg', 'gap-per-step-cfg.svg'])
      assert.ok(existsSync(join(plots, f)), f);
  });

  it('same seed, same numbers', () => {
    const args = [
      'bench',
      'gmm',
      '--problem',
      problemFile('good.json', GOOD),
      '--methods',
      'cfg,diffier',
      '--w',
      '3',
      '--steps',
      '6',
      '--samples',
      '100',
      '--no-progress',
    ];
    const a = diffier(...args);
    const b = diffier(...args);
    assert.equal(a.code, 0, a.err);
    assert.equal(a.out.replace(/\(\d+\.\d s\)/, ''), b.out.replace(/\(\d+\.\d s\)/, ''));
  });

  it('--nfe gives each method the most steps within the budget', () => {
    const json = join(TMP, 'nfe.json');
    const r = diffier(
      'bench',
      'gmm',
      '--problem',
      problemFile('good.json', GOOD),
      '--methods',
      'cfg,pcg,zsampling',
      '--w',
      '3',
      '--nfe',
      '30',
      '--samples',
      '50',
      '--json',
      json,
      '--no-progress',
    );
    assert.equal(r.code, 0, r.err);
    const runs = JSON.parse(readFileSync(json, 'utf8')).runs;
    for (const run of runs) assert.ok(run.nfe <= 30 && run.nfe >= 25, `${run.method}: ${run.nfe}`);
  });

  const bad: [string, string[], RegExp][] = [
    ['malformed JSON', ['--problem', problemFile('bad1.json', '{ "name": ')], /bad1\.json/],
    [
      'wrong dimension',
      ['--problem', problemFile('bad2.json', { ...GOOD, dim: 3 })],
      /mean has 2 values/,
    ],
    [
      'negative std',
      [
        '--problem',
        problemFile('bad3.json', {
          ...GOOD,
          classes: [{ name: 'a', components: [{ mean: [0, 0], std: -1 }] }],
        }),
      ],
      /std/,
    ],
    ['missing file', ['--problem', join(TMP, 'nope.json')], /nope\.json/],
    ['unknown method', ['--methods', 'cfg,magic'], /magic/],
    [
      'unknown option value',
      ['--methods', 'diffier', '--diffier-base', 'sometimes'],
      /diffier-base/,
    ],
    ['steps < 1', ['--steps', '0'], /--steps/],
    ['non-finite w', ['--w', '1,inf'], /--w/],
    ['bad sampler', ['--sampler', 'heun9'], /heun9/],
  ];
  for (const [name, args, message] of bad) {
    it(`bad input: ${name} → clear error, exit 2, nothing written`, async () => {
      const json = join(TMP, `never-${name.replace(/\W/g, '')}.json`);
      const withProblem = args.includes('--problem')
        ? args
        : ['--problem', problemFile('good.json', GOOD), ...args];
      const r = await diffierInProcess(
        'bench',
        'gmm',
        ...withProblem,
        '--samples',
        '50',
        '--steps',
        args.includes('--steps') ? args[args.indexOf('--steps') + 1] : '4',
        '--json',
        json,
        '--no-progress',
      );
      assert.equal(r.code, 2, r.err);
      assert.match(r.err, message);
      assert.ok(!existsSync(json));
    });
  }

  it('an unwritable output path fails before any work', () => {
    const blocker = join(TMP, 'a-file');
    writeFileSync(blocker, 'x');
    const r = diffier(
      'bench',
      'gmm',
      '--problem',
      problemFile('good.json', GOOD),
      '--json',
      join(blocker, 'out.json'),
      '--samples',
      '50',
      '--no-progress',
    );
    assert.equal(r.code, 2);
    assert.match(r.err, /OUTPUT_UNWRITABLE/);
  });
});

describe('diffier sweep', () => {
  it('writes runs, correlations and a recommended w', () => {
    const json = join(TMP, 'sweep.json');
    const r = diffier(
      'sweep',
      '--problem',
      problemFile('good.json', GOOD),
      '--method',
      'cfg',
      '--w',
      '1,2,3,5',
      '--steps',
      '10',
      '--samples',
      '200',
      '--json',
      json,
      '--no-progress',
    );
    assert.equal(r.code, 0, r.err);
    const out = JSON.parse(readFileSync(json, 'utf8'));
    assert.equal(out.runs.length, 4);
    assert.equal(typeof out.recommendedW, 'number');
    assert.ok([1, 2, 3, 5].includes(out.recommendedW));
    assert.ok('driftGap:energy' in out.correlation);
    assert.match(r.out, /recommended w/);
  });
});
