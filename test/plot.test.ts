import assert from 'node:assert/strict';
import { mkdtemp, mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';

import { OutputError } from '../src/core/errors.js';
import { facetScatter, lineChart, paretoChart, scatterChart } from '../src/plot/charts.js';
import { renderSvg } from '../src/plot/render.js';
import { writeSvg } from '../src/plot/write.js';

const line = () =>
  lineChart({
    title: 'Gap per step',
    xLabel: 'sigma',
    yLabel: 'gap',
    logY: true,
    series: [
      { name: 'cfg-baseline', points: [1, 2, 3, 4].map((x) => ({ x, y: 1 / x })) },
      { name: 'diffier-cycle', points: [1, 2, 3, 4].map((x) => ({ x, y: 0.5 / x })) },
    ],
  });

const scatter = () =>
  scatterChart({
    title: 'Two moons',
    points: Array.from({ length: 40 }, (_, i) => ({
      x: Math.cos(i),
      y: Math.sin(2 * i),
      group: i % 2 ? 'class-a' : 'class-b',
    })),
    background: [-1, 0, 1].flatMap((x) => [-1, 0, 1].map((y) => ({ x, y, value: x * x + y }))),
    xDomain: [-1.5, 1.5],
    yDomain: [-1.5, 1.5],
  });

describe('renderSvg', () => {
  it('renders a line chart with its title and series names', async () => {
    const svg = await renderSvg(line());
    assert.ok(svg.startsWith('<svg'), svg.slice(0, 80));
    for (const text of ['Gap per step', 'cfg-baseline', 'diffier-cycle', 'sigma']) {
      assert.ok(svg.includes(text), `missing ${text}`);
    }
  });

  it('renders a scatter over a density grid with its groups', async () => {
    const svg = await renderSvg(scatter());
    assert.ok(svg.startsWith('<svg'));
    for (const text of ['Two moons', 'class-a', 'class-b']) {
      assert.ok(svg.includes(text), `missing ${text}`);
    }
  });

  it('renders a method × w facet grid and a Pareto chart', async () => {
    const facet = await renderSvg(
      facetScatter({
        title: 'Samples by method',
        methods: ['method-z', 'method-a'],
        points: ['method-a', 'method-z'].flatMap((method) =>
          [1, 3].flatMap((w) =>
            Array.from({ length: 10 }, (_, i) => ({ x: i / w, y: Math.sin(i), method, w })),
          ),
        ),
        background: [{ x: 0, y: 0, value: 1 }],
      }),
    );
    for (const text of ['Samples by method', 'method-a', 'method-z', 'w = 3']) {
      assert.ok(facet.includes(text), `missing ${text}`);
    }
    // Column order is the one requested, not alphabetical.
    assert.ok(facet.indexOf('method-z') < facet.indexOf('method-a'));

    const pareto = await renderSvg(
      paretoChart({
        title: 'Recall vs precision',
        xLabel: 'precision',
        yLabel: 'recall',
        series: [
          {
            name: 'cfg',
            points: [
              { x: 0.7, y: 0.9, label: 'w=1' },
              { x: 0.8, y: 0.6 },
            ],
          },
        ],
      }),
    );
    for (const text of ['Recall vs precision', 'cfg', 'w=1']) {
      assert.ok(pareto.includes(text), `missing ${text}`);
    }
  });

  it('gives identical SVG for identical input, whatever was rendered before', async () => {
    const a = await renderSvg(scatter());
    await renderSvg(line());
    const [b, c] = await Promise.all([renderSvg(scatter()), renderSvg(scatter())]);
    assert.equal(b, a);
    assert.equal(c, a);
    assert.equal(await renderSvg(line()), await renderSvg(line()));
  });

  it('notes points outside the view instead of hiding them silently', async () => {
    const svg = await renderSvg(
      scatterChart({
        title: 'clipped',
        points: [
          { x: 0, y: 0 },
          { x: 5, y: 0 },
          { x: NaN, y: 0 },
        ],
        xDomain: [-1, 1],
        yDomain: [-1, 1],
      }),
    );
    assert.ok(svg.includes('2 points outside the view'));
  });
});

describe('writeSvg', () => {
  let dir = '';
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'diffier-plot-'));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('creates missing folders and leaves only the target file', async () => {
    const path = join(dir, 'a', 'b', 'chart.svg');
    await writeSvg(path, '<svg>1</svg>');
    assert.equal(await readFile(path, 'utf8'), '<svg>1</svg>');
    await writeSvg(path, '<svg>2</svg>');
    assert.equal(await readFile(path, 'utf8'), '<svg>2</svg>');
    assert.deepEqual(await readdir(join(dir, 'a', 'b')), ['chart.svg']);
  });

  it('throws OutputError naming the path under a regular file, leaving nothing', async () => {
    const file = join(dir, 'plain-file');
    await writeFile(file, 'x');
    const before = (await readdir(dir)).sort();
    const path = join(file, 'sub', 'chart.svg');
    await assert.rejects(writeSvg(path, '<svg/>'), (err: unknown) => {
      assert.ok(err instanceof OutputError);
      assert.equal(err.code, 'OUTPUT_UNWRITABLE');
      assert.ok(err.message.includes(path), err.message);
      return true;
    });
    assert.deepEqual((await readdir(dir)).sort(), before);
    assert.equal(await readFile(file, 'utf8'), 'x');
  });

  it('removes its temporary file when the final rename fails', async () => {
    // The target is an existing non-empty folder, so rename() fails after the write.
    const target = join(dir, 'new', 'deeper', 'taken.svg');
    await mkdir(join(target, 'inner'), { recursive: true });
    await assert.rejects(writeSvg(target, '<svg/>'), OutputError);
    assert.deepEqual(await readdir(join(dir, 'new', 'deeper')), ['taken.svg']);
  });

  it('removes the folders it created when the write itself fails', async () => {
    // A 250-character name fits the file system's limit but its temporary sibling does not.
    const path = join(dir, 'fresh', 'nested', `${'n'.repeat(246)}.svg`);
    await assert.rejects(writeSvg(path, '<svg/>'), OutputError);
    assert.ok(!(await readdir(dir)).includes('fresh'));
  });
});
