/**
 * Outputs that carry their recipe, unit by unit: PNG text chunks (written, read back, hostile
 * lengths refused), the recipe format (round trip, newer versions and unknown keys refused),
 * A1111's parameters text, WAV LIST/INFO tags, and labelled grids (text really drawn).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { PNG } from 'pngjs';
import { encodeWav, readWavTags, withWavTags } from '../src/audio/wav.js';
import { Tensor } from '../src/core/tensor.js';
import { gridPixels } from '../src/image/grid.js';
import { labelledGridPixels } from '../src/image/labels.js';
import { imagePng } from '../src/image/png.js';
import {
  MAX_TEXT_CHUNK_BYTES,
  MAX_TEXT_CHUNKS,
  readTextChunks,
  withTextChunks,
} from '../src/image/pngText.js';
import { pngWithRecipe, recipeTextOf } from '../src/pipelines/recipeFile.js';
import {
  a1111Parameters,
  parseRecipe,
  RECIPE_FORMAT,
  recipeText,
  type Recipe,
} from '../src/recipe/recipe.js';
import { pngBytes } from './helpers/pngFiles.js';

const RECIPE: Recipe = {
  format: RECIPE_FORMAT,
  diffier: '0.1.0',
  command: 'generate',
  argument: 'a thick seven — ünïcode ✓',
  flags: { w: '3', steps: '4', seed: '7', sampler: 'ddim', compare: 'cfg,diffier', gap: true },
  model: { dir: 'diffier:models/mnist-t2i', sha256: 'ab'.repeat(32) },
};

/** A PNG whose chunk after IHDR is `type` with `data`, declaring `length` bytes. */
function withRawChunk(png: Buffer, type: string, data: Buffer, length = data.length): Buffer {
  const head = Buffer.alloc(8);
  head.writeUInt32BE(length, 0);
  head.write(type, 4, 'latin1');
  const ihdrEnd = 8 + 12 + 13;
  return Buffer.concat([
    png.subarray(0, ihdrEnd),
    head,
    data,
    Buffer.alloc(4),
    png.subarray(ihdrEnd),
  ]);
}

describe('PNG text chunks', () => {
  const png = pngBytes(5, 3, 'grey');

  it('round-trips Latin-1 (tEXt) and UTF-8 (iTXt) text, pixels unchanged', () => {
    const out = withTextChunks(png, [
      { keyword: 'latin', text: 'café 1.5' },
      { keyword: 'utf8', text: 'снег ✓ 雪' },
    ]);
    assert.deepEqual(readTextChunks(out, 'x.png'), [
      { keyword: 'latin', text: 'café 1.5' },
      { keyword: 'utf8', text: 'снег ✓ 雪' },
    ]);
    const a = PNG.sync.read(png);
    const b = PNG.sync.read(Buffer.from(out));
    assert.deepEqual(b.data, a.data);
    const names: string[] = [];
    for (let at = 8; at < out.length;) {
      const len = Buffer.from(out).readUInt32BE(at);
      names.push(Buffer.from(out).toString('latin1', at + 4, at + 8));
      at += 12 + len;
    }
    assert.deepEqual(names, ['IHDR', 'tEXt', 'iTXt', 'IDAT', 'IEND']);
  });

  it('refuses a chunk that declares more bytes than follow, before allocating them', () => {
    const bad = withRawChunk(png, 'tEXt', Buffer.from('k\0v'), 0xfffffff0);
    assert.throws(
      () => readTextChunks(bad, 'bad.png'),
      /tEXt declares 4294967280 bytes; only \d+ follow/,
    );
  });

  it(`refuses a text chunk over ${MAX_TEXT_CHUNK_BYTES} bytes and more than ${MAX_TEXT_CHUNKS} text chunks`, () => {
    const big = withTextChunks(png, [{ keyword: 'k', text: 'x'.repeat(MAX_TEXT_CHUNK_BYTES) }]);
    assert.throws(() => readTextChunks(big, 'big.png'), /tEXt chunk of .* at most/);
    const many = withTextChunks(
      png,
      Array.from({ length: MAX_TEXT_CHUNKS + 1 }, (_, i) => ({ keyword: `k${i}`, text: 'v' })),
    );
    assert.throws(() => readTextChunks(many, 'many.png'), /more than 64 text chunks/);
    assert.equal(
      readTextChunks(withTextChunks(png, [{ keyword: 'k', text: 'v' }]), 'ok').length,
      1,
    );
  });

  it('refuses a corrupted chunk (CRC) and a file that is not a PNG', () => {
    const out = Buffer.from(withTextChunks(png, [{ keyword: 'k', text: 'value' }]));
    out[8 + 25 + 8 + 2] ^= 0xff; // a byte of the tEXt data
    assert.throws(() => readTextChunks(out, 'crc.png'), /not a readable PNG.*CRC/);
    assert.throws(() => readTextChunks(Buffer.from('hello'), 'h.txt'), /not a PNG file/);
  });
});

