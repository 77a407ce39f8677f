import { createGuidanceRule } from '../guidance/index.js';
import type { MethodSpec, OptionSpec, OptionValue } from './types.js';

/** Options with an undefined value are left to the rule's own default. */
function given(options: Readonly<Record<string, OptionValue>>): Record<string, OptionValue> {
  return Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined));
}

function guidanceMethod(name: string, summary: string, options: OptionSpec[]): MethodSpec {
  return {
    name,
    summary,
    options,
    build: (w, opts, schedule) => ({
      rule: createGuidanceRule(name, { ...given(opts), w }, { levels: schedule.levels }),
      wrappers: [],
    }),
  };
}

/** The guidance rules of guidance/, each as a method of its own. */
export const GUIDANCE_METHODS: readonly MethodSpec[] = [
  guidanceMethod('cfg', 'classifier-free guidance, ε_u + w(ε_c − ε_u) (Ho & Salimans 2022)', []),
  guidanceMethod(
    'rescale',
    'CFG followed by guidance rescale (Lin et al. 2023), ε-space as diffusers',
    [{ key: 'phi', kind: 'number', default: 0.7, description: 'rescale strength φ in [0, 1]' }],
  ),
  guidanceMethod('cfgpp', 'CFG++ (Chung et al. 2024): x̂0 from ε_λ, re-noised with ε_u', [
    {
      key: 'lambda',
      kind: 'number',
      description:
        'CFG++ scale λ; default λ = w·ρ, ρ = median_t (σ_t − σ_s)/σ_t, so w means the same median weight as CFG',
    },
  ]),
  guidanceMethod('apg', 'adaptive projected guidance (Sadat et al. 2024), in x̂0 space', [
    {
      key: 'eta',
      kind: 'number',
      default: 0,
      description: 'weight η of the component parallel to x̂0_c',
    },
    {
      key: 'momentum',
      kind: 'number',
      default: -0.5,
      description: 'momentum β of the running average',
    },
    {
      key: 'normThreshold',
      kind: 'number-or-inf',
      default: 15,
      description: 'norm threshold r (0 or inf = off)',
    },
  ]),
  guidanceMethod('cfg-zero', 'CFG-Zero* (Fan et al. 2025): optimised scale s*, zero-init steps', [
    {
      key: 'zeroInitSteps',
      kind: 'integer',
      default: 1,
      description: 'first steps whose ε is zeroed',
    },
  ]),
  guidanceMethod('interval', 'guidance only for σ_lo < σ ≤ σ_hi (Kynkäänniemi et al. 2024)', [
    { key: 'sigmaLo', kind: 'number', default: 0.28, description: 'lower σ bound (exclusive)' },
    {
      key: 'sigmaHi',
      kind: 'number-or-inf',
      default: 5.42,
      description: 'upper σ bound (inclusive)',
    },
  ]),
  guidanceMethod('threshold', 'CFG with dynamic thresholding of x̂0 (Saharia et al. 2022)', [
    { key: 'quantile', kind: 'number', default: 0.995, description: 'percentile p of |x̂0|' },
    {
      key: 'maxValue',
      kind: 'number',
      default: 1,
      description: 'upper clamp of the threshold s (diffusers sample_max_value)',
    },
  ]),
  guidanceMethod('eps-scaling', 'CFG with epsilon scaling ε/λ (Ning et al. 2024)', [
    { key: 'scalingFactor', kind: 'number', default: 1.005, description: 'λ (1 = off)' },
  ]),
];
