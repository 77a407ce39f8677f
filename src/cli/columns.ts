/**
 * The columns several tables share, declared once: the same figure has the same header and
 * the same decimals in every command (docs/diffier.md defines the gap measures).
 */
import { fixed, integer, text, type Column } from './table.js';

export const METHOD = text('method', 14);
export const W = fixed('w', 2);
export const STEPS = integer('steps');
export const NFE = integer('NFE');
/** Σ_t of the per-sample training gap (the headline gap). */
export const TRAINING_GAP = fixed('training\ngap', 3);
/**
 * A = Σ_t of the guided KSD gap G_t. Each G_t is an unbiased (U-statistic) estimate of a
 * squared distance, so a gap below its resolution can come out negative: the header says
 * the figure is signed rather than clamping it (the mixture tables clamp their energies).
 */
export const KSD_GAP = fixed('signed\nKSD gap', 4);
/** Σ_t of the conditional KSD gap (signed, as KSD_GAP). */
export const COND_GAP = fixed('signed\ncond. KSD', 4);
/** A_r = Σ_t of the ε-drift beyond 1. */
export const DRIFT = fixed('drift\nA_r', 2);
export const TRUE_GAP = fixed('true\ngap', 4);
export const SECONDS = fixed('seconds', 2);

/** The gap figures every sampling command's table shows. */
export const GAP_COLUMNS: readonly Column[] = [TRAINING_GAP, KSD_GAP, DRIFT];

/** The note under a table that left figures to the JSON. */
export function jsonNote(what: string, flag = '--json'): string {
  return `(${what}: in the JSON, ${flag})`;
}
