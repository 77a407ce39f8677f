import { COMMITMENT_MIN_BATCH, commitmentGuidance } from '../guidance/diffier/commitment.js';
import { cycle } from '../transitions/cycle.js';
import { errorControl, type ErrorControlMode } from '../guidance/diffier/errorControl.js';
import { langevin } from '../transitions/langevin.js';
import { pcg } from '../transitions/pcg.js';
import { restart, restartDefaults } from '../transitions/restart.js';
import { zSampling } from '../transitions/zsampling.js';
import { createGuidanceRule } from '../guidance/index.js';
import type { TransitionWrapper } from '../core/transition.js';
import type { MethodSpec, OptionValue } from './types.js';

const num = (v: OptionValue | undefined): number | undefined =>
  v === undefined ? undefined : Number(v);

/**
 * DiffIER: error-controlled guidance on top of a base rule, optionally with the
 * re-noise-and-redo cycle. The defaults are the project's one configuration for all
 * problems (docs/diffier.md says how they were chosen).
 */
export const DIFFIER_METHOD: MethodSpec = {
  name: 'diffier',
  summary: 'DiffIER: drift-ratio error control of guidance (+ optional cycle) on any base rule',
  options: [
    {
      key: 'base',
      kind: 'choice',
      default: 'cfg',
      choices: ['cfg', 'apg', 'rescale', 'cfg-zero', 'interval', 'eps-scaling'],
      description: 'the guidance rule being controlled (its own defaults)',
    },
    {
      key: 'control',
      kind: 'choice',
      default: 'commit',
      choices: ['commit', 'window', 'smooth', 'off'],
      description:
        'how guidance is scheduled: commit (c_t^q), window (drift-ratio latch at a reference weight), smooth (drift-ratio rule, docs/diffier.md §2), off',
    },
    {
      key: 'q',
      kind: 'number',
      default: 2,
      description: 'exponent q of the commitment schedule w_t = 1 + (w − 1)·c_t^q',
    },
    {
      key: 'tau',
      kind: 'number-or-inf',
      description: 'drift-ratio threshold τ; default 1.3 (window), 1.5 (smooth); inf = no control',
    },
    { key: 'p', kind: 'number', default: 2, description: 'exponent of the smooth rule' },
    {
      key: 'refW',
      kind: 'number',
      default: 2,
      description: 'reference weight of the window rule’s ratio',
    },
    {
      key: 'scope',
      kind: 'choice',
      default: 'sample',
      choices: ['sample', 'batch'],
      description: 'window opens per sample, or for the batch at its median ratio',
    },
    {
      key: 'cycleK',
      kind: 'integer',
      default: 0,
      description: 'cycle repeats per step (0 = no cycle)',
    },
    { key: 'cycleSigmaLo', kind: 'number', default: 0, description: 'cycle only where σ > this' },
    {
      key: 'cycleSigmaHi',
      kind: 'number-or-inf',
      default: Infinity,
      description: 'cycle only where σ ≤ this',
    },
    {
      key: 'cycleBack',
      kind: 'integer',
      default: 1,
      description: 'steps to go back when re-noising',
    },
    {
      key: 'cycleRenoise',
      kind: 'choice',
      default: 'stochastic',
      choices: ['stochastic', 'inversion'],
      description: 'fresh-noise transition or DDIM inversion',
    },
    {
      key: 'cycleInversionWeight',
      kind: 'number',
      default: 0,
      description: 'guidance weight of the inversion ε',
    },
    {
      key: 'langevinK',
      kind: 'integer',
      default: 0,
      description: 'Langevin corrector steps per step on the scheduled guided field (0 = none)',
    },
    {
      key: 'langevinStepScale',
      kind: 'number',
      default: 1,
      description: 'multiplier of the corrector step δ = (σ_t² − σ_s²)/2',
    },
    {
      key: 'cycleAdaptiveTau',
      kind: 'number-or-inf',
      default: Infinity,
      description: 'stop repeating once the median drift ratio of a redo is ≤ this',
    },
  ],
  batchNote: (n, o) =>
    o.control === 'commit' && n < COMMITMENT_MIN_BATCH
      ? `diffier measures its commitment c_t over the batch, which needs ≥ ${COMMITMENT_MIN_BATCH} samples of one condition; with ${n} it guides like its base rule (${String(o.base)}) — use --n ${COMMITMENT_MIN_BATCH} or more`
      : undefined,
  build: (w, o, schedule) => {
    const base = createGuidanceRule(String(o.base), { w }, { levels: schedule.levels });
    const rule =
      o.control === 'off'
        ? base
        : o.control === 'commit'
          ? commitmentGuidance(base, { q: num(o.q) })
          : errorControl(base, {
              mode: o.control as ErrorControlMode,
              tau: num(o.tau),
              p: num(o.p),
              refW: num(o.refW),
              scope: o.scope as 'sample' | 'batch',
            });
    const wrappers: TransitionWrapper[] = [];
    if (Number(o.cycleK) > 0) {
      wrappers.push(
        cycle({
          k: Number(o.cycleK),
          sigmaLo: num(o.cycleSigmaLo),
          sigmaHi: num(o.cycleSigmaHi),
          back: num(o.cycleBack),
          renoise: o.cycleRenoise as 'stochastic' | 'inversion',
          inversionWeight: num(o.cycleInversionWeight),
          adaptiveTau: num(o.cycleAdaptiveTau),
        }),
      );
    }
    if (Number(o.langevinK) > 0)
      wrappers.push(langevin({ k: Number(o.langevinK), stepScale: num(o.langevinStepScale) }));
    return { rule, wrappers };
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
        description: 'restart interval lower σ; default: the SD table by w',
      },
      {
        key: 'sigmaMax',
        kind: 'number',
        description: 'restart interval upper σ; default: the SD table by w',
      },
      {
        key: 'n',
        kind: 'integer',
        description: 'points on the way down; default: the SD table by w',
      },
      { key: 'k', kind: 'integer', description: 'restarts; default: the SD table by w' },
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
      { key: 'tMax', kind: 'integer', default: 1, description: 'zig-zags per step' },
      { key: 'gamma2', kind: 'number', default: 0, description: 'inversion weight γ2' },
      { key: 'plainLast', kind: 'integer', default: 1, description: 'plain steps at the end' },
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
      { key: 'k', kind: 'integer', default: 1, description: 'Langevin steps per step' },
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
