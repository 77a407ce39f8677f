import {
  DIFFIER_STEP_DEFAULTS,
  DIFFIER_STEP_MAX_ITERATIONS,
  diffierStep,
} from '../transitions/diffier.js';
import { pcg } from '../transitions/pcg.js';
import { restart, restartDefaults } from '../transitions/restart.js';
import { zSampling } from '../transitions/zsampling.js';
import { createGuidanceRule } from '../guidance/index.js';
import type { MethodSpec, OptionValue } from './types.js';

const num = (v: OptionValue | undefined): number | undefined =>
  v === undefined ? undefined : Number(v);

const D = DIFFIER_STEP_DEFAULTS;
/** DiffIER's per-step counts (transitions/diffier.ts checks the same bound). */
const COUNT_16 = { min: 0, max: DIFFIER_STEP_MAX_ITERATIONS } as const;
/** A per-step or per-run count of the peers: more than this is a typo, not a setting. */
const COUNT_64 = { min: 0, max: 64 } as const;

/**
 * DiffIER: iterative error minimisation of every guided step, per sample, on any base
 * rule (transitions/diffier.ts). The defaults are the project's one configuration for all
 * tasks (docs/diffier.md says how they were chosen).
 */
export const DIFFIER_METHOD: MethodSpec = {
  name: 'diffier',
  summary:
    'DiffIER: per-sample inner loop that guides each step by the share of the guidance the network adopts, then a conditional corrector',
  options: [
    {
      key: 'base',
      kind: 'choice',
      default: 'cfg',
      choices: ['cfg', 'apg', 'rescale', 'cfg-zero', 'interval', 'eps-scaling'],
      description: 'the guidance rule being corrected (its own defaults)',
    },
    {
      key: 'iterations',
      kind: 'integer',
      default: D.iterations,
      range: COUNT_16,
      description: 'inner-loop probes per step, one conditional evaluation each',
    },
    {
      key: 'tol',
      kind: 'number',
      default: D.tol,
      range: { min: 0, max: 1 },
      description: 'stop a sample’s loop once its guidance fraction moves by ≤ tol',
    },
    {
      key: 'q',
      kind: 'number',
      default: D.q,
      range: { min: 0, minOpen: true, max: 16 },
      description: 'the fraction of the base rule’s guidance applied is c^q, c the adopted share',
    },
    {
      key: 'lookahead',
      kind: 'integer',
      default: D.lookahead,
      range: COUNT_16,
      description: 'probe this many schedule levels beyond the landing level',
    },
    {
      key: 'corrector',
      kind: 'integer',
      default: D.corrector,
      range: COUNT_16,
      description: 'Langevin steps per step on the conditional field',
    },
    {
      key: 'correctorScale',
      kind: 'number',
      default: D.correctorScale,
      range: { min: 0, minOpen: true, max: 4 },
      description: 'multiplier of the corrector step δ = (σ_t² − σ_s²)/2, capped at σ_s²',
    },
  ],
  build: (w, o, schedule) => {
    const rule = () => createGuidanceRule(String(o.base), { w }, { levels: schedule.levels });
    const step = (tol: number | undefined) =>
      diffierStep({
        iterations: num(o.iterations),
        tol,
        q: num(o.q),
        lookahead: num(o.lookahead),
        corrector: num(o.corrector),
        correctorScale: num(o.correctorScale),
      });
    // A loop that stops early spends less: --nfe plans the one that never stops (tol 0).
    return {
      rule: rule(),
      wrappers: [step(num(o.tol))],
      planning: { rule: rule(), wrappers: [step(0)] },
    };
  },
};

/** Peers of the same family: methods that spend evaluations to correct the trajectory. */
export const PEER_METHODS: readonly MethodSpec[] = [
  {
    name: 'restart',
    summary: 'Restart sampling (Xu et al. 2023): jump back to σ_max K times, come down in N points',
    options: [
      {
        key: 'sigmaMin',
        kind: 'number',
        range: { min: 0, minOpen: true },
        description: 'restart interval lower σ; default: the SD table by w',
      },
      {
        key: 'sigmaMax',
        kind: 'number',
        range: { min: 0, minOpen: true },
        description: 'restart interval upper σ; default: the SD table by w',
      },
      {
        key: 'n',
        kind: 'integer',
        range: { min: 2, max: 64 },
        description: 'points on the way down; default: the SD table by w',
      },
      {
        key: 'k',
        kind: 'integer',
        range: COUNT_64,
        description: 'restarts; default: the SD table by w',
      },
    ],
    build: (w, o, schedule) => {
      const given = ['sigmaMin', 'sigmaMax', 'n', 'k'].some((key) => o[key] !== undefined);
      const defaults = restartDefaults(w);
      const intervals = given
        ? [
            {
              ...defaults[defaults.length - 1],
              ...Object.fromEntries(
                Object.entries(o)
                  .filter(([, v]) => v !== undefined)
                  .map(([k, v]) => [k, Number(v)]),
              ),
            },
          ]
        : defaults;
      return {
        rule: createGuidanceRule('cfg', { w }),
        wrappers: [restart(intervals, schedule.levelAt, schedule.timestepOf)],
      };
    },
  },
  {
    name: 'zsampling',
    summary: 'Z-sampling (Bai et al. 2025): zig, zag by DDIM inversion with γ2, zig',
    options: [
      {
        key: 'tMax',
        kind: 'integer',
        default: 1,
        range: COUNT_64,
        description: 'zig-zags per step',
      },
      { key: 'gamma2', kind: 'number', default: 0, description: 'inversion weight γ2' },
      {
        key: 'plainLast',
        kind: 'integer',
        default: 1,
        range: { min: 0, max: 10000 },
        description: 'plain steps at the end',
      },
    ],
    build: (w, o) => ({
      rule: createGuidanceRule('cfg', { w }),
      wrappers: [
        zSampling({ tMax: num(o.tMax), gamma2: num(o.gamma2), plainLast: num(o.plainLast) }),
      ],
    }),
  },
  {
    name: 'pcg',
    summary:
      'predictor–corrector guidance (Bradley & Nakkiran 2024): unguided step + Langevin on π_s^γ',
    options: [
      {
        key: 'k',
        kind: 'integer',
        default: 1,
        range: COUNT_64,
        description: 'Langevin steps per step',
      },
      { key: 'gamma', kind: 'number', description: 'corrector exponent γ; default w' },
      {
        key: 'stepScale',
        kind: 'number',
        default: 1,
        description: 'multiplier of δ = (σ_t² − σ_s²)/2',
      },
      {
        key: 'maxStepRatio',
        kind: 'number-or-inf',
        default: 1,
        description: 'stability cap δ ≤ ratio·σ_s² (inf = uncapped)',
      },
    ],
    build: (w, o) => ({
      rule: createGuidanceRule('cfg', { w }),
      wrappers: [
        pcg(w, {
          k: num(o.k),
          gamma: num(o.gamma),
          stepScale: num(o.stepScale),
          maxStepRatio: num(o.maxStepRatio),
        }),
      ],
    }),
  },
];
