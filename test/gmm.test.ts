import assert from 'node:assert/strict';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { loadProblem, parseProblem, type Problem } from '../src/denoisers/problem.js';
import { GaussianMixture, modelMixtures, trueMixtures } from '../src/denoisers/gaussianMixture.js';
import { GmmDenoiser } from '../src/denoisers/gmmDenoiser.js';
import { ConfigError } from '../src/core/errors.js';
import { noiseLevel } from '../src/core/noiseLevel.js';
import { BatchRandom } from '../src/core/random.js';
import { Tensor } from '../src/core/tensor.js';

/** A valid 2-D problem; each bad case below breaks exactly one thing in a copy of it. */
function validProblem(): Record<string, unknown> {
  return {
    name: 'two-blobs',
    dim: 2,
    target: 1,
    classes: [
      { name: 'left', weight: 1, components: [{ mean: [-2, 0], std: 0.5 }] },
      {
        name: 'right',
        weight: 3,
        components: [
          { mean: [2, 1], std: [0.5, 1], weight: 1 },
          { mean: [2, -1], std: 0.3, weight: 3 },
        ],
      },
    ],
    schedule: { beta_schedule: 'squaredcos_cap_v2', num_train_timesteps: 1000 },
    model: { kind: 'inflated', cond: 1.1, uncond: 1.3, jitter: 0.1, jitterSeed: 7 },
  };
}

type Json = Record<string, unknown>;
const cls = (p: Json, i: number): Json => (p.classes as Json[])[i];
const comp = (p: Json, i: number, j: number): Json => (cls(p, i).components as Json[])[j];

