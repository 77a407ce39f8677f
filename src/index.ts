/** DiffIER's public API. Everything a library user needs is exported here. */
export * from './errors.js';
export { Tensor } from './tensor/tensor.js';
export { BatchRandom, RandomStream } from './tensor/random.js';

export type { Denoiser, PredictionRequest, Predictions } from './denoisers/types.js';
export { GaussianMixture, modelMixtures, trueMixtures } from './denoisers/gaussianMixture.js';
export { GmmDenoiser } from './denoisers/gmmDenoiser.js';

export { noiseLevel, type NoiseLevel } from './sampling/noiseLevel.js';
export {
  parseSchedulerConfig,
  samplingLevels,
  alphasCumprod,
  SD15_SCHEDULER_CONFIG,
  type ScheduleConfig,
} from './sampling/schedule.js';
export { schedulePlan, type SchedulePlan } from './sampling/plan.js';
export { createSampler, SAMPLER_NAMES } from './sampling/steps/index.js';
export type { SamplerStep, StepInput, StepOutput } from './sampling/types.js';
export {
  sample,
  plainTransition,
  type SampleOptions,
  type StepPayload,
  type Transition,
  type TransitionWrapper,
} from './sampling/sample.js';

export * from './guidance/index.js';

export { GapMonitor, type GapStep, type GapSummary } from './diffier/gapMonitor.js';
export { ksdSquared } from './diffier/ksd.js';
export { cleanEstimates, driftRatios } from './diffier/drift.js';
export { commitment, commitmentGuidance } from './diffier/commitment.js';
export { errorControl } from './diffier/errorControl.js';
export { cycle } from './diffier/cycle.js';
export { langevin } from './diffier/langevin.js';
export { restart, restartDefaults } from './diffier/peers/restart.js';
export { zSampling } from './diffier/peers/zsampling.js';
export { pcg } from './diffier/peers/pcg.js';
export {
  characteristic,
  CHARACTERISTIC_DEFAULTS,
  type CharacteristicOptions,
  type CharacteristicSolve,
} from './diffier/peers/characteristic.js';
export { spearman, correlations, recommendW } from './diffier/sweep.js';

export { METHODS, METHOD_NAMES, resolveMethod, methodSpec } from './methods/registry.js';
export { countNfe, stepsForNfe } from './methods/nfe.js';

export { loadProblem, parseProblem, type Problem } from './bench/problem.js';
export { runGmmBench, type GmmBenchResult } from './bench/gmmBench.js';

export { loadTextToImageModel, type TextToImageModel } from './models/load.js';
export {
  textToImage,
  encodePrompt,
  type TextToImageOptions,
  type TextToImageResult,
} from './pipelines/textToImage.js';
export { gridPng } from './image/png.js';
export {
  diffierStep,
  checkDiffierStep,
  scaleGuidance,
  DIFFIER_STEP_DEFAULTS,
  type DiffierStepOptions,
  type InnerLoopStep,
} from './diffier/iterative.js';
export { trainingLoss, TrainingGapTracker } from './diffier/trainingGap.js';
