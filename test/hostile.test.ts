/**
 * Hostile input (issue 13): outputs that are not regular files, outputs that are inputs,
 * all-or-nothing output sets, bounded reads, crashes turned into one typed line. Each case
 * runs in-process where it can; FIFOs and Ctrl-C need a real process.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, lstatSync, readdirSync, readFileSync, statSync, symlinkSync } from 'node:fs';
import { copyFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { OutputError, InputImageError } from '../src/core/errors.js';
import { decodePng } from '../src/image/readPng.js';
import { commitOutputs } from '../src/io/atomicWrite.js';
import { readBytes } from '../src/io/files.js';
import { CLI, cliInProcess } from './helpers/cli.js';
import { pngBytes } from './helpers/pngFiles.js';
import { MNIST_T2I, removeTempDirs, ROOT, tempDir } from './helpers/t2iFixtures.js';

after(removeTempDirs);

const PROBLEM = {
  name: 'hostile-2d',
  dim: 2,
  target: 0,
  classes: [
    { name: 'a', components: [{ mean: [-2, 0], std: 0.5 }] },
    { name: 'b', components: [{ mean: [2, 2.5], std: 0.5 }] },
  ],
};

async function problemFile(dir: string, content: unknown = PROBLEM): Promise<string> {
  const path = join(dir, 'p.json');
  await writeFile(path, typeof content === 'string' ? content : JSON.stringify(content));
  return path;
}

/** Exit 2, exactly one line, a typed code, no stack trace. */
function assertRefused(r: { code: number; stderr: string }, pattern?: RegExp): void {
  assert.equal(r.code, 2, r.stderr);
  const lines = r.stderr.trimEnd().split('\n');
  assert.equal(lines.length, 1, r.stderr);
  assert.match(lines[0], /^diffier: error \[[A-Z_]+\]: /);
  assert.doesNotMatch(r.stderr, /\n\s+at /);
  if (pattern) assert.match(lines[0], pattern);
}

function mkfifo(path: string): void {
  const r = spawnSync('mkfifo', [path]);
  assert.equal(r.status, 0, String(r.stderr));
}

const GMM = ['--w', '1,2', '--steps', '3', '--samples', '10', '--no-progress'];

describe('outputs (issue 13 cases 1, 3, 4, 6)', () => {
  it('case 1: --out onto a FIFO or a device node is refused and left as it was', async () => {
    const dir = await tempDir();
    const fifo = join(dir, 'x');
    mkfifo(fifo);
    for (const out of [fifo, '/dev/null']) {
      const r = await cliInProcess(['generate', 'a seven', '--out', out, '--steps', '2']);
      assertRefused(r, /not a regular file/);
    }
    assert.ok(lstatSync(fifo).isFIFO());
    assert.ok(statSync('/dev/null').isCharacterDevice());
  });

  it('case 4: --out newdir/ is refused before any work, nothing created', async () => {
    const dir = await tempDir();
    const r = await cliInProcess(['generate', 'a seven', '--out', join(dir, 'newdir') + '/']);
    assertRefused(r, /path separator/);
    assert.deepEqual(readdirSync(dir), []);
  });

  it('case 6: a 250-character --out name is refused up front (the temp name would not fit)', async () => {
    const dir = await tempDir();
    const r = await cliInProcess(['generate', 'a seven', '--out', join(dir, 'a'.repeat(250))]);
    assertRefused(r, /bytes; at most/);
    assert.deepEqual(readdirSync(dir), []);
  });

  it('case 3: bench gmm and sweep refuse --json onto the problem file (also through a link)', async () => {
    const dir = await tempDir();
    const problem = await problemFile(dir);
    const before = readFileSync(problem, 'utf8');
    const link = join(dir, 'link.json');
    symlinkSync(problem, link);
    for (const json of [problem, link]) {
      const bench = await cliInProcess([
        'bench',
        'gmm',
        '--problem',
        problem,
        '--json',
        json,
        ...GMM,
      ]);
      assertRefused(bench, /would overwrite the input/);
      const sweep = await cliInProcess([
        'sweep',
        '--problem',
        problem,
        '--method',
        'cfg',
        '--json',
        json,
        ...GMM,
      ]);
      assertRefused(sweep, /would overwrite the input/);
    }
    assert.equal(readFileSync(problem, 'utf8'), before);
  });

  it('case 3: upscale refuses --out onto its input image; generate onto the model weights', async () => {
    const dir = await tempDir();
    const input = join(dir, 'in.png');
    await copyFile(join(ROOT, 'examples', 'lowres-7.png'), input);
    const before = readFileSync(input);
    assertRefused(
      await cliInProcess(['upscale', input, '--out', input]),
      /would overwrite the input/,
    );
    assert.deepEqual(readFileSync(input), before);
    const weights = join(MNIST_T2I, 'unet', 'model.onnx');
    const size = statSync(weights).size;
    const r = await cliInProcess(['generate', 'a seven', '--model', MNIST_T2I, '--out', weights]);
    assertRefused(r, /would overwrite the input/);
    assert.equal(statSync(weights).size, size);
  });

  it('case 3: two outputs naming one file are refused', async () => {
    const dir = await tempDir();
    const problem = await problemFile(dir);
    const out = join(dir, 'o.json');
    const r = await cliInProcess([
      'bench',
      'gmm',
      '--problem',
      problem,
      '--json',
      out,
      '--samples-out',
      out,
      ...GMM,
    ]);
    assertRefused(r, /name the same file/);
  });

  it('case 4: a failure while writing one output leaves every old file as it was, no temp file', async () => {
    const dir = await tempDir();
    const a = join(dir, 'a.png');
    await writeFile(a, 'old');
    await assert.rejects(
      commitOutputs([
        { path: a, content: 'new' },
        { path: '/proc/diffier-cannot.svg', content: '<svg/>' },
      ]),
      OutputError,
    );
    assert.equal(readFileSync(a, 'utf8'), 'old');
    assert.deepEqual(readdirSync(dir), ['a.png']);
    await commitOutputs([
      { path: a, content: 'new' },
      { path: join(dir, 'b.json'), content: '{}' },
    ]);
    assert.equal(readFileSync(a, 'utf8'), 'new');
    assert.deepEqual(readdirSync(dir).sort(), ['a.png', 'b.json']);
  });

  it('case 4: speak with --plot under /proc refuses before work, the old WAV kept', async () => {
    const dir = await tempDir();
    const wav = join(dir, 'speech.wav');
    await writeFile(wav, 'old');
    const r = await cliInProcess(['speak', 'Hello.', '--out', wav, '--plot', '/proc/x.svg']);
    assertRefused(r);
    assert.equal(readFileSync(wav, 'utf8'), 'old');
  });
});

