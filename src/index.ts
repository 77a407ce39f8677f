/**
 * DiffIER's public API: everything a library user needs is exported here.
 *
 * The pipelines (text-to-image, super-resolution, text-to-speech) and the benchmarks take
 * typed options and return typed results; every option a pipeline shares is in
 * `PipelineOptions`. Warnings (a truncated prompt, an unknown word, an ignored option) go
 * to the `warn` callback of the options, in the library's own terms (option names, not
 * command-line flags); without one they go to `console.warn`. Bad input throws a typed
 * `DiffierError` (each with a stable `code`) before any work.
 *
 * @packageDocumentation
 */
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
  type SamplerRecord,
} from './samplers/index.js';
export type { StepRequest } from './samplers/registry.js';
export type { LevelPlan } from './schedules/plans.js';
export type { PendingStage, SamplerStep, StepInput, StepOutput } from './core/step.js';
export { sample, type SampleOptions } from './samplers/sample.js';
export {
  plainTransition,
  type Transition,
  type TransitionContext,
  type TransitionResult,
  type TransitionWrapper,
} from './core/transition.js';
export type { InnerLoopRecord, StepObserver, StepPayload } from './core/observer.js';
export type { SamplingLevels, ScheduleInfo } from './core/levels.js';
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
export {
  spearman,
  correlations,
  recommendW,
  recommendation,
  MIN_CORRELATION_POINTS,
  type Correlation,
  type Recommendation,
} from './bench/sweep.js';
export {
  characteristic,
  CHARACTERISTIC_DEFAULTS,
  type CharacteristicOptions,
  type CharacteristicSolve,
} from './transitions/characteristic.js';

export { METHODS, METHOD_NAMES, resolveMethod, methodSpec } from './methods/registry.js';
export { countNfe, stepsForNfe } from './methods/nfe.js';

export { loadProblem, parseProblem, type Problem } from './denoisers/problem.js';
export { runGmmBench, type GmmBenchOptions, type GmmBenchResult } from './bench/gmmBench.js';

// Pipelines: the shared options and report, then one section per pipeline.
export {
  DEFAULT_STEPS,
  planRun,
  type PipelineOptions,
  type RunPlan,
  type RunReport,
  type SamplingSettings,
} from './pipelines/run.js';
export type { MethodChoice } from './methods/registry.js';
export { embeddedModelDir, embeddedTtsModelDir, embeddedUpscalerDir } from './models/embedded.js';
export type { LoadModelOptions } from './models/load.js';

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
export { readPngImage } from './image/readPng.js';

export { loadUpscalerModel, type UpscalerModel } from './models/upscaler.js';
export {
  upscale,
  DEFAULT_NOISE_LEVEL,
  type UpscaleOptions,
  type UpscaleResult,
} from './pipelines/upscale.js';

export { loadTextToSpeechModel, type TextToSpeechModel } from './models/ttsModel.js';
export {
  textToSpeech,
  prepareText,
  DEFAULT_TTS_STEPS,
  type TextToSpeechOptions,
  type TextToSpeechResult,
  type SpokenSentence,
} from './pipelines/textToSpeech.js';
export type { Phonemized } from './tts/frontend.js';
export { encodeWav, decodeWav } from './audio/wav.js';

// Benchmarks. t2i and sr score against MNIST digits, which need the `mnist` package
// (a dev dependency of this repository).
export {
  runT2iBench,
  T2I_PROMPTS,
  type T2iBenchOptions,
  type T2iBenchResult,
} from './bench/t2iBench.js';
export { runSrBench, type SrBenchOptions, type SrBenchResult } from './bench/srBench.js';
export {
  runTtsBench,
  loadHeldOut,
  heldOutFile,
  type TtsBenchOptions,
  type TtsBenchResult,
} from './bench/ttsBench.js';
export { runSpeedBench, type SpeedOptions, type SpeedResult } from './bench/speed.js';
export { EvalClassifier, evalModelDir } from './eval/classifier.js';
export { loadMnist, mnistDigitsDir } from './data/mnist.js';
export { gridPng, labelledGridPng, imagePng, type GridLabels } from './image/png.js';
export { readTextChunks, withTextChunks, type PngTextEntry } from './image/pngText.js';
export {
  parseRecipe,
  recipeText,
  a1111Parameters,
  RECIPE_FORMAT,
  type Recipe,
  type FlagValue,
} from './recipe/recipe.js';
export {
  readRecipeFile,
  recipeTextOf,
  pngWithRecipe,
  recipeWavTags,
} from './pipelines/recipeFile.js';
export {
  diffierStep,
  checkDiffierStep,
  scaleGuidance,
  DIFFIER_STEP_DEFAULTS,
  type DiffierStepOptions,
  type InnerLoopStep,
} from './transitions/diffier.js';
export { trainingLoss, TrainingGapTracker } from './monitors/trainingGap.js';

