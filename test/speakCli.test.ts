/**
 * `diffier speak` and `diffier bench tts` as a user runs them (child processes on the built
 * CLI, embedded model, few steps): the WAV, its sidecar and plot, byte-identical reruns,
 * and every bad input giving one typed error line, exit code 2 and no file.
 */
import assert from 'node:assert/strict';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { decodeWav } from '../src/audio/wav.js';
import { cli } from './helpers/cli.js';
import { removeTempDirs, tempDir } from './helpers/t2iFixtures.js';

after(removeTempDirs);

async function speak(text: string, extra: string[] = [], name = 'out.wav') {
  const dir = await tempDir();
  const out = join(dir, name);
  const r = await cli([
    'speak',
    text,
    '--out',
    out,
    '--steps',
    '3',
    '--vocoder-iterations',
    '3',
    '--no-progress',
    ...extra,
  ]);
  return { ...r, dir, out, files: (await readdir(dir)).sort() };
}

describe('diffier speak', () => {
  it('writes a WAV and a JSON sidecar, the same bytes for the same seed', async () => {
    const a = await speak('Hello there.', ['--seed', '4']);
    assert.equal(a.code, 0, a.stderr);
    assert.deepEqual(a.files, ['out.json', 'out.wav']);
    const wav = await readFile(a.out);
    const decoded = decodeWav(wav, a.out);
    assert.equal(decoded.sampleRate, 22050);
    assert.ok(decoded.audio.length > 2000);
    const side = JSON.parse(await readFile(join(a.dir, 'out.json'), 'utf8'));
    assert.equal(side.runs[0].method, 'diffier');
    assert.equal(side.settings.seed, 4);
    assert.match(side.sentences[0].phonemes, /_: _$/);
    const b = await speak('Hello there.', ['--seed', '4']);
    assert.deepEqual(await readFile(b.out), wav);
  });

  it('--compare writes one WAV per method and a mel plot', async () => {
    const r = await speak('Yes.', ['--compare', 'cfg,diffier', '--w', '2'], 'cmp.wav');
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(r.files, ['cmp-cfg.wav', 'cmp-diffier.wav', 'cmp.json', 'cmp.svg']);
    assert.match(await readFile(join(r.dir, 'cmp.svg'), 'utf8'), /^<svg/);
    assert.match(r.stdout, /cfg .*\n.*diffier/s);
  });

  const bad: [string, string[], string, RegExp][] = [
    ['empty text', [], '', /INVALID_OPTION.*empty/],
    ['unspeakable characters', [], 'Hi ☃ there', /UNSPEAKABLE_TEXT.*☃/],
    ['absurd length', [], 'word '.repeat(500), /INVALID_OPTION.*2500 characters/],
    ['unknown method', ['--method', 'nope'], 'Hi.', /INVALID_OPTION|unknown/],
  ];
  for (const [what, extra, text, message] of bad) {
    it(`refuses ${what}: one line, exit 2, no file`, async () => {
      const r = await speak(text, extra);
      assert.equal(r.code, 2);
      assert.match(r.stderr.trim(), message);
      assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
      assert.deepEqual(r.files, []);
    });
  }

  it('refuses an output that cannot be written before doing any work', async () => {
    const dir = await tempDir();
    await writeFile(join(dir, 'file'), 'x');
    const r = await cli(['speak', 'Hi.', '--out', join(dir, 'file', 'out.wav'), '--no-progress']);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /OUTPUT_UNWRITABLE.*not a folder/);
    assert.deepEqual(await readdir(dir), ['file']);
  });
});

describe('diffier bench tts', () => {
  it('prints the table with the floors and writes plots and WAVs', async () => {
    const dir = await tempDir();
    const r = await cli([
      'bench',
      'tts',
      '--methods',
      'cfg,diffier',
      '--w',
      '2',
      '--nfe',
      '6',
      '--n',
      '2',
      '--sentences',
      '1',
      '--vocoder-iterations',
      '3',
      '--no-progress',
      '--out',
      dir,
      '--json',
      join(dir, 'r.json'),
    ]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /MCD dB/);
    assert.match(r.stdout, /prior μ/);
    assert.deepEqual((await readdir(dir)).sort(), [
      'cfg-w2.wav',
      'diffier-w2.wav',
      'espeak-ng.wav',
      'mel-cfg.svg',
      'mel-diffier.svg',
      'r.json',
    ]);
    const json = JSON.parse(await readFile(join(dir, 'r.json'), 'utf8'));
    assert.equal(json.runs.length, 2);
    assert.ok(json.runs.every((x: { nfe: number }) => x.nfe <= 6));
  });
});
