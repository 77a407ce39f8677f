/**
 * What the commands print: the table format (fixed decimals per column, — for what does
 * not apply, two-line headers, 100 columns), --version / --quiet / --verbose, the list of
 * files written, one spelling per flag (old ones hidden but accepted), `diffier methods`,
 * and sweep's correlation rule.
 */
import { describe, it, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fixed, integer, renderTable, TABLE_WIDTH, text, wrap } from '../src/cli/table.js';
import { METHODS } from '../src/methods/registry.js';
import { optionFlag } from '../src/options/schema.js';
import { cli } from './helpers/cli.js';
import { TWO_CLASS_2D_JSON } from './helpers/mixtures.js';

const TMP = mkdtempSync(join(tmpdir(), 'diffier-output-'));
after(() => rmSync(TMP, { recursive: true, force: true }));
const PROBLEM = join(TMP, 'problem.json');
writeFileSync(PROBLEM, JSON.stringify(TWO_CLASS_2D_JSON));

describe('tables', () => {
  const columns = [text('method'), fixed('w', 2), integer('NFE'), fixed('guided\nenergy', 4)];

  it('one number format per column, — for what does not apply, headers over two lines', () => {
    const t = renderTable(columns, [
      ['cfg', 1.5, 20, 0.000627],
      ['diffier', 1, 38.4, NaN],
      ['exact', 3, null, undefined],
    ]).split('\n');
    assert.deepEqual(t, [
      '                    guided',
      'method      w  NFE  energy',
      '-------  ----  ---  ------',
      'cfg      1.50   20  0.0006',
      'diffier  1.00   38       —',
      'exact    3.00    —       —',
    ]);
  });

  it('a row of the wrong length is a programming error', () => {
    assert.throws(() => renderTable(columns, [['cfg', 1]]), /2 cells for 4 columns/);
  });

  it('long text is cut to its column, notes are wrapped to the width', () => {
    const t = renderTable([text('method', 6)], [['characteristic']], {
      notes: ['word '.repeat(40)],
    });
    assert.match(t, /^chara…$/m);
    for (const line of t.split('\n')) assert.ok(line.length <= TABLE_WIDTH, line);
    assert.deepEqual(wrap('aaa bbb ccc', 7), ['aaa bbb', 'ccc']);
  });
});

describe('every command', () => {
  const gmm = ['bench', 'gmm', '--problem', PROBLEM, '--w', '1,3', '--steps', '4', '--n', '50'];

  it('--version prints the version of package.json', async () => {
    const pkg = JSON.parse(readFileSync(join(import.meta.dirname, '../../package.json'), 'utf8'));
    const r = await cli(['--version']);
    assert.equal(r.stdout.trim(), pkg.version);
  });

  it('ends by listing the files it wrote; --quiet prints only that list', async () => {
    const json = join(TMP, 'gmm.json');
    const loud = await cli([...gmm, '--json', json]);
    assert.equal(loud.code, 0, loud.stderr);
    assert.match(loud.stdout, /energy/);
    assert.ok(loud.stdout.endsWith(`wrote 1 file:\n  ${json}\n`), loud.stdout);
    const quiet = await cli([...gmm, '--json', json, '--quiet']);
    assert.equal(quiet.stdout, `wrote 1 file:\n  ${json}\n`);
    assert.equal(quiet.stderr, '');
    const none = await cli([...gmm, '--quiet']);
    assert.equal(none.stdout, 'wrote no files\n');
  });

  it('--verbose prints per-step progress on stderr, even when it is not a terminal', async () => {
    const r = await cli([...gmm, '--verbose']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /bench gmm 2\/2 .* it\/s/);
    assert.equal((await cli(gmm)).stderr, '', 'no bar when stderr is not a terminal');
  });

  it('--quiet and --verbose together are refused', async () => {
    const r = await cli([...gmm, '--quiet', '--verbose']);
    assert.equal(r.code, 2);
  });

  it('one spelling per flag: --method and --n; the old spellings stay, hidden', async () => {
    const help = (await cli(['bench', 'gmm', '--help'])).stdout;
    assert.match(help, /--method <names>/);
    assert.match(help, /--n <n>/);
    for (const old of ['--methods', '--compare', '--samples <n>'])
      assert.equal(help.includes(old), false, `${old} is hidden`);
    assert.equal((await cli([...gmm.slice(0, 4), '--methods', 'cfg', '--steps', '2'])).code, 0);
    const both = await cli([...gmm, '--method', 'cfg', '--compare', 'apg']);
    assert.equal(both.code, 2);
    assert.match(both.stderr, /cannot be used with/);
  });
});

describe('diffier methods', () => {
  it('lists every method and the flag of every option (bench gmm --help points here)', async () => {
    const r = await cli(['methods']);
    assert.equal(r.code, 0, r.stderr);
    for (const m of METHODS) {
      assert.match(r.stdout, new RegExp(`^${m.name}: `, 'm'));
      for (const o of m.options) assert.ok(r.stdout.includes(optionFlag(m.name, o.key)));
    }
    assert.match((await cli(['bench', 'gmm', '--help'])).stdout, /diffier methods/);
  });

  it('an unknown name is a typed error', async () => {
    const r = await cli(['methods', 'nope']);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /unknown method "nope"/);
  });
});

describe('diffier sweep', () => {
  const sweep = (ws: string) =>
    cli(['sweep', '--problem', PROBLEM, '--method', 'cfg', '--w', ws, '--steps', '4', '--n', '60']);

  it('with 4 points: no correlations, and it says why', async () => {
    const r = await sweep('1,2,3,5');
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /not shown, they rest on 4 points \(shown only with at least 5/);
    assert.match(r.stdout, /recommended w: \S+, by the rule: the largest swept w/);
  });

  it('with 5 points: the correlation table, its number of points in the title', async () => {
    const r = await sweep('1,1.5,2,3,5');
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /Spearman rank correlation over w \(5 points each/);
    assert.match(r.stdout, /^training gap /m);
  });
});