// The types the options and results above refer to (type-only: nothing more is loaded).
export {
  ATTRIBUTES,
  type AttributeName,
  type ClassifierOutput,
  type LoadClassifierOptions,
} from './eval/classifier.js';
export type { BetaSchedule, ParseOptions, PredictionType } from './schedules/config.js';
export type { TimestepSpacing } from './schedules/settings.js';
export type { CharacteristicProjection } from './transitions/characteristic.js';
export type { ClassSpec, ModelSpec } from './denoisers/problem.js';
export type { CleanEstimates } from './monitors/drift.js';
export type { CycleOptions } from './transitions/cycle.js';
export type { DecodedWav } from './audio/wav.js';
export type { FloatArray, KsdOptions } from './monitors/ksd.js';
export type { GapMonitorOptions } from './monitors/gapMonitor.js';
export type { GemmResult } from './bench/gemm.js';
export type { GridOptions } from './image/grid.js';
export type { HeldOutSentence, TtsRun } from './bench/ttsBench.js';
export type { LangevinOptions } from './transitions/langevin.js';
export type { MachineInfo } from './bench/machine.js';
export type {
  MelDecoderModel,
  MelNormalisation,
  PhonemeSet,
  TtsEncoderModel,
} from './models/ttsModel.js';
export type { MethodInstance, MethodSpec } from './methods/types.js';
export type {
  MixtureComponent,
  ModelMixtures,
  Points,
  TrueMixtures,
} from './denoisers/gaussianMixture.js';
export type { MnistSplit } from './data/mnist.js';
export type { ModelFolder } from './models/folder.js';
export type { OptionSpec, OptionValue } from './options/schema.js';
export type { OverheadRow, UnetCallResult } from './bench/speed.js';
export type { PcgOptions } from './transitions/pcg.js';
export type { PromptEmbeddings, TextSide } from './pipelines/textToImage.js';
export type { PromptTokenizer, TokenizedPrompt } from './models/tokenizer.js';
export type { ResolvedMethod } from './methods/registry.js';
export type { RestartInterval } from './transitions/restart.js';
export type { RunRow, TargetRow } from './bench/gmmBench.js';
export type { SampleResult } from './samplers/sample.js';
export type { SamplerOptions } from './samplers/index.js';
export type { SessionOptions } from './backends/session.js';
export type { Spectrogram } from './audio/mel.js';
export type { SrMetrics, SrRun } from './bench/srBench.js';
export type { T2iPrompt, T2iReference, T2iRun } from './bench/t2iBench.js';
export type { TextEncoderModel } from './models/textEncoder.js';
export type { UnetModel } from './models/unet.js';
export type { VaeDecoderModel } from './models/vaeDecoder.js';
export type { VaeEncoderModel } from './models/vaeEncoder.js';
export type { PngSize } from './image/pngHeader.js';
export type { ZSamplingOptions } from './transitions/zsampling.js';
export type { ComponentSpec } from './denoisers/problem.js';
export type { DigitImages } from './data/mnist.js';
export type { MelConfig } from './audio/mel.js';
export type { OptionRange } from './options/schema.js';
export type { PhonemeEncoding } from './models/ttsModel.js';
export type { RunMetrics } from './bench/gmmBench.js';
export type { T2iMetrics, T2iPromptScore } from './bench/t2iBench.js';
export type { TimingStats } from './bench/timing.js';
export type { TtsMetrics } from './bench/ttsBench.js';
