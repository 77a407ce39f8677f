import type { Denoiser } from '../core/denoiser.js';
import type { NoiseLevel } from '../core/noiseLevel.js';
import type { StepObserver } from '../core/observer.js';
import type { SamplerStep } from '../core/step.js';
import type { TransitionWrapper } from '../core/transition.js';
import type { MethodInstance } from '../methods/types.js';
import { GapMonitor, type GapMonitorOptions } from '../monitors/gapMonitor.js';
import { sample } from '../samplers/sample.js';
import { BatchRandom } from '../core/random.js';
import type { Tensor } from '../core/tensor.js';

export interface RunInputs {
  readonly denoiser: Denoiser;
  readonly method: MethodInstance;
  readonly sampler: SamplerStep;
  readonly levels: readonly NoiseLevel[];
  /** Where step i lands when not levels[i + 1] (the sampler's plan). */
  readonly landings?: readonly NoiseLevel[];
  /** The initial noise's scale (SamplingLevels.initialScale; default 1). */
  readonly initialScale?: number;
  /** n items; item i starts from, and draws its noise from, the stream keyed by (seed, i). */
  readonly n: number;
  readonly seed: number;
  /** The gap monitor's options, or false for a run without it. */
  readonly gap: GapMonitorOptions | false;
  /** Observers after the gap monitor (progress bars, previews). */
  readonly onStep?: readonly StepObserver[];
  readonly signal?: AbortSignal;
  /**
   * Image-to-image and inpainting: the initial sample made from the seed's noise, and
   * wrappers put around the method's (outermost). Default: start from the noise itself.
   */
  readonly start?: (noise: Tensor) => RunStart;
}

export interface RunStart {
  readonly x: Tensor;
  readonly wrappers?: readonly TransitionWrapper[];
}

export interface RunOutput {
  /** The final sample [n, …itemShape]. */
  readonly x: Tensor;
  /** Network evaluations per sample (a batched cond + uncond call counts 2). */
  readonly nfe: number;
  /** Total network evaluations over the batch. */
  readonly evals: number;
  readonly monitor: GapMonitor | null;
  /** Wall time of the sampling loop, and the part of it spent in the gap monitor. */
  readonly sampleMs: number;
  readonly monitorMs: number;
}

/**
 * The one runner: draw the initial noise per item, sample with the gap monitor (timed) and
 * the other observers watching, and time the loop. Every pipeline and benchmark samples
 * through it.
 */
export async function runSampling(inputs: RunInputs): Promise<RunOutput> {
  const { denoiser, n, seed } = inputs;
  const rng = new BatchRandom(seed, n);
  const noise = rng.normal([n, ...denoiser.itemShape]);
  // A start of its own (image to image) noises its image with the unscaled draw.
  const scale = inputs.initialScale ?? 1;
  const start = inputs.start?.(noise) ?? {
    x: scale === 1 ? noise : noise.like(noise.data.map((v) => v * scale)),
  };
  const monitor = inputs.gap === false ? null : new GapMonitor(inputs.gap);
  let monitorMs = 0;
  const observe: StepObserver | undefined = monitor
    ? (p) => {
        const t = performance.now();
        monitor.observe(p);
        monitorMs += performance.now() - t;
      }
    : undefined;
  const t0 = performance.now();
  const result = await sample({
    denoiser,
    rule: inputs.method.rule,
    sampler: inputs.sampler,
    levels: inputs.levels,
    landings: inputs.landings,
    x: start.x,
    rng,
    wrappers: [...inputs.method.wrappers, ...(start.wrappers ?? [])],
    onStep: [...(observe ? [observe] : []), ...(inputs.onStep ?? [])],
    signal: inputs.signal,
  });
  return {
    x: result.x,
    nfe: result.nfe,
    evals: result.evals,
    monitor,
    sampleMs: performance.now() - t0,
    monitorMs,
  };
}