describe('recipe format', () => {
  it('is ASCII JSON with sorted keys and reads back to the same recipe', () => {
    const text = recipeText(RECIPE);
    assert.match(text, /^[\x20-\x7e]+$/);
    assert.deepEqual(Object.keys(JSON.parse(text)), Object.keys(JSON.parse(text)).sort());
    assert.deepEqual(parseRecipe(text, 'r'), RECIPE);
    assert.equal(recipeText({ ...RECIPE }), recipeText(JSON.parse(text) as Recipe));
  });

  it('refuses a newer format, unknown keys, bad flags and oversized text', () => {
    const text = (r: object) => JSON.stringify({ ...RECIPE, ...r });
    assert.throws(
      () => parseRecipe(text({ format: RECIPE_FORMAT + 1, diffier: '9.0.0' }), 'new.png'),
      /format 2, written by diffier 9\.0\.0.*upgrade/,
    );
    assert.throws(() => parseRecipe(text({ colour: 'red' }), 'u.png'), /unknown keys: colour/);
    assert.throws(
      () => parseRecipe(text({ flags: { w: 3 } }), 'f.png'),
      /flag "w" is not a string/,
    );
    assert.throws(() => parseRecipe(text({ format: 0 }), 'z.png'), /no valid "format"/);
    assert.throws(() => parseRecipe('[1]', 'a.png'), /not a JSON object/);
    assert.throws(() => parseRecipe('{', 'j.png'), /not valid JSON/);
    assert.throws(() => parseRecipe(text({ argument: 'x'.repeat(70_000) }), 'b.png'), /at most/);
    assert.throws(() => parseRecipe(text({ item: { method: 'cfg' } }), 'i.png'), /"item"/);
  });

  it('A1111 parameters: prompt line, then Key: value pairs (lists quoted)', () => {
    const text = a1111Parameters({ ...RECIPE, flags: { ...RECIPE.flags, negativePrompt: 'blur' } });
    const [prompt, negative, pairs] = text.split('\n');
    assert.equal(prompt, RECIPE.argument);
    assert.equal(negative, 'Negative prompt: blur');
    assert.match(pairs, /^Steps: 4, Sampler: ddim, CFG scale: 3, Seed: 7, Method: "cfg,diffier", /);
    assert.match(pairs, /Model hash: ababababab, Version: diffier 0\.1\.0$/);
  });

  it('a PNG with its recipe gives it back; the image is unchanged', () => {
    const img = new Tensor(
      new Float32Array(4).map((_, i) => i / 3),
      [1, 1, 2, 2],
    );
    const plain = imagePng(img, 0);
    const tagged = pngWithRecipe(plain, RECIPE);
    assert.deepEqual(parseRecipe(recipeTextOf(tagged, 't.png'), 't.png'), RECIPE);
    assert.deepEqual(PNG.sync.read(Buffer.from(tagged)).data, PNG.sync.read(plain).data);
    assert.throws(() => recipeTextOf(plain, 'plain.png'), /has no diffier recipe/);
  });
});

