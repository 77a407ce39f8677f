/**
 * The one option schema, the one budget check and the in-process command line: flag names
 * derived from the schema, the old spellings still accepted, budgets checked in one place.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, it } from 'node:test';
import { InvalidOptionError } from '../src/core/errors.js';
import { packageRoot } from '../src/models/embedded.js';
import { GUIDANCE_RULES } from '../src/guidance/index.js';
import { METHODS, resolveMethod } from '../src/methods/registry.js';
import { legacyOptionFlag, optionFlag, parseOptionValue } from '../src/options/schema.js';
import { budgetOf } from '../src/run/budget.js';
import { cliInProcess } from './helpers/cli.js';

describe('option schema', () => {
  it('says a word the method and the option share once', () => {
    assert.equal(optionFlag('eps-scaling', 'scalingFactor'), '--eps-scaling-factor');
    assert.equal(optionFlag('cfg-zero', 'zeroInitSteps'), '--cfg-zero-init-steps');
    assert.equal(optionFlag('apg', 'normThreshold'), '--apg-norm-threshold');
    assert.equal(optionFlag('diffier', 'correctorScale'), '--diffier-corrector-scale');
    assert.equal(legacyOptionFlag('eps-scaling', 'scalingFactor'), '--eps-scaling-scaling-factor');
  });

  it('gives every option of every method its own flag', () => {
    const flags = METHODS.flatMap((m) => m.options.map((o) => optionFlag(m.name, o.key)));
    assert.equal(new Set(flags).size, flags.length);
  });

  it('declares each guidance option once: the methods echo the rules’ defaults', () => {
    for (const rule of GUIDANCE_RULES) {
      const { options } = resolveMethod({ name: rule.name });
      for (const o of rule.options) {
        if (o.key !== 'w' && o.default !== undefined) assert.equal(options[o.key], o.default);
      }
    }
  });

  it('parses numbers, inf where allowed, integers and choices, naming the option', () => {
    const inf = { key: 'r', kind: 'number-or-inf', description: '' } as const;
    assert.equal(parseOptionValue('--x', inf, 'inf'), Infinity);
    assert.equal(parseOptionValue('--x', inf, '2.5'), 2.5);
    assert.throws(() => parseOptionValue('--x', inf, '-inf'), /--x must be a number or inf/);
    const num = { key: 'a', kind: 'number', description: '' } as const;
    assert.throws(() => parseOptionValue('--x', num, 'inf'), /--x must be a finite number/);
    assert.throws(() => parseOptionValue('--x', num, 'abc'), /--x must be a number, got "abc"/);
    assert.throws(() => parseOptionValue('--x', num, ' '), InvalidOptionError);
    const int = { key: 'k', kind: 'integer', description: '' } as const;
    assert.throws(() => parseOptionValue('--x', int, '1.5'), /--x must be an integer/);
    const ranged = {
      key: 'q',
      kind: 'number',
      description: '',
      range: { min: 0, minOpen: true, max: 16 },
    } as const;
    assert.equal(parseOptionValue('--x', ranged, '16'), 16);
    assert.throws(() => parseOptionValue('--x', ranged, '0'), /--x must be in \(0, 16\], got "0"/);
    assert.throws(() => parseOptionValue('--x', ranged, 17), /must be in \(0, 16\]/);
    const choice = { key: 'c', kind: 'choice', choices: ['a', 'b'], description: '' } as const;
    assert.equal(parseOptionValue('--x', choice, 'b'), 'b');
    assert.throws(() => parseOptionValue('--x', choice, 'z'), /one of a, b/);
  });
});

describe('budget', () => {
  it('is exactly one of steps and nfe, or the fallback', () => {
    assert.deepEqual(budgetOf({ steps: 4 }), { steps: 4 });
    assert.deepEqual(budgetOf({ nfe: 9 }), { nfe: 9 });
    assert.deepEqual(budgetOf({}, { steps: 30 }), { steps: 30 });
    assert.throws(() => budgetOf({}), /exactly one of steps and nfe/);
    assert.throws(() => budgetOf({ steps: 4, nfe: 8 }), /not both/);
    assert.throws(() => budgetOf({ steps: 0 }), /steps must be an integer ≥ 1/);
    assert.throws(() => budgetOf({ nfe: 2.5 }, undefined, ['--steps', '--nfe']), /--nfe must be/);
  });
});

describe('command line in-process', () => {
  it('accepts the old spelling of a flag and names the new one', async () => {
    for (const flag of ['--eps-scaling-scaling-factor', '--eps-scaling-factor']) {
      const r = await cliInProcess(['generate', 'a seven', '--method', 'eps-scaling', flag, 'x']);
      assert.equal(r.code, 2);
      assert.match(r.stderr, /INVALID_OPTION.*--eps-scaling-factor must be a number/);
    }
  });

  it('a usage error of any command exits 2', async () => {
    assert.equal((await cliInProcess(['nope'])).code, 2);
    assert.equal((await cliInProcess(['generate', 'a seven', '--bogus'])).code, 2);
    assert.equal((await cliInProcess(['bench', 'gmm', '--bogus'])).code, 2);
  });
});

describe('lazy commands', () => {
  it('diffier --help loads no command module, hence not onnxruntime', async (t) => {
    if (!existsSync('/proc/self/maps')) return t.skip('needs /proc/self/maps (Linux)');
    const program = join(packageRoot(), 'dist', 'src', 'cli', 'program.js');
    const script = `const m = await import(${JSON.stringify(pathToFileURL(program).href)});
      await m.runCli(JSON.parse(process.env.DIFFIER_ARGS), () => {});
      const maps = (await import('node:fs')).readFileSync('/proc/self/maps', 'utf8');
      process.stderr.write(maps.includes('onnxruntime') ? 'loaded' : 'not loaded');`;
    const run = (args: string[]) =>
      spawnSync(process.execPath, ['--input-type=module', '-e', script], {
        encoding: 'utf8',
        env: { ...process.env, DIFFIER_ARGS: JSON.stringify(args) },
      }).stderr;
    assert.equal(run(['--help']), 'not loaded');
    assert.equal(run(['generate', '--help']), 'loaded'); // the probe itself works
  });
});