describe('speak punctuation (issue 13 case 2)', () => {
  for (const text of ['...', '?!']) {
    it(`speak "${text}" is one typed line, exit 2, the old WAV kept`, async () => {
      const dir = await tempDir();
      const wav = join(dir, 'speech.wav');
      await writeFile(wav, 'old');
      const r = await cliInProcess(['speak', text, '--out', wav, '--compare', 'cfg,diffier']);
      assertRefused(r, /UNSPEAKABLE_TEXT.*no letter or digit/);
      assert.equal(readFileSync(wav, 'utf8'), 'old');
      assert.deepEqual(readdirSync(dir), ['speech.wav']);
    });
  }
});

describe('bounded reads (issue 13 case 5)', () => {
  it('a PNG declaring 20000×20000 is refused from its header, before decoding', () => {
    const bytes = Buffer.from(pngBytes(2, 2, 'grey'));
    bytes.writeUInt32BE(20000, 16);
    bytes.writeUInt32BE(20000, 20);
    assert.throws(
      () => decodePng(bytes, 1, 'big.png'),
      (e: unknown) => {
        assert.ok(e instanceof InputImageError);
        assert.match(e.message, /declares 20000×20000 pixels/);
        return true;
      },
    );
  });

  it('upscale /dev/zero and a FIFO as the input image are refused without blocking', async () => {
    const dir = await tempDir();
    const fifo = join(dir, 'in.png');
    mkfifo(fifo);
    for (const input of ['/dev/zero', fifo]) {
      const r = await cliInProcess(['upscale', input, '--out', join(dir, 'o.png')]);
      assertRefused(r, /not a regular file/);
    }
  });

  it('a FIFO as --problem is refused without blocking', async () => {
    const dir = await tempDir();
    const fifo = join(dir, 'p.json');
    mkfifo(fifo);
    const r = await cliInProcess(['bench', 'gmm', '--problem', fifo, ...GMM]);
    assertRefused(r, /not a regular file/);
  });

  it('readBytes refuses a file over its limit', async () => {
    const dir = await tempDir();
    const path = join(dir, 'big.txt');
    await writeFile(path, 'x'.repeat(100));
    await assert.rejects(readBytes(path, 99), /at most 99/);
    assert.equal((await readBytes(path, 100)).length, 100);
  });
});

