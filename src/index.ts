/** DiffIER's public API. Everything a library user needs is exported here. */
export * from './core/errors.js';
export { Tensor } from './core/tensor.js';
export { BatchRandom, RandomStream } from './core/random.js';

export type { Denoiser, PredictionRequest, Predictions } from './core/denoiser.js';
export { GaussianMixture, modelMixtures, trueMixtures } from './denoisers/gaussianMixture.js';
export { GmmDenoiser } from './denoisers/gmmDenoiser.js';

export { noiseLevel, type NoiseLevel } from './core/noiseLevel.js';
export {
  parseSchedulerConfig,
  SD15_SCHEDULER_CONFIG,
  type ScheduleConfig,
} from './schedules/config.js';
export { alphasCumprod } from './schedules/discrete.js';
export { schedulePlan, type SchedulePlan } from './schedules/plan.js';
export {
  createSampler,
  resolveSampler,
  SAMPLER_NAMES,
  SAMPLERS,
  type ResolvedSampler,
  type SamplerDefinition,
} from './samplers/index.js';
export type { SamplerStep, StepInput, StepOutput } from './core/step.js';
export { sample, type SampleOptions } from './samplers/sample.js';
export {
  plainTransition,
  type Transition,
  type TransitionContext,
  type TransitionResult,
  type TransitionWrapper,
} from './core/transition.js';
export type { InnerLoopRecord, StepObserver, StepPayload } from './core/observer.js';
export type { ScheduleInfo } from './core/levels.js';
export { x0FromEps, epsFromX0 } from './core/convert.js';

export * from './guidance/index.js';

export { GapMonitor, type GapStep, type GapSummary } from './monitors/gapMonitor.js';
export { ksdSquared } from './monitors/ksd.js';
export { cleanEstimates, driftRatios } from './monitors/drift.js';
export { cycle } from './transitions/cycle.js';
export { langevin } from './transitions/langevin.js';
export { restart, restartDefaults } from './transitions/restart.js';
export { zSampling } from './transitions/zsampling.js';
export { pcg } from './transitions/pcg.js';
export { spearman, correlations, recommendW } from './bench/sweep.js';
export {
  characteristic,
  CHARACTERISTIC_DEFAULTS,
  type CharacteristicOptions,
  type CharacteristicSolve,
} from './transitions/characteristic.js';

export { METHODS, METHOD_NAMES, resolveMethod, methodSpec } from './methods/registry.js';
export { countNfe, stepsForNfe } from './methods/nfe.js';

export { loadProblem, parseProblem, type Problem } from './denoisers/problem.js';
export { runGmmBench, type GmmBenchResult } from './bench/gmmBench.js';

export { loadTextToImageModel, type TextToImageModel } from './models/load.js';
export {
  textToImage,
  encodePrompt,
  type TextToImageOptions,
  type TextToImageResult,
  type EditReport,
} from './pipelines/textToImage.js';
export { editImageShape, type EditMode } from './pipelines/imageEdit.js';
export { DEFAULT_STRENGTH } from './schedules/strength.js';
export { imageFromRgba } from './image/rgba.js';
export { gridPng } from './image/png.js';
export {
  diffierStep,
  checkDiffierStep,
  scaleGuidance,
  DIFFIER_STEP_DEFAULTS,
  type DiffierStepOptions,
  type InnerLoopStep,
} from './transitions/diffier.js';
export { trainingLoss, TrainingGapTracker } from './monitors/trainingGap.js';
