/**
 * Sampler selection as users do it (project, diffusers `_class_name` and ComfyUI names), the
 * default from a config's `_class_name`, the record of what ran, and the keys a class reads:
 * unsupported values are refused naming the key, keys a class does not read are ignored by it.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConfigError, InvalidOptionError } from '../src/core/errors.js';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readJsonFile } from '../src/models/folder.js';
import { planRun } from '../src/pipelines/run.js';
import { parseSamplerName, resolveSampler } from '../src/samplers/names.js';
import {
  parseSchedulerConfig,
  SD15_SCHEDULER_CONFIG,
  type ScheduleConfig,
} from '../src/schedules/config.js';

function config(json: Record<string, unknown>, warnings: string[] = []): ScheduleConfig {
  return parseSchedulerConfig(json, { warn: (m) => warnings.push(m) });
}

const SD15 = config(SD15_SCHEDULER_CONFIG);

describe('sampler names', () => {
  it('project, diffusers and ComfyUI names reach the same registry entries', () => {
    const entry = (name: string) => parseSamplerName(name).definition.name;
    assert.equal(entry('euler-a'), 'euler-a');
    assert.equal(entry('euler_ancestral'), 'euler-a');
    assert.equal(entry('EulerAncestralDiscreteScheduler'), 'euler-a');
    assert.equal(entry('dpmpp_2m'), 'dpmpp-2m');
    assert.equal(entry('DPMSolverMultistepScheduler'), 'dpmpp-2m');
    assert.equal(entry('dpmpp_2m_sde'), 'dpmpp-2m');
    assert.equal(entry('DDPMScheduler'), 'ddpm');
  });

  it('dpmpp_2m_sde stands for algorithm_type sde-dpmsolver++; dpmpp_2m pins dpmsolver++', () => {
    const sdeConfig = config({ ...SD15_SCHEDULER_CONFIG, algorithm_type: 'sde-dpmsolver++' });
    assert.equal(resolveSampler('dpmpp_2m_sde', SD15).step(10).name, 'dpmpp-2m-sde');
    assert.equal(resolveSampler('dpmpp_2m', sdeConfig).step(10).name, 'dpmpp-2m');
    // The class name defers to the config's own keys.
    assert.equal(
      resolveSampler('DPMSolverMultistepScheduler', sdeConfig).step(10).name,
      'dpmpp-2m-sde',
    );
  });

  it('ComfyUI scheduler names set the σ spacing: dpmpp_2m:karras is DPM-Solver with Karras σ', () => {
    const karras = resolveSampler('dpmpp_2m:karras', SD15).schedule.forSteps(10).levels;
    const viaKeys = resolveSampler(
      'DPMSolverMultistepScheduler:use_karras_sigmas=true',
      SD15,
    ).schedule.forSteps(10).levels;
    const plain = resolveSampler('dpmpp_2m', SD15).schedule.forSteps(10).levels;
    assert.deepEqual(karras, viaKeys);
    assert.notDeepEqual(karras, plain);
    // σ^(1/7) is linear in the step index.
    const root = karras.slice(0, 10).map((l) => l.sigma ** (1 / 7));
    for (let i = 1; i < 9; i++) assert.ok(Math.abs(root[i + 1] - 2 * root[i] + root[i - 1]) < 1e-9);
    const simple = resolveSampler('euler:simple', SD15).schedule.forSteps(10).levels;
    assert.deepEqual(
      simple.slice(0, 3).map((l) => l.timestep),
      [999, 899, 799],
    );
  });

  it('refuses what it cannot honour, by name', () => {
    const refused: [string, RegExp][] = [
      ['heun2', /unknown sampler "heun2"/],
      ['dpmpp_2m:exponential', /exponential/],
      ['dpmpp_2m:bogus', /unknown scheduler "bogus"/],
      ['euler_ancestral:karras', /EulerAncestralDiscreteScheduler has no Karras/],
      ['ddim:=true', /key=value/],
      ['ddim:use_karras_sigmas=true', /DDIMScheduler does not read use_karras_sigmas/],
    ];
    for (const [name, re] of refused) {
      assert.throws(
        () => parseSamplerName(name),
        (e: unknown) => e instanceof InvalidOptionError && re.test(e.message),
        name,
      );
    }
  });
});

describe('the default sampler and the record of what ran', () => {
  it("the config's _class_name picks the sampler; a class we do not implement falls back to DDIM", () => {
    const euler = config({ ...SD15_SCHEDULER_CONFIG, _class_name: 'EulerDiscreteScheduler' });
    assert.equal(resolveSampler(undefined, euler).definition.name, 'euler');
    assert.equal(resolveSampler(undefined, SD15).definition.name, 'ddim');
  });

  it('planRun records the name, the class and every key the class read, resolved', async () => {
    const plan = await planRun(SD15, { sampler: 'dpmpp_2m:karras', steps: 20 });
    assert.equal(plan.samplerName, 'dpmpp_2m:karras');
    const record = plan.samplerRecord;
    assert.equal(record.className, 'DPMSolverMultistepScheduler');
    assert.equal(record.sampler, 'dpmpp-2m');
    assert.equal(record.keys.use_karras_sigmas, true);
    assert.equal(record.keys.algorithm_type, 'dpmsolver++');
    assert.equal(record.keys.final_sigmas_type, 'zero');
    // SD 1.5's leading spacing is read by DPM-Solver; set_alpha_to_one is DDIM's, not its.
    assert.equal(record.keys.timestep_spacing, 'leading');
    assert.equal('set_alpha_to_one' in record.keys, false);
    assert.equal(plan.levels.length, 21);
  });
});

describe("the initial noise (diffusers' init_noise_sigma, in VP units)", () => {
  it('Euler under linspace/trailing starts from z·σ_max/√(σ_max² + 1); leading, DDIM and DPM from z', () => {
    const linear = config({});
    const plan = resolveSampler('euler', linear).schedule.forSteps(10);
    const max = plan.levels[0].sigma;
    assert.ok(Math.abs(plan.initialScale! - max / Math.sqrt(max * max + 1)) < 1e-15);
    assert.ok(plan.initialScale! < 1);
    assert.equal(resolveSampler('euler', SD15).schedule.forSteps(10).initialScale, undefined);
    for (const name of ['ddim', 'dpmpp_2m']) {
      assert.equal(resolveSampler(name, linear).schedule.forSteps(10).initialScale, undefined);
    }
  });
});

describe('config keys per class', () => {
  const refusals: [string, Record<string, unknown>, RegExp][] = [
    ['DDPMScheduler', { variance_type: 'learned_range' }, /variance_type.*DDPMScheduler/],
    ['DDPMScheduler', { variance_type: 'fixed_large_log' }, /variance_type/],
    ['DPMSolverMultistepScheduler', { algorithm_type: 'dpmsolver' }, /algorithm_type/],
    ['DPMSolverMultistepScheduler', { variance_type: 'learned_range' }, /variance_type/],
    ['DPMSolverMultistepScheduler', { use_lu_lambdas: true }, /use_lu_lambdas/],
    ['DPMSolverMultistepScheduler', { use_exponential_sigmas: true }, /use_exponential_sigmas/],
    ['EulerDiscreteScheduler', { timestep_type: 'continuous' }, /timestep_type/],
    ['EulerDiscreteScheduler', { use_beta_sigmas: true }, /use_beta_sigmas/],
  ];
  for (const [cls, keys, re] of refusals) {
    it(`${cls} refuses ${JSON.stringify(keys)} naming the key`, () => {
      const cfg = config({ ...SD15_SCHEDULER_CONFIG, ...keys });
      assert.throws(
        () => resolveSampler(cls, cfg),
        (e: unknown) => e instanceof ConfigError && re.test(e.message),
      );
    });
  }

  it('solver_order 3 (UniPC only) is refused when DPM-Solver reads it; 4 when the config is read', () => {
    const three = config({ solver_order: 3 });
    assert.throws(() => resolveSampler('DPMSolverMultistepScheduler', three), /solver_order/);
    assert.doesNotThrow(() => resolveSampler('UniPCMultistepScheduler', three));
    assert.throws(() => config({ solver_order: 4 }), /solver_order/);
  });

  it('a key a class does not read is ignored by it, as in diffusers', () => {
    // Karras σ's, variance_type learned_range and algorithm_type dpmsolver are not DDIM's keys.
    const cfg = config({
      ...SD15_SCHEDULER_CONFIG,
      use_karras_sigmas: true,
      variance_type: 'learned_range',
      algorithm_type: 'dpmsolver',
    });
    const plain = resolveSampler('ddim', SD15).schedule.forSteps(10);
    assert.deepEqual(resolveSampler('ddim', cfg).schedule.forSteps(10).levels, plain.levels);
    // And Euler reads use_karras_sigmas.
    assert.notDeepEqual(
      resolveSampler('euler', cfg).schedule.forSteps(10).levels,
      resolveSampler('euler', SD15).schedule.forSteps(10).levels,
    );
  });

  it("reads diffusers' DPM-Solver config as Python writes it (lambda_min_clipped: -Infinity)", async () => {
    const path = join(mkdtempSync(join(tmpdir(), 'diffier-')), 'scheduler_config.json');
    writeFileSync(
      path,
      '{"_class_name": "DPMSolverMultistepScheduler", "lambda_min_clipped": -Infinity, "use_karras_sigmas": true}',
    );
    const cfg = config((await readJsonFile(path)) as Record<string, unknown>);
    const chosen = resolveSampler(undefined, cfg);
    assert.equal(chosen.definition.name, 'dpmpp-2m');
    assert.equal(chosen.record().keys.lambda_min_clipped, null);
    assert.equal(chosen.schedule.forSteps(10).levels.length, 11);
  });

  it('a key no class reads is reported by name', () => {
    const warnings: string[] = [];
    config({ ...SD15_SCHEDULER_CONFIG, karras_rho: 7 }, warnings);
    assert.deepEqual(warnings, ['scheduler config: unknown key "karras_rho" ignored']);
  });

  it('ε-prediction at zero SNR is refused for DDIM and DDPM before any work; v runs', () => {
    const zero = { rescale_betas_zero_snr: true, timestep_spacing: 'trailing' };
    for (const cls of ['DDIMScheduler', 'DDPMScheduler']) {
      assert.throws(
        () => resolveSampler(cls, config(zero)).schedule.forSteps(10),
        (e: unknown) => e instanceof ConfigError && /rescale_betas_zero_snr/.test(e.message),
      );
      const v = resolveSampler(cls, config({ ...zero, prediction_type: 'v_prediction' }));
      assert.equal(v.schedule.forSteps(10).levels[0].alphaBar, 0);
    }
  });
});