describe('lenient lists (issue 13 case 7)', () => {
  it('bench gmm --methods cfg,cfg and sweep --method cfg,apg are refused', async () => {
    const dir = await tempDir();
    const problem = await problemFile(dir);
    assertRefused(
      await cliInProcess(['bench', 'gmm', '--problem', problem, '--methods', 'cfg,cfg', ...GMM]),
      /names cfg twice/,
    );
    assertRefused(
      await cliInProcess(['sweep', '--problem', problem, '--method', 'cfg,apg', ...GMM]),
      /takes one method/,
    );
  });
});

describe('Ctrl-C (issue 13 case 7)', () => {
  for (const cmd of [
    ['bench', 'gmm', '--methods', 'cfg'],
    ['sweep', '--method', 'cfg'],
  ]) {
    it(`${cmd[0]}: SIGINT exits 2 with [ABORTED] and writes nothing`, async () => {
      const dir = await tempDir();
      const problem = await problemFile(dir);
      const json = join(dir, 'out.json');
      const child = spawn(
        process.execPath,
        [
          CLI,
          ...cmd,
          '--problem',
          problem,
          '--json',
          json,
          '--w',
          '1,2,3,4,5,6,7,8',
          '--steps',
          '200',
          '--samples',
          '2000',
          '--no-progress',
        ],
        { cwd: ROOT },
      );
      let stderr = '';
      child.stderr.on('data', (d: Buffer) => (stderr += d));
      await new Promise((r) => setTimeout(r, 2500));
      child.kill('SIGINT');
      const code = await new Promise<number | null>((r) => child.on('close', r));
      assert.equal(code, 2, stderr);
      assert.match(stderr, /\[ABORTED\]/);
      assert.equal(existsSync(json), false);
      assert.deepEqual(readdirSync(dir), ['p.json']);
    });
  }
});

describe('bounds and strict numbers (issue 13 cases 5, 7)', () => {
  it('integers are decimal only: 0x10, 0b11, 1e3 are refused', async () => {
    for (const v of ['0x10', '0b11', '1e3', '16.0']) {
      assertRefused(await cliInProcess(['generate', 'a seven', '--steps', v]), /decimal integer/);
    }
  });

  it('--threads above twice the cores and --compare "" are refused', async () => {
    assertRefused(await cliInProcess(['generate', 'a seven', '--threads', '1024']), /--threads/);
    assertRefused(await cliInProcess(['generate', 'a seven', '--compare', '']), /empty name/);
  });

  it('loop counts of restart, zsampling and pcg are bounded', async () => {
    for (const [method, flag] of [
      ['restart', '--restart-k'],
      ['zsampling', '--zsampling-t-max'],
      ['pcg', '--pcg-k'],
    ]) {
      assertRefused(
        await cliInProcess(['generate', 'a seven', '--method', method, flag, '1000000000']),
        new RegExp(`${flag} must be in`),
      );
    }
  });

  it('problem files: dim 1e6, num_train_timesteps 1e9 are refused before allocation', async () => {
    const dir = await tempDir();
    const big = await problemFile(dir, { ...PROBLEM, dim: 1_000_000 });
    assertRefused(
      await cliInProcess(['bench', 'gmm', '--problem', big, ...GMM]),
      /dim must be at most/,
    );
    const steps = await problemFile(dir, { ...PROBLEM, schedule: { num_train_timesteps: 1e9 } });
    assertRefused(
      await cliInProcess(['bench', 'gmm', '--problem', steps, ...GMM]),
      /num_train_timesteps must be at most/,
    );
  });
});

describe('raw errors (issue 13 cases 6, 7)', () => {
  it('web on a port in use is one typed line; --host 127.999.1.1 is refused', async () => {
    const { createServer } = await import('node:net');
    const busy = createServer();
    await new Promise<void>((r) => busy.listen(0, '127.0.0.1', r));
    const port = (busy.address() as { port: number }).port;
    try {
      assertRefused(await cliInProcess(['web', '--port', String(port)]), /port \d+ is in use/);
    } finally {
      busy.close();
    }
    assertRefused(await cliInProcess(['web', '--host', '127.999.1.1']), /not an IPv4 address/);
  });

  it('a method flag for a method not run is refused (--apg-eta abc with --method cfg)', async () => {
    assertRefused(
      await cliInProcess(['generate', 'a seven', '--method', 'cfg', '--apg-eta', 'abc']),
      /--apg-eta is an option of apg/,
    );
  });
});

describe('--n by memory (issue 13 case 5)', () => {
  it('generate --n 4096 is refused with the memory it would need, nothing written', async () => {
    const dir = await tempDir();
    const r = await cliInProcess([
      'generate',
      'a seven',
      '--n',
      '4096',
      '--out',
      join(dir, 'g.png'),
    ]);
    assertRefused(r, /--n 4096 would need about [\d.]+ GB/);
    assert.deepEqual(readdirSync(dir), []);
  });
});
