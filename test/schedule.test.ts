/**
 * Schedules: every golden value is derived here independently of src/schedules/
 * (plain loops over the defining formulas, closed forms, or numbers quoted from diffusers).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConfigError, InvalidOptionError } from '../src/core/errors.js';
import {
  FINAL_TIMESTEP,
  SD15_SCHEDULE,
  SD15_SCHEDULER_CONFIG,
  parseSchedulerConfig,
  schedulerConfigJson,
} from '../src/schedules/config.js';
import { ddimPlan, eulerPlan } from '../src/schedules/plans.js';
import type { ScheduleConfig } from '../src/schedules/config.js';

/** DDIMScheduler's levels and network timesteps. */
const samplingLevels = (cfg: ScheduleConfig, n: number) => [...ddimPlan(cfg, n).levels];
const samplingTimesteps = (cfg: ScheduleConfig, n: number) =>
  samplingLevels(cfg, n)
    .slice(0, -1)
    .map((l) => l.timestep);
/** EulerDiscreteScheduler's levels (Karras σ's are read by Euler, not DDIM). */
const eulerLevels = (cfg: ScheduleConfig, n: number) => [...eulerPlan(cfg, n).levels];
import { alphaBarAt, alphasCumprod, betas } from '../src/schedules/discrete.js';

/** Parse without letting warnings reach stderr; returns the warnings too. */
function parse(json: unknown): {
  cfg: ReturnType<typeof parseSchedulerConfig>;
  warnings: string[];
} {
  const warnings: string[] = [];
  const cfg = parseSchedulerConfig(json, { warn: (m) => warnings.push(m) });
  return { cfg, warnings };
}

/**
 * The tables are float32, as diffusers builds them (src/schedules/discrete.ts): against the
 * exact float64 products they differ by the float32 rounding of each 1 − β and of the stored
 * ᾱ, measured at most 1.2e-6 relative (SD 1.5) over the 1000 entries.
 */
const F32_TABLE = 2e-6;

function close(actual: number, expected: number, rel: number, what: string): void {
  assert.ok(
    Math.abs(actual - expected) <= rel * Math.abs(expected),
    `${what}: ${actual} vs ${expected} (rel tol ${rel})`,
  );
}

/** SD1.5's ᾱ by the defining product: √β linear from √0.00085 to √0.012 over 1000 steps. */
function sd15AlphaBarByLoop(): number[] {
  const out: number[] = [];
  const lo = Math.sqrt(0.00085);
  const hi = Math.sqrt(0.012);
  let prod = 1;
  for (let i = 0; i < 1000; i++) {
    const sqrtBeta = lo + ((hi - lo) * i) / 999;
    prod *= 1 - sqrtBeta * sqrtBeta;
    out.push(prod);
  }
  return out;
}