describe('WAV LIST/INFO tags', () => {
  it('round-trip through wavefile; the samples are unchanged', () => {
    const audio = Float64Array.from({ length: 101 }, (_, i) => Math.sin(i / 5) * 0.5);
    const tags = { ICMT: recipeText(RECIPE), ISFT: 'diffier 0.1.0' };
    const wav = encodeWav(audio, 22050, tags);
    assert.deepEqual(readWavTags(wav, 'a.wav'), tags);
    assert.deepEqual(parseRecipe(recipeTextOf(wav, 'a.wav'), 'a.wav'), RECIPE);
    const plain = encodeWav(audio, 22050);
    assert.throws(() => recipeTextOf(plain, 'plain.wav'), /has no diffier recipe/);
    // The data chunk is the same bytes with or without the tags.
    const data = (b: Uint8Array) => {
      const s = Buffer.from(b);
      const at = s.indexOf('data');
      return s.subarray(at, at + 8 + s.readUInt32LE(at + 4));
    };
    assert.deepEqual(data(wav), data(plain));
    assert.throws(() => encodeWav(audio, 22050, { ICMT: 'ünï' }), /printable ASCII/);
    // Tags added to finished bytes (the bench's WAVs) read back the same, samples unchanged.
    const later = withWavTags(plain, tags);
    assert.deepEqual(readWavTags(later, 'later.wav'), tags);
    assert.deepEqual(data(later), data(plain));
  });
});

describe('labelled grids', () => {
  const rows = [0.2, 0.8].map(
    (v) => new Tensor(new Float32Array(3 * 28 * 28).fill(v), [3, 1, 28, 28]),
  );

  it('keep the grid pixels and draw every label in the margins', () => {
    const plain = gridPixels(rows);
    const l = labelledGridPixels(rows, {
      rows: ['cfg w=3', 'diffier w=3'],
      columns: ['#0', '#1', '#2'],
    });
    const left = l.width - plain.width;
    const top = l.height - plain.height;
    assert.ok(left > 0 && top > 0);
    assert.equal(l.channels, 1);
    // The grid sits in the bottom-right corner, pixel for pixel.
    for (let y = 0; y < plain.height; y++) {
      const a = Buffer.from(plain.data.subarray(y * plain.width * 4, (y + 1) * plain.width * 4));
      const o = ((y + top) * l.width + left) * 4;
      assert.ok(a.equals(Buffer.from(l.data.subarray(o, o + plain.width * 4))), `row ${y}`);
    }
    // Dark pixels (text) in each row label's band and above each column.
    const dark = (x0: number, x1: number, y0: number, y1: number) => {
      let n = 0;
      for (let y = y0; y < y1; y++)
        for (let x = x0; x < x1; x++) if (l.data[(y * l.width + x) * 4] < 96) n++;
      return n;
    };
    const cell = (plain.height - 2) / 2;
    for (let r = 0; r < 2; r++) {
      assert.ok(dark(0, left, top + 2 + r * cell, top + (r + 1) * cell) > 20, `row label ${r}`);
    }
    const colW = (plain.width - 2) / 3;
    for (let c = 0; c < 3; c++) {
      assert.ok(dark(left + c * colW, left + (c + 1) * colW, 0, top) > 10, `column label ${c}`);
    }
    // The margin is as wide as the longest label needs: a longer label widens it.
    const wider = labelledGridPixels(rows, { rows: ['cfg w=3', 'diffier w=3 (longer)'] });
    assert.ok(wider.width > l.width);
  });

  it('the same rows and labels give the same pixels', () => {
    const a = labelledGridPixels(rows, { rows: ['a', 'b'] });
    const b = labelledGridPixels(rows, { rows: ['a', 'b'] });
    assert.deepEqual(a.data, b.data);
    assert.throws(() => labelledGridPixels(rows, { rows: ['a'] }), /1 row labels for 2 grid rows/);
  });
});
