import { Command } from 'commander';
import { join } from 'node:path';
import { runGmmBench } from '../../bench/gmmBench.js';
import { gapCurves, metricCurves } from '../../bench/gmmPlots.js';
import {
  correlations,
  ERROR_MEASURES,
  MIN_CORRELATION_POINTS,
  QUALITY_METRICS,
  recommendation,
  type Correlation,
  type Recommendation,
} from '../../bench/sweep.js';
import { jsonText, type OutputFile } from '../../io/atomicWrite.js';
import { InvalidOptionError } from '../../core/errors.js';
import { withInterrupt } from '../samplingFlags.js';
import { addMethodFlags } from '../methodFlags.js';
import { createProgress } from '../progress.js';
import { fixed, formatFigure, renderTable, text, wrap } from '../table.js';
import { printResult, warn } from '../log.js';
import {
  benchTable,
  commitBenchOutputs,
  DEFAULT_SAMPLES,
  prepareBench,
  type BenchGmmFlags,
} from './benchGmm.js';
import { addCountFlag, addMethodFlag, methodFlag } from '../aliasedFlags.js';
import { DEFAULT_KSD_MAX_ITEMS } from '../../monitors/ksd.js';

const ERROR_NAMES: Record<(typeof ERROR_MEASURES)[number], string> = {
  training: 'training gap',
  gap: 'KSD gap',
  condGap: 'cond. KSD gap',
  driftGap: 'drift A_r',
  trueGap: 'true gap',
};

const METRIC_HEADERS: Record<(typeof QUALITY_METRICS)[number], string> = {
  energy: 'energy',
  guidedEnergy: 'guided\nenergy',
  precision: 'precision',
  recall: 'recall',
  adherence: 'adherence',
  nll: 'NLL',
  coverage: 'coverage',
};

/**
 * Spearman's ρ of each error measure against each quality metric over the swept w, only
 * where it rests on MIN_CORRELATION_POINTS points or more (— otherwise, and where ρ is
 * undefined: a figure constant over w).
 */
export function correlationTable(correlation: Record<string, Correlation>): string {
  const counts = Object.values(correlation).map((c) => c.n);
  const [lo, hi] = [Math.min(...counts), Math.max(...counts)];
  const points = lo === hi ? `${lo}` : `${lo}–${hi}`;
  const rule = `shown only with at least ${MIN_CORRELATION_POINTS} points`;
  if (hi < MIN_CORRELATION_POINTS)
    return wrap(
      `Spearman rank correlations over w: not shown, they rest on ${points} points (${rule}; sweep more w values; the JSON has them with their number of points)`,
    ).join('\n');
  const rows = ERROR_MEASURES.map((e) => [
    ERROR_NAMES[e],
    ...QUALITY_METRICS.map((m) => {
      const c = correlation[`${e}:${m}`];
      return c.n >= MIN_CORRELATION_POINTS ? c.rho : null;
    }),
  ]);
  return renderTable(
    [text('error \\ metric'), ...QUALITY_METRICS.map((m) => fixed(METRIC_HEADERS[m], 2))],
    rows,
    { title: [`Spearman rank correlation over w (${points} points each; ${rule})`] },
  );
}

/** The recommended w with the rule that chose it and the figures it compared. */
export function recommendationText(r: Recommendation): string {
  if (!Number.isFinite(r.w)) return 'recommended w: — (no runs)';
  const a = (w: number, drift: number) => `A_r = ${formatFigure(drift, 2)} at w = ${w}`;
  const figures = [
    a(r.baseW, r.baseDrift),
    ...(r.w !== r.baseW ? [a(r.w, r.drift)] : []),
    ...(r.next ? [`${a(r.next.w, r.next.drift)} (beyond)`] : []),
  ];
  return wrap(`recommended w: ${r.w}, by the rule: ${r.rule}; ${figures.join(', ')}`).join('\n');
}

export function sweepCommand(): Command {
  const cmd = new Command('sweep').requiredOption('--problem <file>', 'problem file (JSON)');
  addMethodFlag(cmd, 'the method to sweep (one)', 'cfg')
    .option('--w <list>', 'comma-separated guidance weights', '1,1.5,2,3,5,7.5,10')
    .option('--steps <n>', 'sampling steps (default 50 when --nfe is not given)')
    .option('--nfe <n>', 'evaluation budget per sample');
  addCountFlag(cmd, 'samples per run', DEFAULT_SAMPLES, ['--samples'])
    .option('--seed <n>', 'seed', '1')
    .option('--sampler <name>', 'sampler', 'ddim')
    .option(
      '--ksd-items <n>',
      'samples used by the KSD gap measures',
      String(DEFAULT_KSD_MAX_ITEMS),
    )
    .option('--json <file>', 'write runs, correlations and the recommended w')
    .option('--plots <dir>', 'write SVG plots (error per step per w; quality and error vs w)')
    .option('--no-progress', 'no progress on stderr');
  addMethodFlags(cmd);
  return cmd.action(async (flags: BenchGmmFlags) => {
    const method = methodFlag(flags);
    if (method.text.includes(',')) {
      throw new InvalidOptionError(
        `${method.name} takes one method, got "${method.text}" (bench gmm compares several)`,
      );
    }
    const p = await prepareBench(flags);
    const progress = createProgress(flags.progress);
    progress.start(p.ws.length, `sweep ${method.text}`);
    const result = await withInterrupt((signal) =>
      runGmmBench({
        ...p,
        sampler: flags.sampler,
        signal,
        onRun: (label) => progress.tick(label),
        warn,
      }),
    );
    progress.stop();
    const correlation = correlations(result.runs);
    const recommended = recommendation(result.runs);
    printResult(
      `${benchTable(result)}\n\n${correlationTable(correlation)}\n\n${recommendationText(recommended)}`,
    );
    const out: OutputFile[] = [];
    if (flags.json) {
      out.push({
        path: flags.json,
        content: jsonText({
          ...result,
          correlation,
          minCorrelationPoints: MIN_CORRELATION_POINTS,
          recommendedW: recommended.w,
          recommendation: recommended,
        }),
      });
    }
    if (flags.plots) {
      const files = new Map([...(await metricCurves(result)), ...(await gapCurves(result))]);
      for (const [name, svg] of files) out.push({ path: join(flags.plots, name), content: svg });
    }
    await commitBenchOutputs(out, flags.problem);
  });
}