describe('beta schedules and ᾱ', () => {
  it('SD1.5 scaled_linear matches the product formula, ᾱ_999 ≈ 0.00466', () => {
    const ab = alphasCumprod(SD15_SCHEDULE);
    const ref = sd15AlphaBarByLoop();
    assert.equal(ab.length, 1000);
    for (let t = 0; t < 1000; t++) close(ab[t], ref[t], F32_TABLE, `ᾱ_${t}`);
    // diffusers (float32) prints alphas_cumprod[-1] = 0.0046601; ᾱ_0 = 1 − 0.00085.
    assert.ok(Math.abs(ab[999] - 0.0046601) < 1e-6, `ᾱ_999 = ${ab[999]}`);
    close(ab[0], 0.99915, F32_TABLE, 'ᾱ_0');
  });

  it('default linear schedule (DDPM 1e-4 … 0.02) gives ᾱ_999 ≈ 4.036e-5', () => {
    const { cfg } = parse({});
    const ab = alphasCumprod(cfg);
    let prod = 1;
    for (let i = 0; i < 1000; i++) prod *= 1 - (1e-4 + ((0.02 - 1e-4) * i) / 999);
    close(ab[999], prod, F32_TABLE, 'ᾱ_999');
    assert.ok(Math.abs(ab[999] - 4.036e-5) < 1e-8);
  });

  it('squaredcos_cap_v2 telescopes to f((t+1)/T)/f(0) and caps the last beta at 0.999', () => {
    const { cfg } = parse({ beta_schedule: 'squaredcos_cap_v2' });
    // ∏ f((i+1)/T)/f(i/T) over i ≤ t telescopes, as long as no beta was capped.
    const f = (u: number) => Math.cos(((u + 0.008) / 1.008) * (Math.PI / 2)) ** 2;
    const ab = alphasCumprod(cfg);
    for (const t of [0, 1, 100, 500, 900, 990])
      close(ab[t], f((t + 1) / 1000) / f(0), F32_TABLE, `ᾱ_${t}`);
    const b = betas(cfg);
    assert.equal(b[999], Math.fround(0.999)); // 1 − f(1)/f(0.999) ≈ 1 would exceed the cap
    assert.ok(b[998] < Math.fround(0.999));
  });

  it('trained_betas override the named schedule', () => {
    const trained = [0.1, 0.2, 0.3, 0.4];
    const { cfg } = parse({
      num_train_timesteps: 4,
      trained_betas: trained,
      beta_schedule: 'scaled_linear',
    });
    const f = Math.fround;
    // float32 betas and 1 − β, products in float64 stored as float32 (torch's cumprod).
    const alphas = trained.map((b) => f(1 - f(b)));
    assert.deepEqual(Array.from(alphasCumprod(cfg)), [
      f(alphas[0]),
      f(alphas[0] * alphas[1]),
      f(alphas[0] * alphas[1] * alphas[2]),
      f(alphas[0] * alphas[1] * alphas[2] * alphas[3]),
    ]);
    // Without num_train_timesteps, the betas give the count.
    assert.equal(parse({ trained_betas: trained }).cfg.numTrainTimesteps, 4);
  });

  it('rescale_betas_zero_snr maps √ᾱ affinely so that ᾱ_0 is kept and ᾱ_999 = 0', () => {
    const { cfg } = parse({ ...SD15_SCHEDULER_CONFIG, rescale_betas_zero_snr: true });
    const ab = alphasCumprod(cfg);
    const ref = sd15AlphaBarByLoop().map(Math.sqrt);
    // Lin et al. 2023 Alg. 1: √ᾱ' = (√ᾱ − √ᾱ_T)·√ᾱ_0/(√ᾱ_0 − √ᾱ_T).
    const scale = ref[0] / (ref[0] - ref[999]);
    for (const t of [0, 1, 250, 500, 998])
      close(Math.sqrt(ab[t]), (ref[t] - ref[999]) * scale, F32_TABLE, `√ᾱ'_${t}`);
    assert.equal(ab[999], 0);
    assert.equal(betas(cfg)[999], 1);
  });
});

