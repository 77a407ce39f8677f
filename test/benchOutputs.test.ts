/**
 * The real-model benchmarks' outputs (issue 13): none may be an input of the run, they are
 * written together at the end so a failure leaves every old file as it was, and Ctrl-C
 * exits 2 with [ABORTED] and writes nothing.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { cp, mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { CLI, cliInProcess } from './helpers/cli.js';
import { MNIST_T2I, removeTempDirs, ROOT, tempDir } from './helpers/t2iFixtures.js';

after(removeTempDirs);

const TINY_T2I = ['--prompts', 'a-zero', '--n', '6', '--methods', 'cfg', '--w', '2'];

function assertOneLineError(r: { code: number; stderr: string }, pattern: RegExp): void {
  assert.equal(r.code, 2, r.stderr);
  assert.equal(r.stderr.trimEnd().split('\n').length, 1, r.stderr);
  assert.match(r.stderr, pattern);
}

/** Every file under dir, recursively, relative to it. */
function filesUnder(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' }).sort();
}

describe('bench outputs are never inputs of the run', () => {
  it('bench t2i refuses --json onto a file of its model folder, which is left as it was', async () => {
    const dir = await tempDir();
    const model = join(dir, 'model');
    await cp(MNIST_T2I, model, { recursive: true });
    const config = join(model, 'unet', 'config.json');
    const before = readFileSync(config);
    const r = await cliInProcess([
      'bench',
      't2i',
      '--model',
      model,
      ...TINY_T2I,
      '--steps',
      '2',
      '--json',
      config,
    ]);
    assertOneLineError(r, /would overwrite the input/);
    assert.deepEqual(readFileSync(config), before);
  });

  it('bench tts refuses --json onto its held-out set', async () => {
    const dir = await tempDir();
    const data = join(dir, 'heldout.json');
    await cp(join(ROOT, 'bench', 'tts', 'heldout.json'), data);
    const before = readFileSync(data);
    const r = await cliInProcess(['bench', 'tts', '--data', data, '--json', data]);
    assertOneLineError(r, /would overwrite the input/);
    assert.deepEqual(readFileSync(data), before);
  });

  it('bench report refuses --out onto one of its result files', async () => {
    const dir = await tempDir();
    const result = join(dir, 'r.json');
    await writeFile(result, '{"problem": "p", "runs": []}');
    const r = await cliInProcess(['bench', 'report', result, '--out', result]);
    assertOneLineError(r, /would overwrite the input/);
    assert.equal(readFileSync(result, 'utf8'), '{"problem": "p", "runs": []}');
  });
});

describe('bench outputs are all or nothing', () => {
  it('a plot that cannot be written leaves the old JSON as it was and no temp file', async () => {
    const dir = await tempDir();
    const json = join(dir, 'r.json');
    await writeFile(json, 'old');
    // A folder where a plot will go: its name is known only when the plots are drawn.
    await mkdir(join(dir, 'plots', 'fid-vs-w.svg'), { recursive: true });
    const r = await cliInProcess([
      'bench',
      't2i',
      ...TINY_T2I,
      '--steps',
      '2',
      '--no-progress',
      '--json',
      json,
      '--plots',
      join(dir, 'plots'),
    ]);
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /fid-vs-w\.svg is a folder/);
    assert.equal(readFileSync(json, 'utf8'), 'old');
    assert.deepEqual(filesUnder(dir), ['plots', 'plots/fid-vs-w.svg', 'r.json']);
  });
});

describe('Ctrl-C in the real-model benchmarks', () => {
  const cases: Record<string, string[]> = {
    t2i: ['--prompts', 'digits', '--n', '64', '--steps', '300'],
    sr: ['--inputs', '100', '--steps', '300'],
    tts: ['--steps', '300'],
    speed: ['--steps', '300', '--n', '64', '--repeats', '5'],
  };
  for (const [bench, args] of Object.entries(cases)) {
    it(`bench ${bench}: SIGINT once the run has started exits 2 with [ABORTED], writes nothing`, async () => {
      const dir = await tempDir();
      const json = join(dir, 'out.json');
      const child = spawn(process.execPath, [CLI, 'bench', bench, ...args, '--json', json], {
        cwd: ROOT,
      });
      let stderr = '';
      // The progress line (stderr is not a terminal) says the run itself has begun.
      const started = new Promise<void>((resolve) => {
        child.stderr.on('data', (d: Buffer) => {
          stderr += d;
          if (stderr.includes(`bench ${bench}: 0/`)) resolve();
        });
      });
      const closed = new Promise<number | null>((r) =>
        child.on('close', (code, signal) => r(code ?? (signal === null ? null : -1))),
      );
      await Promise.race([started, closed]);
      child.kill('SIGINT');
      const code = await closed;
      assert.equal(code, 2, stderr);
      assert.match(stderr, /\[ABORTED\]/);
      assert.equal(existsSync(json), false);
      assert.deepEqual(readdirSync(dir), []);
    });
  }
});
