/**
 * A bounded property-based fuzz (fast-check, fixed seed) of the inputs a user controls: CLI
 * flags, problem files, model configs and PNG headers, run in-process. Every case must end
 * with exit 0, or exit 2 and one typed line (no stack trace); no file that existed before is
 * changed, no temporary file is left, and the process stays below a memory ceiling.
 * Cases per run: FLAG_RUNS + PROBLEM_RUNS + CONFIG_RUNS + PNG_RUNS (printed by the test names).
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import fc from 'fast-check';
import { InputImageError } from '../src/core/errors.js';
import { decodePng } from '../src/image/readPng.js';
import { cliInProcess } from './helpers/cli.js';
import { pngBytes } from './helpers/pngFiles.js';
import { removeTempDirs, tempDir, tinyCopy } from './helpers/t2iFixtures.js';

after(removeTempDirs);

const SEED = 13;
const FLAG_RUNS = 150;
const PROBLEM_RUNS = 60;
const CONFIG_RUNS = 25;
const PNG_RUNS = 400;
/** Resident memory the test process may reach (the embedded models are loaded once or more). */
const MEMORY_CEILING = 2 * 1024 ** 3;

/** What every case must end as: 0, or 2 with one typed line and no stack trace. */
function assertClean(r: { code: number; stderr: string }, args: readonly string[]): void {
  const what = `${JSON.stringify(args)} → ${r.code}: ${r.stderr}`;
  assert.ok(r.code === 0 || r.code === 2, what);
  assert.doesNotMatch(r.stderr, /\n\s+at |TypeError|RangeError|ReferenceError/, what);
  if (r.code === 2) {
    const errors = r.stderr.split('\n').filter((l) => l.startsWith('diffier: error'));
    assert.equal(errors.length, 1, what);
    assert.match(errors[0], /^diffier: error \[[A-Z_]+\]: \S/, what);
  }
  assert.ok(process.memoryUsage().rss < MEMORY_CEILING, `memory above the ceiling after ${what}`);
}

/** A folder with one old file in it; returns a check that it is unchanged and has no temp. */
async function guarded(): Promise<{
  dir: string;
  old: string;
  check: (code?: number) => Promise<void>;
}> {
  const dir = await tempDir();
  const old = join(dir, 'old.out');
  await writeFile(old, 'old bytes');
  return {
    dir,
    old,
    /** After a refused run (code 2) the old file is as it was; after a run that
     * succeeded it was replaced on purpose, and is put back. Never a temp file left. */
    check: async (code = 2) => {
      const left = readdirSync(dir).filter((f) => f.endsWith('.tmp'));
      assert.deepEqual(left, [], 'temporary files left');
      if (code === 2) assert.equal(readFileSync(old, 'utf8'), 'old bytes');
      else await writeFile(old, 'old bytes');
    },
  };
}

/** Values no integer flag accepts (each flag's minimum is ≥ 0). */
const BAD_INT = fc.constantFrom(
  '0x10',
  '0b11',
  '0o7',
  '1e3',
  '1.5',
  '-5',
  '',
  ' ',
  'abc',
  'NaN',
  'Infinity',
  '99999999999999999999',
  '1,2',
  '١٢',
  '+',
  '--',
  '\u0000',
);
const BAD_NUM = fc.constantFrom('0x10', '0b11', '', 'abc', 'NaN', 'Infinity', '1,5', '--1');
const BAD_OUT = (dir: string) =>
  fc.constantFrom(
    '/dev/null',
    '/dev/zero',
    dir,
    `${dir}/`,
    join(dir, 'new') + '/',
    join(dir, 'a'.repeat(250)),
    '/proc/x.png',
    join(dir, 'missing', 'deeper', '\u0000x'),
    '',
  );