describe('parseProblem', () => {
  it('parses a valid problem: normalised weights, expanded stds, raw schedule, typed model', () => {
    const p = parseProblem(validProblem(), 'mem.json');
    assert.equal(p.name, 'two-blobs');
    assert.equal(p.dim, 2);
    assert.equal(p.target, 1);
    assert.deepEqual(
      p.classes.map((c) => c.weight),
      [0.25, 0.75],
    );
    assert.deepEqual(
      p.classes[1].components.map((c) => c.weight),
      [0.25, 0.75],
    );
    assert.deepEqual(p.classes[0].components[0].std, [0.5, 0.5]);
    assert.deepEqual(p.classes[1].components[0].std, [0.5, 1]);
    assert.deepEqual(p.schedule, { beta_schedule: 'squaredcos_cap_v2', num_train_timesteps: 1000 });
    assert.deepEqual(p.model, {
      kind: 'inflated',
      cond: 1.1,
      uncond: 1.3,
      jitter: 0.1,
      jitterSeed: 7,
    });
    assert.equal(p.source, 'mem.json');
  });

  it('a missing weight counts as 1 before normalising (the contract: weights default to equal)', () => {
    const raw = validProblem();
    delete cls(raw, 0).weight;
    cls(raw, 1).weight = 3;
    const p = parseProblem(raw);
    assert.deepEqual(
      p.classes.map((c) => c.weight),
      [0.25, 0.75],
    );
  });

  it('defaults: equal weights and the exact model', () => {
    const raw = validProblem();
    delete cls(raw, 0).weight;
    delete cls(raw, 1).weight;
    delete raw.model;
    delete raw.schedule;
    const p = parseProblem(raw);
    assert.deepEqual(
      p.classes.map((c) => c.weight),
      [0.5, 0.5],
    );
    assert.deepEqual(p.model, { kind: 'exact' });
    assert.equal(p.schedule, undefined);
  });

  const bad: [string, (p: Json) => void, RegExp][] = [
    ['not an object', () => {}, /problem must be an object/],
    ['missing name', (p) => delete p.name, /name is missing/],
    ['dim not an integer', (p) => (p.dim = 2.5), /dim must be an integer/],
    ['dim zero', (p) => (p.dim = 0), /dim must be at least 1/],
    ['target out of range', (p) => (p.target = 2), /target 2 is out of range: there are 2 classes/],
    ['negative target', (p) => (p.target = -1), /target -1 is out of range/],
    ['classes not an array', (p) => (p.classes = {}), /classes must be an array/],
    ['no classes', (p) => (p.classes = []), /classes is empty/],
    ['duplicate class name', (p) => (cls(p, 1).name = 'left'), /classes\[1\]\.name "left"/],
    ['no components', (p) => (cls(p, 0).components = []), /classes\[0\]\.components is empty/],
    [
      'mean of wrong length',
      (p) => (comp(p, 1, 0).mean = [1, 2, 3]),
      /classes\[1\]\.components\[0\]\.mean has 3 values, dim is 2/,
    ],
    [
      'non-finite mean',
      (p) => (comp(p, 1, 1).mean = [1, NaN]),
      /classes\[1\]\.components\[1\]\.mean\[1\] must be finite/,
    ],
    [
      'mean not numbers',
      (p) => (comp(p, 0, 0).mean = [1, '2']),
      /classes\[0\]\.components\[0\]\.mean\[1\] must be a number/,
    ],
    [
      'missing std',
      (p) => delete comp(p, 0, 0).std,
      /classes\[0\]\.components\[0\]\.std is missing/,
    ],
    [
      'zero std',
      (p) => (comp(p, 0, 0).std = 0),
      /classes\[0\]\.components\[0\]\.std must be > 0, got 0/,
    ],
    [
      'a std whose variance underflows',
      (p) => (comp(p, 0, 0).std = 1e-300),
      /classes\[0\]\.components\[0\]\.std must square to a positive finite variance, got 1e-300/,
    ],
    [
      'negative std entry',
      (p) => (comp(p, 1, 0).std = [1, -1]),
      /classes\[1\]\.components\[0\]\.std\[1\] must be > 0/,
    ],
    [
      'std of wrong length',
      (p) => (comp(p, 1, 0).std = [1]),
      /classes\[1\]\.components\[0\]\.std has 1 values, dim is 2/,
    ],
    ['infinite std', (p) => (comp(p, 0, 0).std = Infinity), /std must be finite/],
    [
      'negative component weight',
      (p) => (comp(p, 1, 0).weight = -1),
      /classes\[1\]\.components\[0\]\.weight must be > 0/,
    ],
    [
      'zero component weight',
      (p) => (comp(p, 1, 1).weight = 0),
      /classes\[1\]\.components\[1\]\.weight must be > 0/,
    ],
    [
      'unknown key',
      (p) => (comp(p, 1, 0).sd = 1),
      /classes\[1\]\.components\[0\] has unknown key "sd"/,
    ],
    ['unknown top-level key', (p) => (p.clases = []), /problem has unknown key "clases"/],
    ['schedule not an object', (p) => (p.schedule = [1]), /schedule must be an object/],
    ['unknown model kind', (p) => (p.model = { kind: 'magic' }), /model\.kind "magic" is unknown/],
    ['model kind missing', (p) => (p.model = {}), /model\.kind is missing/],
    ['inflated without uncond', (p) => delete (p.model as Json).uncond, /model\.uncond is missing/],
    ['inflated zero cond', (p) => ((p.model as Json).cond = 0), /model\.cond must be > 0/],
    ['negative jitter', (p) => ((p.model as Json).jitter = -0.1), /model\.jitter must be ≥ 0/],
    [
      'fractional jitterSeed',
      (p) => ((p.model as Json).jitterSeed = 1.5),
      /model\.jitterSeed must be an integer/,
    ],
    ['onnx without path', (p) => (p.model = { kind: 'onnx' }), /model\.path is missing/],
    [
      'exact with extra key',
      (p) => (p.model = { kind: 'exact', cond: 2 }),
      /model has unknown key "cond"/,
    ],
  ];
  for (const [label, breakIt, message] of bad) {
    it(`refuses ${label} with a ConfigError naming the path`, () => {
      const raw = validProblem();
      breakIt(raw);
      const json = label === 'not an object' ? [raw] : raw;
      assert.throws(
        () => parseProblem(json, 'p.json'),
        (e: unknown) => {
          assert.ok(e instanceof ConfigError, `expected ConfigError, got ${String(e)}`);
          assert.match(e.message, /^p\.json: /);
          assert.match(e.message, message);
          return true;
        },
      );
    });
  }

  it('loadProblem: missing file and bad JSON are ConfigErrors naming the path; onnx path is resolved', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'diffier-problem-'));
    const missing = join(dir, 'nope.json');
    await assert.rejects(
      loadProblem(missing),
      (e: unknown) => e instanceof ConfigError && e.message.includes(missing),
    );
    const broken = join(dir, 'broken.json');
    await writeFile(broken, '{ "name": ');
    await assert.rejects(
      loadProblem(broken),
      (e: unknown) =>
        e instanceof ConfigError && e.message.includes(broken) && /not valid JSON/.test(e.message),
    );
    const good = join(dir, 'good.json');
    const raw = validProblem();
    raw.model = { kind: 'onnx', path: 'model.onnx' };
    await writeFile(good, JSON.stringify(raw));
    const p = await loadProblem(good);
    assert.deepEqual(p.model, { kind: 'onnx', path: join(dir, 'model.onnx') });
    assert.equal(p.source, good);
  });
});