describe('timestep spacing (as diffusers DDIMScheduler.set_timesteps)', () => {
  it('leading, 50 steps, steps_offset 1: 981, 961, …, 1', () => {
    const ts = samplingTimesteps(SD15_SCHEDULE, 50);
    assert.deepEqual(
      ts,
      Array.from({ length: 50 }, (_, k) => 981 - 20 * k),
    );
  });

  it('trailing, 50 steps: 999, 979, …, 19', () => {
    const { cfg } = parse({ timestep_spacing: 'trailing' });
    assert.deepEqual(
      samplingTimesteps(cfg, 50),
      Array.from({ length: 50 }, (_, k) => 999 - 20 * k),
    );
  });

  it('linspace, 50 steps: round(999·i/49), reversed', () => {
    const { cfg } = parse({ timestep_spacing: 'linspace' });
    // 999·i/49 is never a half-integer (49 ∤ 999·i for i < 49), so Math.round is numpy's round.
    const expected = Array.from({ length: 50 }, (_, k) => Math.round((999 * (49 - k)) / 49));
    const ts = samplingTimesteps(cfg, 50);
    assert.deepEqual(ts, expected);
    assert.deepEqual(ts.slice(0, 4), [999, 979, 958, 938]);
    assert.equal(ts[49], 0);
  });

  it('ties round half to even, as numpy does', () => {
    // trailing T=10, N=4: arange(10, 0, −2.5) = 10, 7.5, 5, 2.5 → round → 10, 8, 5, 2 → −1.
    assert.deepEqual(
      samplingTimesteps(parse({ num_train_timesteps: 10, timestep_spacing: 'trailing' }).cfg, 4),
      [9, 7, 4, 1],
    );
    // linspace T=6, N=3: 0, 2.5, 5 → 0, 2, 5.
    assert.deepEqual(
      samplingTimesteps(parse({ num_train_timesteps: 6, timestep_spacing: 'linspace' }).cfg, 3),
      [5, 2, 0],
    );
  });

  it('trailing follows the fill of numpy arange (start + i·δ), not T − i·T/N', () => {
    // arange(1000, 0, −1000/48) stores δ = (1000 − 20.833…) − 1000, so entry 3 is
    // 937.4999999999999 (→ 937 → 936), where 1000 − 3·1000/48 = 937.5 would round to 938.
    const ts = samplingTimesteps(parse({ timestep_spacing: 'trailing' }).cfg, 48);
    assert.deepEqual(ts.slice(0, 5), [999, 978, 957, 936, 916]);
  });

  it('trailing keeps N steps where numpy arange would give N + 1 (T=1000, N=61)', () => {
    // numpy: np.round(np.arange(1000, 0, -1000/61)) − 1 ends …, 32, 15, −1 (62 entries).
    const ts = samplingTimesteps(parse({ timestep_spacing: 'trailing' }).cfg, 61);
    assert.equal(ts.length, 61);
    assert.deepEqual(ts.slice(-2), [32, 15]);
  });

  it('rejects step counts outside 1 … T and offsets past T − 1', () => {
    for (const n of [0, -1, 2.5, 1001, Number.NaN]) {
      assert.throws(() => samplingLevels(SD15_SCHEDULE, n), InvalidOptionError, String(n));
    }
    // leading 1000 steps with steps_offset 1 would reach timestep 1000.
    assert.throws(() => samplingLevels(SD15_SCHEDULE, 1000), /steps_offset/);
    assert.equal(samplingLevels(parse({}).cfg, 1000).length, 1001);
  });
});

