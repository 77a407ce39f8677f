import type { NoiseLevel } from '../core/noiseLevel.js';
import type { StepPayload } from '../core/observer.js';
import type { Tensor } from '../core/tensor.js';
import { DriftTracker } from './drift.js';
import { DEFAULT_KSD_MAX_ITEMS, LinearFieldKsd } from './ksd.js';
import { TrainingGapTracker } from './trainingGap.js';

/** The gap measures of one sampling step (docs/diffier.md §1). */
export interface GapStep {
  readonly i: number;
  readonly timestep: number;
  readonly sigma: number;
  /**
   * The training–inference gap g_t (trainingGap.ts), mean over the batch: the network's
   * training loss on the iterate, per sample, from the step's own evaluation. NaN at the
   * first step and where a wrapper re-noised the input.
   */
  readonly training: number;
  /**
   * DiffIER's inner loop at this step, means over the batch: the error (training loss) of
   * the base rule's landing point before the loop and of the chosen one after it, the
   * evaluations spent and the fraction of the guidance applied. Absent without a loop.
   */
  readonly inner?: {
    readonly before: number;
    readonly after: number;
    readonly iterations: number;
    readonly fraction: number;
  };
  /** G_t = s_t²·KSD²(p_t, π_t^w) with the guided scores at the nominal w. */
  readonly gap: number;
  /**
   * s_t²·KSD²(p_t, q_t^model(·|c)) with the conditional model's own score −ε_c/s_t: how far
   * the iterates are from the marginal the network was trained on (the training–inference
   * gap itself, seen from the model).
   */
  readonly condGap: number;
  /** mean_i max(0, r_t − 1); NaN at the first step. */
  readonly drift: number;
  /** Median of r_t over the batch; NaN at the first step. */
  readonly driftMedian: number;
  /** s_t²·KSD² against the exact score of the true conditional (benchmark problems only). */
  readonly trueGap?: number;
  readonly nfe: number;
}

export interface GapSummary {
  /** Σ_t g_t, mean over the batch (the headline gap). */
  readonly training: number;
  /** Σ_t g_t of each sample. */
  readonly trainingPerSample: readonly number[];
  /** A = Σ_t G_t, first step excluded. */
  readonly gap: number;
  /** Σ_t of condGap, first step excluded. */
  readonly condGap: number;
  /** A_r = Σ_t mean_i max(0, r_t − 1), first step excluded. */
  readonly driftGap: number;
  /** Σ_t of the true gap, first step excluded (when a true score is known). */
  readonly trueGap?: number;
}

export interface GapMonitorOptions {
  /** Items used for the O(n²) KSD (the first ones of the batch). Default 256. */
  readonly ksdItems?: number;
  /** Exact score ∇log q_t(x | c) of the true conditional, for the true gap. */
  readonly trueScore?: (x: Tensor, level: NoiseLevel) => Float64Array;
  /** Receives each step's measures as soon as they are known. */
  readonly onGap?: (step: GapStep) => void;
}

/**
 * Observes the sampling loop (an onStep callback) and measures the training–inference gap
 * from what the loop already computed: it never calls the network.
 */
export class GapMonitor {
  readonly steps: GapStep[] = [];
  private readonly drift = new DriftTracker();
  private readonly trainingGap = new TrainingGapTracker();

  constructor(private readonly options: GapMonitorOptions = {}) {}

  readonly observe = (p: StepPayload): void => {
    const { xIn, pred, from } = p;
    const batch = xIn.batch;
    const dim = xIn.itemSize;
    const maxItems = this.options.ksdItems ?? DEFAULT_KSD_MAX_ITEMS;
    // One pass over the pairs scores the iterates against both fields, G_t against the
    // guided score −(ε_u + w(ε_c − ε_u))/s at the nominal w and condGap against the
    // conditional score −ε_c/s: with e₁ = ε_c, e₂ = ε_u the fields are α·e₁ + β·e₂.
    const s2 = from.s * from.s;
    const { cond, uncond } = pred.raw;
    const ksd =
      batch >= 2
        ? new LinearFieldKsd(xIn.data, cond.data, uncond?.data, batch, dim, { maxItems })
        : undefined;
    const guidedBeta = uncond ? -(1 - p.w) / from.s : 0;
    const guidedAlpha = uncond ? -p.w / from.s : -1 / from.s;
    const gap = ksd ? s2 * ksd.against(guidedAlpha, guidedBeta) : NaN;
    const condGap = ksd ? s2 * ksd.against(-1 / from.s, 0) : NaN;

    const r = this.drift.update(xIn, pred.raw, from, p.w);
    const drift = r ? r.reduce((acc, v) => acc + Math.max(0, v - 1), 0) / batch : NaN;
    const driftMedian = r ? Array.from(r).sort((a, b) => a - b)[batch >> 1] : NaN;

    const g = this.trainingGap.update({
      xIn,
      epsCond: cond,
      level: from,
      x: p.x,
      x0Out: p.x0Out,
      deterministic: p.deterministic,
      landingGap: p.landingGap,
    });
    const defined = g.filter((v) => !Number.isNaN(v));
    const training = defined.length ? defined.reduce((acc, v) => acc + v, 0) / defined.length : NaN;

    const mean = (v: Float64Array) => {
      const d = v.filter((x) => !Number.isNaN(x));
      return d.length ? d.reduce((a, b) => a + b, 0) / d.length : NaN;
    };
    const inner = p.inner && {
      before: mean(p.inner.before),
      after: mean(p.inner.after),
      iterations: mean(p.inner.iterations),
      fraction: mean(p.inner.fraction),
    };

    const score = this.options.trueScore;
    const trueGap =
      score && batch >= 2
        ? s2 *
          new LinearFieldKsd(xIn.data, score(xIn, from), undefined, batch, dim, {
            maxItems,
          }).against(1, 0)
        : undefined;
    const step: GapStep = {
      i: p.i,
      timestep: from.timestep,
      sigma: from.sigma,
      training,
      ...(inner ? { inner } : {}),
      gap,
      condGap,
      drift,
      driftMedian,
      trueGap,
      nfe: p.nfe,
    };
    this.steps.push(step);
    this.options.onGap?.(step);
  };

  summary(): GapSummary {
    const later = this.steps.filter((s) => s.i > 0);
    const sum = (f: (s: GapStep) => number) => later.reduce((acc, s) => acc + f(s), 0);
    const perSample = Array.from(this.trainingGap.accumulated ?? []);
    const anyTraining = this.steps.some((s) => !Number.isNaN(s.training));
    const out: GapSummary = {
      training: anyTraining
        ? perSample.reduce((acc, v) => acc + v, 0) / Math.max(1, perSample.length)
        : NaN,
      trainingPerSample: perSample,
      gap: sum((s) => s.gap),
      condGap: sum((s) => s.condGap),
      driftGap: sum((s) => (Number.isNaN(s.drift) ? 0 : s.drift)),
    };
    return this.options.trueScore ? { ...out, trueGap: sum((s) => s.trueGap ?? 0) } : out;
  }
}