function problem(): Problem {
  return parseProblem(validProblem());
}

describe('problem → mixtures', () => {
  it('true mixtures: class mixtures, weights class×component, target', () => {
    const t = trueMixtures(problem());
    assert.equal(t.classes.length, 2);
    assert.equal(t.target, 1);
    assert.equal(t.cond, t.classes[1]);
    assert.deepEqual(Array.from(t.uncond.weights), [0.25, 0.1875, 0.5625]);
    assert.deepEqual(Array.from(t.cond.variances), [0.25, 1, 0.3 ** 2, 0.3 ** 2]);
  });

  it('inflated model: stds scaled per model, same jittered means in both, deterministic', () => {
    const p = problem();
    const m = modelMixtures(p);
    const again = modelMixtures(p);
    const t = trueMixtures(p);
    assert.deepEqual(m.cond.means, again.cond.means);
    // cond = target class (components 1, 2 of the unconditional list) with std × 1.1.
    for (let j = 0; j < t.cond.variances.length; j++) {
      assert.ok(Math.abs(m.cond.variances[j] - 1.21 * t.cond.variances[j]) < 1e-12);
    }
    for (let j = 0; j < t.uncond.variances.length; j++) {
      assert.ok(Math.abs(m.uncond.variances[j] - 1.69 * t.uncond.variances[j]) < 1e-12);
    }
    assert.deepEqual(m.cond.means, m.uncond.means.subarray(2));
    const moved = m.cond.means.map((v, j) => v - t.cond.means[j]);
    assert.ok(
      moved.some((v) => v !== 0),
      'jitter moved the means',
    );
    assert.ok(
      moved.every((v) => Math.abs(v) < 0.1 * 6),
      'jitter of std 0.1 stays within 6 std',
    );
  });

  it('exact model is the truth; onnx has no mixture', () => {
    const raw = validProblem();
    delete raw.model;
    const exact = modelMixtures(parseProblem(raw));
    assert.deepEqual(exact.uncond.variances, trueMixtures(parseProblem(raw)).uncond.variances);
    raw.model = { kind: 'onnx', path: 'x.onnx' };
    assert.throws(() => modelMixtures(parseProblem(raw)), ConfigError);
  });
});