describe('sampling levels', () => {
  it('SD1.5, 50 steps: 51 levels, network timesteps then the final level at ᾱ_0', () => {
    const levels = samplingLevels(SD15_SCHEDULE, 50);
    const ref = sd15AlphaBarByLoop();
    assert.equal(levels.length, 51);
    assert.equal(levels[0].timestep, 981);
    close(levels[0].alphaBar, ref[981], F32_TABLE, 'ᾱ_981');
    close(levels[49].alphaBar, ref[1], F32_TABLE, 'ᾱ_1');
    const last = levels[50];
    assert.equal(last.timestep, FINAL_TIMESTEP);
    close(last.alphaBar, ref[0], F32_TABLE, 'final ᾱ (set_alpha_to_one false)');
    for (let i = 1; i < levels.length; i++) assert.ok(levels[i].sigma < levels[i - 1].sigma);
    for (const l of levels) close(l.a * l.a + l.s * l.s, 1, 1e-12, 'a² + s²');
  });

  it('set_alpha_to_one: the final level is clean (ᾱ = 1, σ = 0)', () => {
    const { cfg } = parse({ ...SD15_SCHEDULER_CONFIG, set_alpha_to_one: true });
    const last = samplingLevels(cfg, 10).at(-1)!;
    assert.equal(last.alphaBar, 1);
    assert.equal(last.sigma, 0);
  });

  it('use_karras_sigmas: ρ = 7 ramp between the spaced σ ends, log-σ timesteps, final σ = 0', () => {
    const { cfg } = parse({ ...SD15_SCHEDULER_CONFIG, use_karras_sigmas: true });
    const levels = eulerLevels(cfg, 25);
    const ref = sd15AlphaBarByLoop();
    const sig = ref.map((ab) => Math.sqrt((1 - ab) / ab));
    assert.equal(levels.length, 26);
    // Ends: σ at the first and last leading timesteps (961 and 1 for 25 steps, offset 1).
    close(levels[0].sigma, sig[961], F32_TABLE, 'σ_max');
    close(levels[24].sigma, sig[1], F32_TABLE, 'σ_min');
    // σ^(1/7) is linear in the step index.
    const root = levels.slice(0, 25).map((l) => l.sigma ** (1 / 7));
    for (let i = 1; i < 24; i++)
      assert.ok(Math.abs(root[i + 1] - 2 * root[i] + root[i - 1]) < 1e-12);
    // Each timestep puts log σ on the segment between its two neighbouring training levels
    // (to the float32 tables and timesteps diffusers keeps).
    for (const l of levels.slice(0, 25)) {
      const lo = Math.min(Math.floor(l.timestep), 998);
      const w = l.timestep - lo;
      const logSigma = (1 - w) * Math.log(sig[lo]) + w * Math.log(sig[lo + 1]);
      assert.ok(Math.abs(logSigma - Math.log(l.sigma)) < 2e-5, `t=${l.timestep}`);
    }
    // diffusers (EulerDiscreteScheduler, re-run in numpy) gives timesteps[1] = 931.990173.
    assert.ok(Math.abs(levels[1].timestep - 931.990173) < 1e-4);
    const last = levels[25];
    assert.equal(last.sigma, 0);
    assert.equal(last.alphaBar, 1);
    assert.equal(last.timestep, FINAL_TIMESTEP);
  });

  it('use_karras_sigmas honours sigma_min / sigma_max', () => {
    const { cfg } = parse({
      ...SD15_SCHEDULER_CONFIG,
      use_karras_sigmas: true,
      sigma_min: 0.1,
      sigma_max: 10,
    });
    const levels = eulerLevels(cfg, 5);
    close(levels[0].sigma, 10, 1e-12, 'σ_max');
    close(levels[4].sigma, 0.1, 1e-12, 'σ_min');
  });

  it('alphaBarAt: exact at integers, σ linear in t in between', () => {
    const ref = sd15AlphaBarByLoop();
    assert.equal(alphaBarAt(SD15_SCHEDULE, 500), alphasCumprod(SD15_SCHEDULE)[500]);
    const s = (t: number) => Math.sqrt((1 - ref[t]) / ref[t]);
    const sigma = 0.25 * s(500) + 0.75 * s(501);
    close(alphaBarAt(SD15_SCHEDULE, 500.75), 1 / (1 + sigma * sigma), F32_TABLE, 'ᾱ(500.75)');
    assert.throws(() => alphaBarAt(SD15_SCHEDULE, 999.5), InvalidOptionError);
    assert.throws(() => alphaBarAt(SD15_SCHEDULE, -0.1), InvalidOptionError);
  });
});