const COMMANDS: { base: string[]; ints: string[]; nums: string[] }[] = [
  {
    base: ['generate', 'a seven'],
    ints: ['--steps', '--nfe', '--n', '--seed', '--threads', '--ksd-items'],
    nums: ['--w'],
  },
  {
    base: ['upscale', 'examples/lowres-7.png'],
    ints: ['--steps', '--n', '--seed', '--noise-level'],
    nums: ['--w'],
  },
  {
    base: ['speak', 'Hello.'],
    ints: ['--steps', '--seed', '--vocoder-iterations', '--batch', '--threads'],
    nums: ['--w'],
  },
  {
    base: ['bench', 'gmm', '--problem', 'bench/problems/2d-separated.json'],
    ints: ['--steps', '--samples', '--seed', '--ksd-items'],
    nums: [],
  },
  { base: ['web'], ints: ['--port'], nums: [] },
  {
    base: ['generate', 'a seven', '--method', 'restart'],
    ints: ['--restart-k', '--restart-n'],
    nums: ['--restart-sigma-max'],
  },
  {
    base: ['generate', 'a seven', '--method', 'zsampling'],
    ints: ['--zsampling-t-max', '--zsampling-plain-last'],
    nums: ['--zsampling-gamma2'],
  },
  {
    base: ['generate', 'a seven', '--method', 'pcg'],
    ints: ['--pcg-k'],
    nums: ['--pcg-step-scale'],
  },
];

