/**
 * Picking the new samplers as users do (project, diffusers `_class_name` and ComfyUI names),
 * the keys each class reads, and the keys the project does not implement: refused by name.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConfigError, InvalidOptionError } from '../src/core/errors.js';
import { SD15_SCHEDULER_CONFIG, parseSchedulerConfig, resolveSampler } from '../src/index.js';
import { samplerNames } from '../src/samplers/index.js';

const config = (extra: Record<string, unknown> = {}) =>
  parseSchedulerConfig({ ...SD15_SCHEDULER_CONFIG, ...extra }, { warn: () => {} });

describe('new sampler names', () => {
  it('project, diffusers and ComfyUI names resolve to the same entries', () => {
    const cases: [string, string, string][] = [
      ['heun', 'heun', 'HeunDiscreteScheduler'],
      ['HeunDiscreteScheduler', 'heun', 'HeunDiscreteScheduler'],
      ['dpmpp_sde', 'dpmpp-sde', 'DPMSolverSDEScheduler'],
      ['DPMSolverSDEScheduler', 'dpmpp-sde', 'DPMSolverSDEScheduler'],
      ['uni_pc', 'unipc', 'UniPCMultistepScheduler'],
      ['uni_pc_bh2', 'unipc', 'UniPCMultistepScheduler'],
      ['UniPCMultistepScheduler', 'unipc', 'UniPCMultistepScheduler'],
      ['lms', 'lms', 'LMSDiscreteScheduler'],
      ['LMSDiscreteScheduler', 'lms', 'LMSDiscreteScheduler'],
      ['lcm', 'lcm', 'LCMScheduler'],
      ['LCMScheduler', 'lcm', 'LCMScheduler'],
    ];
    for (const [name, sampler, className] of cases) {
      const record = resolveSampler(name, config()).record();
      assert.equal(record.sampler, sampler, name);
      assert.equal(record.className, className, name);
      assert.ok(samplerNames().includes(name), name);
    }
  });

  it("ComfyUI's uni_pc is bh1 and uni_pc_bh2 bh2, both of order 3; UniPC's default is bh2, order 2", () => {
    const keys = (name: string) => resolveSampler(name, config()).record().keys;
    assert.equal(keys('uni_pc').solver_type, 'bh1');
    assert.equal(keys('uni_pc').solver_order, 3);
    assert.equal(keys('uni_pc_bh2').solver_type, 'bh2');
    assert.equal(keys('unipc').solver_type, 'bh2');
    assert.equal(keys('unipc').solver_order, 2);
    // diffusers maps DPM-Solver's solver types to bh2 for UniPC.
    assert.equal(
      resolveSampler('unipc', config({ solver_type: 'midpoint' })).record().keys.solver_type,
      'bh2',
    );
  });

  it('a scheduler_config.json _class_name picks the sampler; :karras gives Karras σ’s', () => {
    assert.equal(
      resolveSampler(undefined, config({ _class_name: 'UniPCMultistepScheduler' })).record()
        .sampler,
      'unipc',
    );
    assert.equal(
      resolveSampler(undefined, config({ _class_name: 'LCMScheduler' })).record().sampler,
      'lcm',
    );
    const levels = resolveSampler('heun:karras', config()).schedule.forSteps(5).levels;
    const plain = resolveSampler('heun', config()).schedule.forSteps(5).levels;
    assert.equal(levels[0].sigma.toFixed(6), plain[0].sigma.toFixed(6));
    assert.notEqual(levels[2].sigma, plain[2].sigma);
    assert.throws(() => resolveSampler('lcm:karras', config()), InvalidOptionError);
  });

  it('each class reads its own keys, with its defaults (recorded for the sidecar)', () => {
    const keys = (name: string) => Object.keys(resolveSampler(name, config()).record().keys).sort();
    assert.deepEqual(keys('lcm'), [
      'clip_sample',
      'clip_sample_range',
      'dynamic_thresholding_ratio',
      'original_inference_steps',
      'sample_max_value',
      'set_alpha_to_one',
      'thresholding',
      'timestep_scaling',
      'timestep_spacing',
    ]);
    assert.ok(keys('heun').includes('clip_sample') && !keys('heun').includes('thresholding'));
    assert.ok(keys('unipc').includes('disable_corrector'));
    assert.equal(resolveSampler('heun', config()).record().keys.clip_sample, false);
    assert.equal(
      resolveSampler('lcm', config({ timestep_scaling: 5 })).record().keys.timestep_scaling,
      5,
    );
  });

  it('keys the project does not implement are a ConfigError naming the key and class', () => {
    const refused: [string, Record<string, unknown>, RegExp][] = [
      ['dpmpp-sde', { noise_sampler_seed: 3 }, /noise_sampler_seed.*DPMSolverSDEScheduler/],
      ['unipc', { predict_x0: false }, /predict_x0.*UniPCMultistepScheduler/],
      ['unipc', { solver_p: 'DDIMScheduler' }, /solver_p/],
      ['unipc', { use_flow_sigmas: true }, /use_flow_sigmas/],
      ['heun', { use_exponential_sigmas: true }, /use_exponential_sigmas.*HeunDiscreteScheduler/],
      [
        'DPMSolverMultistepScheduler',
        { solver_order: 3 },
        /solver_order.*DPMSolverMultistepScheduler/,
      ],
    ];
    for (const [name, keys, message] of refused) {
      assert.throws(
        () => resolveSampler(name, config(keys)),
        (e: unknown) => e instanceof ConfigError && message.test(e.message),
        `${name} ${JSON.stringify(keys)}`,
      );
    }
    // Bad values are refused at parse time, whichever class reads them.
    assert.throws(() => config({ solver_order: 4 }), ConfigError);
    assert.throws(() => config({ disable_corrector: [1.5] }), ConfigError);
    assert.throws(() => config({ original_inference_steps: 0 }), ConfigError);
    // Keys a class does not read are ignored by it, as in diffusers.
    assert.doesNotThrow(() => resolveSampler('heun', config({ noise_sampler_seed: 3 })));
  });

  it('LCM takes at most original_inference_steps steps (a typed error, as in diffusers)', () => {
    const plan = resolveSampler('lcm', config({ original_inference_steps: 8 })).schedule;
    assert.deepEqual(
      plan.forSteps(2).levels.map((l) => l.timestep),
      [999, 499, -1],
    );
    assert.throws(() => plan.forSteps(9), InvalidOptionError);
  });
});