describe('parseSchedulerConfig', () => {
  it('applies diffusers DDIM defaults to an empty object', () => {
    const { cfg, warnings } = parse({});
    assert.deepEqual(warnings, []);
    assert.equal(cfg.numTrainTimesteps, 1000);
    assert.equal(cfg.betaStart, 0.0001);
    assert.equal(cfg.betaEnd, 0.02);
    assert.equal(cfg.betaSchedule, 'linear');
    assert.equal(cfg.stepsOffset, 0);
    assert.equal(cfg.predictionType, 'epsilon');
    assert.equal(cfg.trainedBetas, null);
    assert.equal(cfg.className, null);
  });

  it('reads the SD1.5 config', () => {
    assert.equal(SD15_SCHEDULE.betaSchedule, 'scaled_linear');
    assert.equal(SD15_SCHEDULE.betaStart, 0.00085);
    assert.equal(SD15_SCHEDULE.betaEnd, 0.012);
    assert.equal(SD15_SCHEDULE.stepsOffset, 1);
    assert.equal(SD15_SCHEDULE.keys.set_alpha_to_one, false);
    assert.equal(SD15_SCHEDULE.className, 'PNDMScheduler');
    assert.equal(SD15_SCHEDULE.predictionType, 'epsilon');
  });

  it('round-trips through diffusers keys', () => {
    const { cfg } = parse({
      ...SD15_SCHEDULER_CONFIG,
      timestep_spacing: 'trailing',
      rescale_betas_zero_snr: true,
    });
    const again = parse(schedulerConfigJson(cfg));
    assert.deepEqual(again.cfg, cfg);
    assert.deepEqual(again.warnings, []);
  });

  it('warns about unknown keys (once each, naming them), not about known ones', () => {
    const { warnings } = parse({
      ...SD15_SCHEDULER_CONFIG,
      _diffusers_version: '0.30.0',
      thresholding: false,
      solver_order: 2,
      use_karras_sigmas: false,
      beta_shedule: 'linear',
      foo: 1,
    });
    assert.equal(warnings.length, 2);
    assert.match(warnings[0], /beta_shedule/);
    assert.match(warnings[1], /foo/);
  });

  it('defaults the warning to console.warn', () => {
    const original = console.warn;
    const seen: unknown[] = [];
    console.warn = (m: unknown) => seen.push(m);
    try {
      parseSchedulerConfig({ bogus_key: 1 });
    } finally {
      console.warn = original;
    }
    assert.equal(seen.length, 1);
    assert.match(String(seen[0]), /bogus_key/);
  });

  const invalid: [string, unknown][] = [
    ['num_train_timesteps', { num_train_timesteps: 0 }],
    ['num_train_timesteps', { num_train_timesteps: 10.5 }],
    ['num_train_timesteps', { num_train_timesteps: '1000' }],
    ['beta_start', { beta_start: -0.1 }],
    ['beta_start', { beta_start: null }],
    ['beta_end', { beta_start: 0.01, beta_end: 0.01 }],
    ['beta_end', { beta_start: 0.02, beta_end: 0.01 }],
    ['beta_end', { beta_end: 1.5 }],
    ['beta_schedule', { beta_schedule: 'cosine' }],
    ['timestep_spacing', { timestep_spacing: 'uniform' }],
    ['prediction_type', { prediction_type: 'flow' }],
    ['steps_offset', { steps_offset: -1 }],
    ['set_alpha_to_one', { set_alpha_to_one: 'false' }],
    ['rescale_betas_zero_snr', { rescale_betas_zero_snr: 1 }],
    ['use_karras_sigmas', { use_karras_sigmas: 'yes' }],
    ['sigma_min', { sigma_min: 0 }],
    ['sigma_max', { sigma_min: 2, sigma_max: 1 }],
    ['trained_betas', { num_train_timesteps: 3, trained_betas: [0.1, 0.2] }],
    ['trained_betas', { trained_betas: [0.1, 1] }],
    ['trained_betas', { trained_betas: [0, 0.5] }],
    ['trained_betas', { trained_betas: 'abc' }],
  ];
  for (const [key, json] of invalid) {
    it(`rejects ${JSON.stringify(json)} naming ${key}`, () => {
      assert.throws(
        () => parse(json),
        (e: unknown) => e instanceof ConfigError && e.message.includes(key),
      );
    });
  }

  it('rejects a non-object', () => {
    for (const json of [null, [], 'x', 3]) assert.throws(() => parse(json), ConfigError);
  });
});
