/**
 * cfg-schedule, fdg and characteristic through the CLI: named methods with their options as
 * flags, echoed in the JSON, planned at matched NFE.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';

import { packageRoot } from '../src/models/embedded.js';
import { assertFits } from './helpers/cli.js';
import { TWO_CLASS_2D_JSON } from './helpers/mixtures.js';

const ROOT = packageRoot();
const CLI = join(ROOT, 'dist', 'src', 'cli', 'main.js');
const TMP = mkdtempSync(join(tmpdir(), 'diffier-peers-'));
after(() => rmSync(TMP, { recursive: true, force: true }));

function diffier(...args: string[]) {
  const r = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', cwd: ROOT });
  if (r.status === 0) assertFits(r.stdout, `diffier ${args.slice(0, 2).join(' ')}`);
  return { code: r.status, out: r.stdout, err: r.stderr };
}

const PROBLEM = { ...TWO_CLASS_2D_JSON, name: 'peers-cli-2d' };

const FLAGS = [
  '--cfg-schedule-shape',
  'cosine',
  '--fdg-w-low',
  '2',
  '--fdg-w-high',
  '6',
  '--characteristic-max-iter',
  '2',
  '--characteristic-tol',
  '1e-4',
];

describe('the peers in the CLI', () => {
  it('bench gmm: options from flags, every method within the NFE budget', () => {
    const problem = join(TMP, 'problem.json');
    writeFileSync(problem, JSON.stringify(PROBLEM));
    const json = join(TMP, 'gmm.json');
    const r = diffier(
      'bench',
      'gmm',
      '--problem',
      problem,
      '--methods',
      'cfg,cfg-schedule,fdg,characteristic',
      '--w',
      '3',
      '--nfe',
      '24',
      '--samples',
      '100',
      '--json',
      json,
      '--no-progress',
      ...FLAGS,
    );
    assert.equal(r.code, 0, r.err);
    const runs = JSON.parse(readFileSync(json, 'utf8')).runs as {
      method: string;
      options: Record<string, unknown>;
      steps: number;
      nfe: number;
    }[];
    const by = Object.fromEntries(runs.map((run) => [run.method, run]));
    assert.equal(by['cfg-schedule'].options.shape, 'cosine');
    assert.equal(by.fdg.options.wLow, 2);
    assert.equal(by.fdg.options.wHigh, 6);
    assert.equal(by.characteristic.options.maxIter, 2);
    assert.equal(by.characteristic.options.tol, 1e-4);
    for (const run of runs) assert.ok(run.nfe <= 24, `${run.method}: ${run.nfe}`);
    assert.equal(by.fdg.steps, 12);
    assert.equal(by.characteristic.steps, 3); // worst case 2 + 3·2 = 8 per step
  });

  it('generate --compare on the embedded model', () => {
    const out = join(TMP, 'grid.png');
    const r = diffier(
      'generate',
      'a seven',
      '--compare',
      'cfg-schedule,fdg,characteristic',
      '--n',
      '1',
      '--steps',
      '4',
      '--out',
      out,
      '--no-progress',
      ...FLAGS,
    );
    assert.equal(r.code, 0, r.err);
    const side = JSON.parse(readFileSync(join(TMP, 'grid.json'), 'utf8'));
    assert.deepEqual(
      side.runs.map((run: { method: string }) => run.method),
      ['cfg-schedule', 'fdg', 'characteristic'],
    );
  });

  it('an invalid option is one line and exit 2', () => {
    const r = diffier(
      'generate',
      'a seven',
      '--method',
      'cfg-schedule',
      '--cfg-schedule-shape',
      'square',
      '--out',
      join(TMP, 'bad.png'),
    );
    assert.equal(r.code, 2);
    assert.match(r.err, /cfg-schedule-shape/);
  });
});
