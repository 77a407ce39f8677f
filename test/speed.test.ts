/**
 * `diffier bench speed` on the tiny fixture: it runs and reports positive times and ratios
 * (no thresholds: tests check correctness, benchmarks measure), the analytic UNet count
 * matches PyTorch's parameter count for the exported architecture, the stand-in denoiser is
 * the exact posterior mean of its Gaussian data, and bad input fails before any work.
 */
import assert from 'node:assert/strict';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { matmulModelPath, measureGemm } from '../src/bench/gemm.js';
import { machineInfo } from '../src/bench/machine.js';
import { runSpeedBench, StandInDenoiser } from '../src/bench/speed.js';
import { tinyUnetCost } from '../src/bench/unetCost.js';
import { loadTextToImageModel } from '../src/models/load.js';
import { noiseLevel } from '../src/core/noiseLevel.js';
import { Tensor } from '../src/core/tensor.js';
import { removeTempDirs, TINY, tempDir } from './helpers/t2iFixtures.js';
import { cli, cliInProcess } from './helpers/cli.js';

after(removeTempDirs);

describe('speed bench parts', () => {
  it('the analytic count of TinyCrossAttnUNet matches PyTorch’s parameter count', () => {
    const c = tinyUnetCost();
    // sum(p.numel() for p in TinyCrossAttnUNet().parameters()) with training/nets.py defaults.
    assert.equal(c.params, 539409);
    assert.ok(c.macs > 3e7 && c.macs < 5e7, `${c.macs} multiply-adds`);
  });
  it('the stand-in denoiser is E[ε | x] for x0 ~ N(μ, 0.25) per element', async () => {
    const d = new StandInDenoiser([2]);
    const level = noiseLevel(500, 0.36); // a = 0.6, s = 0.8
    const x = new Tensor(Float32Array.from([1, -1]), [1, 2]);
    const p = await d.predict(x, level, 'both');
    // s(x − aμ)/(a²σ² + s²): μ = 0.5 (cond), 0 (uncond), σ² = 0.25.
    const denom = 0.36 * 0.25 + 0.64;
    assert.ok(Math.abs(p.cond.data[0] - (0.8 * (1 - 0.3)) / denom) < 1e-6);
    assert.ok(Math.abs(p.uncond!.data[1] - (0.8 * -1) / denom) < 1e-6);
    assert.equal(d.calls, 1);
  });
  it('the matmul probe computes C = A·B and reports a positive rate', async () => {
    const g = await measureGemm(matmulModelPath(), 32, 2);
    assert.equal(g.flopsPerCall, 2 * 32 ** 3);
    assert.ok(g.peakFlops > 0 && g.medianFlops > 0 && g.peakFlops >= g.medianFlops);
  });
  it('names the machine', () => {
    const m = machineInfo(1);
    assert.ok(m.cpu.length > 0 && m.cores >= 1);
    assert.equal(m.threads, 1);
  });
});

describe('runSpeedBench (tiny fixture)', () => {
  it('reports positive times and ratios for every part', async () => {
    const model = await loadTextToImageModel(TINY, { warn: () => undefined });
    try {
      const r = await runSpeedBench({
        model,
        prompt: 'a thick slanted seven',
        methods: [{ name: 'cfg' }, { name: 'diffier' }],
        w: 3,
        steps: 3,
        n: 2,
        seed: 0,
        reps: 2,
        gemmSize: 32,
        synthetic: { shape: [4, 8, 8], batch: 2 },
        unetFlops: 1e6,
        warn: () => undefined,
      });
      assert.equal(r.overhead.length, 6);
      for (const o of r.overhead) {
        assert.ok(o.sampleMs > 0 && o.networkMs > 0, `${o.target} ${o.method}`);
        assert.ok(o.overhead > 0 && o.libraryMsPerStep > 0 && o.networkMsPerCall > 0);
        assert.equal(o.steps, 3);
        assert.ok(o.networkCalls >= 3);
      }
      assert.deepEqual(
        r.overhead.map((o) => `${o.target} ${o.method} ${o.gapMonitor}`),
        [
          'model cfg true',
          'model diffier true',
          'model cfg false',
          'model diffier false',
          'synthetic cfg true',
          'synthetic diffier true',
        ],
      );
      assert.ok(
        r.overhead.filter((o) => o.target === 'synthetic').every((o) => o.monitorMsPerStep! > 0),
      );
      assert.equal(r.unet.calls.length, 2);
      for (const c of r.unet.calls) {
        assert.ok(c.timing.medianMs > 0 && c.flops! > 0 && c.fractionOfPeak! > 0);
      }
      assert.equal(r.unet.flopsSource, 'given (--unet-flops)');
      assert.ok(r.gemm.peakFlops > 0);
      assert.ok(r.readme.msPerImage > 0);
      assert.equal(r.readme.images, 4);
    } finally {
      await model.release();
    }
  });
});

describe('diffier bench speed (CLI, tiny fixture)', () => {
  it('prints the table with the machine named and writes JSON; the fixture UNet has no FLOP count', async () => {
    const dir = await tempDir();
    const out = join(dir, 'speed.json');
    const r = await cli([
      'bench',
      'speed',
      '--model',
      TINY,
      '--steps',
      '2',
      '--n',
      '2',
      '--reps',
      '2',
      '--gemm-size',
      '32',
      '--synthetic-shape',
      '4,8,8',
      '--json',
      out,
      '--no-progress',
    ]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /machine: .*logical cores/);
    assert.match(r.stdout, /sampler overhead/);
    assert.match(r.stdout, /UNet FLOPs unknown/);
    const json = JSON.parse(await readFile(out, 'utf8'));
    assert.equal(json.benchmark, 'speed');
    assert.equal(json.unet.flopsPerImage, null);
    assert.ok(json.machine.cores >= 1);
    assert.ok(json.readme.msPerImage > 0);
  });
  it('bad input fails before any work', async () => {
    const dir = await tempDir();
    for (const [extra, message] of [
      [['--methods', 'cfg,nope'], /unknown method/],
      [['--synthetic-shape', '4,64'], /C,H,W/],
      [['--unet-flops', '-1'], /--unet-flops/],
      [['--matmul', join(dir, 'none.onnx')], /matmul probe/],
      [['--prompt', '  '], /prompt is empty/],
      [['--json', dir], /OUTPUT_UNWRITABLE/],
    ] as [string[], RegExp][]) {
      const r = await cliInProcess(['bench', 'speed', '--model', TINY, ...extra]);
      assert.equal(r.code, 2, `${extra.join(' ')}: ${r.stderr}`);
      assert.match(r.stderr, message);
    }
    assert.deepEqual(await readdir(dir), []);
  });
});