describe('fuzz', () => {
  it(`CLI flags: ${FLAG_RUNS} cases, each refused before any work`, async () => {
    const g = await guarded();
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...COMMANDS),
        fc.nat(),
        fc.oneof(
          BAD_INT.map((v) => ({ kind: 'int', v })),
          BAD_NUM.map((v) => ({ kind: 'num', v })),
          BAD_OUT(g.dir).map((v) => ({ kind: 'out', v })),
        ),
        async (cmd, pick, bad) => {
          let args: string[];
          if (bad.kind === 'out' && cmd.base[0] !== 'web') {
            const flag = cmd.base[0] === 'bench' ? '--json' : '--out';
            args = [...cmd.base, flag, bad.v, '--json', g.old];
            if (cmd.base[0] === 'bench')
              args = [...cmd.base, '--json', bad.v, '--samples-out', g.old];
          } else {
            const flags = bad.kind === 'num' && cmd.nums.length ? cmd.nums : cmd.ints;
            args = [...cmd.base, flags[pick % flags.length], bad.v];
          }
          if (cmd.base[0] !== 'web' && !args.includes(g.old)) args.push('--json', g.old);
          if (bad.kind !== 'out' && ['generate', 'upscale', 'speak'].includes(cmd.base[0])) {
            args.push('--out', join(g.dir, 'new.out'));
          }
          const r = await cliInProcess(args);
          assertClean(r, args);
          assert.equal(r.code, 2, `${JSON.stringify(args)} was accepted`);
          await g.check(r.code);
        },
      ),
      { numRuns: FLAG_RUNS, seed: SEED },
    );
  });

  it(`problem files: ${PROBLEM_RUNS} mutated problems`, async () => {
    const g = await guarded();
    const hostileNumber = fc.oneof(
      fc.constantFrom(0, -1, 1e-300, 1e300, 1e9, 1e6, 0.5, 2, 3, null, 'x', true),
      fc.double({ noNaN: true }),
      fc.integer({ min: -5, max: 5 }),
    );
    const problem = fc.record({
      name: fc.oneof(fc.constant('fz'), fc.string({ maxLength: 5 })),
      dim: fc.oneof(fc.constant(2), hostileNumber),
      target: fc.oneof(fc.constant(0), hostileNumber),
      classes: fc.oneof(
        fc.constant([
          { name: 'a', components: [{ mean: [-2, 0], std: 0.5 }] },
          { name: 'b', components: [{ mean: [2, 2], std: 0.5 }] },
        ]),
        fc.array(
          fc.record({
            name: fc.constantFrom('a', 'b', 'c'),
            components: fc.array(
              fc.record({
                mean: fc.oneof(fc.array(hostileNumber, { maxLength: 3 }), hostileNumber),
                std: fc.oneof(hostileNumber, fc.array(hostileNumber, { maxLength: 3 })),
              }),
              { maxLength: 3 },
            ),
          }),
          { maxLength: 3 },
        ),
      ),
      schedule: fc.option(
        fc.record(
          { num_train_timesteps: hostileNumber, beta_end: hostileNumber },
          { requiredKeys: [] },
        ),
        { nil: undefined },
      ),
    });
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          problem.map((p) => JSON.stringify(p)),
          fc.string({ maxLength: 40 }),
        ),
        async (text) => {
          const path = join(g.dir, 'p.json');
          await writeFile(path, text);
          const args = [
            'bench',
            'gmm',
            '--problem',
            path,
            '--w',
            '2',
            '--steps',
            '2',
            '--samples',
            '10',
            '--no-progress',
            '--samples-out',
            g.old,
          ];
          const r = await cliInProcess(args);
          assertClean(r, [...args, text]);
          await g.check(r.code);
        },
      ),
      { numRuns: PROBLEM_RUNS, seed: SEED },
    );
  });

  it(`model configs: ${CONFIG_RUNS} mutated scheduler and tokenizer configs`, async () => {
    const g = await guarded();
    const value = fc.constantFrom(0, -1, 1, 1e9, 1e30, 0.5, 'x', null, [], {}, true);
    const file = fc.constantFrom(
      'scheduler/scheduler_config.json',
      'tokenizer/tokenizer_config.json',
      'model_index.json',
    );
    const key = fc.constantFrom(
      'num_train_timesteps',
      'beta_start',
      'beta_end',
      'model_max_length',
      'prediction_type',
      'timestep_spacing',
      'steps_offset',
      '_class_name',
    );
    await fc.assert(
      fc.asyncProperty(file, key, value, fc.boolean(), async (rel, k, v, broken) => {
        const model = await tinyCopy();
        const path = join(model, rel);
        const json = JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>;
        json[k] = v;
        await writeFile(path, broken ? JSON.stringify(json).slice(0, -3) : JSON.stringify(json));
        const args = [
          'generate',
          'a seven',
          '--model',
          model,
          '--steps',
          '2',
          '--n',
          '1',
          '--no-progress',
          '--out',
          join(g.dir, 'o.png'),
          '--json',
          g.old,
        ];
        const r = await cliInProcess(args);
        assertClean(r, [...args, rel, k, JSON.stringify(v), String(broken)]);
        await g.check(r.code);
      }),
      { numRuns: CONFIG_RUNS, seed: SEED },
    );
  });

  it(`PNG headers: ${PNG_RUNS} mutated headers decode or are refused as InputImageError`, () => {
    const base = Buffer.from(pngBytes(7, 7, 'grey'));
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.integer({ min: 8, max: 40 }), fc.integer({ min: 0, max: 255 })), {
          maxLength: 6,
        }),
        fc.option(fc.tuple(fc.nat(), fc.nat()), { nil: undefined }),
        fc.nat({ max: base.length }),
        (edits, size, cut) => {
          const bytes = Buffer.from(base);
          for (const [i, b] of edits) bytes[i] = b;
          if (size) {
            bytes.writeUInt32BE(size[0] >>> 0, 16);
            bytes.writeUInt32BE(size[1] >>> 0, 20);
          }
          const input = cut > 0 && cut < 30 ? bytes.subarray(0, cut) : bytes;
          try {
            decodePng(input, 1, 'fuzz.png');
          } catch (e) {
            assert.ok(e instanceof InputImageError, String(e));
            assert.doesNotMatch(e.message, /\n/);
          }
          assert.ok(process.memoryUsage().rss < MEMORY_CEILING);
        },
      ),
      { numRuns: PNG_RUNS, seed: SEED },
    );
  });
});