describe('GaussianMixture', () => {
  it('single Gaussian: marginal score is −(x − aμ)/(a²σ² + s²), logPdf is the Gaussian', () => {
    const mu = [1, -2, 0.5];
    const v = [0.3, 2, 1];
    const g = new GaussianMixture(3, [1], mu, v);
    const level = noiseLevel(500, 0.4);
    const q = g.marginal(level);
    const x = Float64Array.from([0.7, 1.1, -3, 2, -2, 0.4]);
    const score = q.score(x);
    const logp = q.logPdf(x);
    for (let i = 0; i < 2; i++) {
      let expectedLog = 0;
      for (let d = 0; d < 3; d++) {
        const varT = level.a ** 2 * v[d] + level.s ** 2;
        const r = x[i * 3 + d] - level.a * mu[d];
        assert.ok(Math.abs(score[i * 3 + d] - -r / varT) < 1e-12);
        expectedLog += -0.5 * Math.log(2 * Math.PI * varT) - (r * r) / (2 * varT);
      }
      assert.ok(Math.abs(logp[i] - expectedLog) < 1e-12);
    }
  });

  it('stays finite far from every component (log-sum-exp)', () => {
    const g = new GaussianMixture(1, [0.5, 0.5], [-1, 1], [0.01, 0.01]);
    const x = Float64Array.from([1e3]);
    assert.ok(Number.isFinite(g.logPdf(x)[0]));
    // Far to the right only the right component matters: score = −(x − 1)/0.01.
    assert.ok(Math.abs(g.score(x)[0] - -(1e3 - 1) / 0.01) < 1e-6);
    const r = g.responsibilities(x);
    assert.deepEqual(Array.from(r), [0, 1]);
  });

  it('GmmDenoiser ε = −s∇log q_t matches a central finite difference of logPdf', async () => {
    const p = problem();
    const den = GmmDenoiser.forModel(p);
    const m = modelMixtures(p);
    const level = noiseLevel(300, 0.6);
    const x = new Tensor(Float32Array.from([0.5, 0.25, 2, -1, -1.5, 0.75, 3, 3]), [4, 2]);
    const pred = await den.predict(x, level, 'both');
    assert.ok(pred.uncond, "'both' returns the unconditional prediction");
    const h = 1e-5;
    for (const [mix, eps] of [
      [m.cond.marginal(level), pred.cond],
      [m.uncond.marginal(level), pred.uncond],
    ] as const) {
      for (let i = 0; i < 4; i++) {
        for (let d = 0; d < 2; d++) {
          const plus = Float64Array.from(x.data.subarray(i * 2, i * 2 + 2));
          const minus = Float64Array.from(plus);
          plus[d] += h;
          minus[d] -= h;
          const grad = (mix.logPdf(plus)[0] - mix.logPdf(minus)[0]) / (2 * h);
          const expected = -level.s * grad;
          // float32 output: relative 1e-6, plus the finite-difference error O(h²·f''').
          const got = eps.data[i * 2 + d];
          assert.ok(
            Math.abs(got - expected) < 1e-5 * (1 + Math.abs(expected)),
            `${got} vs ${expected}`,
          );
        }
      }
    }
    const condOnly = await den.predict(x, level, 'cond');
    assert.equal(condOnly.uncond, undefined);
    assert.deepEqual(condOnly.cond.data, pred.cond.data);
  });

  it('GmmDenoiser of one Gaussian: ε = s(x − aμ)/(a²σ² + s²); shape errors are refused', () => {
    const g = new GaussianMixture(1, [1], [2], [0.25]);
    const den = new GmmDenoiser(g, g);
    const level = noiseLevel(10, 0.8);
    const x = new Tensor(Float32Array.from([0, 1, 5]), [3, 1]);
    const eps = den.predictSync(x, level, 'cond').cond.data;
    for (let i = 0; i < 3; i++) {
      const expected = (level.s * (x.data[i] - level.a * 2)) / (level.a ** 2 * 0.25 + level.s ** 2);
      assert.ok(Math.abs(eps[i] - expected) < 1e-6 * (1 + Math.abs(expected)));
    }
    assert.throws(
      () => den.predictSync(new Tensor(new Float32Array(4), [2, 2]), level, 'cond'),
      /expects \[batch, 1\]/,
    );
  });

  it('sample: mean and variance per dimension within 4 standard errors (n = 20000)', () => {
    // Mixture moments: m = Σ w μ, v = Σ w (σ² + μ²) − m², μ4 = Σ w (δ⁴ + 6δ²σ² + 3σ⁴), δ = μ − m.
    // Standard errors: √(v/n) for the mean and √((μ4 − v²)/n) for the sample variance.
    const t = trueMixtures(problem());
    const mix = t.uncond;
    const n = 20000;
    const x = mix.sample(n, new BatchRandom(12345, n)).data;
    for (let d = 0; d < 2; d++) {
      let m = 0;
      for (let c = 0; c < mix.size; c++) m += mix.weights[c] * mix.means[c * 2 + d];
      let v = 0;
      let m4 = 0;
      for (let c = 0; c < mix.size; c++) {
        const delta = mix.means[c * 2 + d] - m;
        const s2 = mix.variances[c * 2 + d];
        v += mix.weights[c] * (s2 + delta * delta);
        m4 += mix.weights[c] * (delta ** 4 + 6 * delta * delta * s2 + 3 * s2 * s2);
      }
      let mean = 0;
      for (let i = 0; i < n; i++) mean += x[i * 2 + d];
      mean /= n;
      let sv = 0;
      for (let i = 0; i < n; i++) sv += (x[i * 2 + d] - mean) ** 2;
      sv /= n - 1;
      assert.ok(Math.abs(mean - m) < 4 * Math.sqrt(v / n), `dim ${d}: mean ${mean} vs ${m}`);
      assert.ok(Math.abs(sv - v) < 4 * Math.sqrt((m4 - v * v) / n), `dim ${d}: var ${sv} vs ${v}`);
    }
  });

  it('sample: item i does not depend on the batch size', () => {
    const mix = trueMixtures(problem()).uncond;
    const a = mix.sample(3, new BatchRandom(9, 3)).data;
    const b = mix.sample(7, new BatchRandom(9, 7)).data;
    assert.deepEqual(a, b.subarray(0, 6));
  });
});
