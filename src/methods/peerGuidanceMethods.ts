/**
 * Three published peers of DiffIER as named methods: increasing weight schedules (Wang et
 * al. 2024), frequency-decoupled guidance (Sadat et al. 2025) and characteristic guidance
 * (Zheng & Lan 2024). docs/guidance.md gives their formulas and defaults.
 */
import {
  characteristic,
  CHARACTERISTIC_DEFAULTS,
  type CharacteristicOptions,
  type CharacteristicProjection,
} from '../transitions/characteristic.js';
import { cfg } from '../guidance/cfg.js';
import { FDG_DEFAULTS, fdg } from '../guidance/fdg.js';
import {
  WEIGHT_SCHEDULE_DEFAULTS,
  WEIGHT_SCHEDULE_SHAPES,
  weightSchedule,
  type WeightScheduleShape,
} from '../guidance/weightSchedule.js';
import type { MethodSpec, OptionValue } from './types.js';

const num = (v: OptionValue | undefined): number | undefined =>
  v === undefined ? undefined : Number(v);

export const PEER_GUIDANCE_METHODS: readonly MethodSpec[] = [
  {
    name: 'cfg-schedule',
    summary:
      'CFG with an increasing weight w_t = 1 + (w − 1)·f(t), mean w over the steps (Wang et al. 2024)',
    options: [
      {
        key: 'shape',
        kind: 'choice',
        choices: WEIGHT_SCHEDULE_SHAPES,
        default: WEIGHT_SCHEDULE_DEFAULTS.shape,
        description:
          'f: linear 2(1 − τ), cosine 1 + cos(πτ), constant 1 (= CFG); τ = 1 at pure noise',
      },
    ],
    build: (w, o) => ({
      rule: weightSchedule(w, { shape: o.shape as WeightScheduleShape }),
      wrappers: [],
    }),
  },
  {
    name: 'fdg',
    summary:
      'frequency-decoupled guidance (Sadat et al. 2025): Laplacian-pyramid low/high bands of ε_c − ε_u, own weights',
    options: [
      { key: 'wLow', kind: 'number', description: 'weight of the low band; default w' },
      {
        key: 'wHigh',
        kind: 'number',
        description: 'weight of the high band; default 1 + 2(w − 1)',
      },
      {
        key: 'depth',
        kind: 'integer',
        range: { min: 1, max: 16 },
        default: FDG_DEFAULTS.depth,
        description: 'pyramid depth of the low band (levels − 1)',
      },
    ],
    build: (w, o) => ({
      rule: fdg({ w, wLow: num(o.wLow), wHigh: num(o.wHigh), depth: num(o.depth) }),
      wrappers: [],
    }),
  },
  {
    name: 'characteristic',
    summary:
      'characteristic guidance (Zheng & Lan 2024): per-step fixed-point correction Δx of CFG, Anderson-accelerated',
    options: [
      {
        key: 'maxIter',
        kind: 'integer',
        range: { min: 0 },
        default: CHARACTERISTIC_DEFAULTS.maxIter,
        description: 'iterations per step after the CFG evaluation (3 evaluations each; 0 = CFG)',
      },
      {
        key: 'tol',
        kind: 'number',
        range: { min: 0, minOpen: true },
        default: CHARACTERISTIC_DEFAULTS.tol,
        description: 'stop when the RMS residual of the fixed point is below this',
      },
      {
        key: 'memory',
        kind: 'integer',
        range: { min: 0 },
        default: CHARACTERISTIC_DEFAULTS.memory,
        description: 'Anderson memory m (0 = plain fixed-point iteration)',
      },
      {
        key: 'stepSize',
        kind: 'number',
        range: { min: 0, minOpen: true },
        default: CHARACTERISTIC_DEFAULTS.stepSize,
        description: 'mixing β of the iteration',
      },
      {
        key: 'projection',
        kind: 'choice',
        choices: ['direction', 'none'],
        default: CHARACTERISTIC_DEFAULTS.projection,
        description: 'P: onto the sample’s CFG direction (one coefficient) or none (full Δx)',
      },
      {
        key: 'reg',
        kind: 'number',
        range: { min: 0 },
        default: CHARACTERISTIC_DEFAULTS.reg,
        description: 'ridge of the projection, P(v) = Π(v)/(1 + reg); 0 = the paper’s equation',
      },
    ],
    build: (w, o) => {
      const options: CharacteristicOptions = {
        maxIter: num(o.maxIter),
        tol: num(o.tol),
        memory: num(o.memory),
        stepSize: num(o.stepSize),
        projection: o.projection as CharacteristicProjection,
        reg: num(o.reg),
      };
      return {
        rule: cfg(w),
        wrappers: [characteristic(options)],
        // The cost depends on convergence: plan for every step using every iteration.
        planning: { rule: cfg(w), wrappers: [characteristic({ ...options, exhaustive: true })] },
      };
    },
  },
];
