import { Command } from 'commander';
import { join } from 'node:path';
import { runGmmBench } from '../../bench/gmmBench.js';
import { gapCurves, metricCurves } from '../../bench/gmmPlots.js';
import { correlations, recommendW } from '../../bench/sweep.js';
import { jsonText, type OutputFile } from '../../io/atomicWrite.js';
import { InvalidOptionError } from '../../core/errors.js';
import { withInterrupt } from '../samplingFlags.js';
import { addMethodFlags } from '../methodFlags.js';
import { createProgress } from '../progress.js';
import { formatTable } from '../table.js';
import {
  benchTable,
  commitBenchOutputs,
  DEFAULT_SAMPLES,
  prepareBench,
  type BenchGmmFlags,
} from './benchGmm.js';
import { addCountFlag } from '../countFlag.js';
import { DEFAULT_KSD_MAX_ITEMS } from '../../monitors/ksd.js';

export function sweepCommand(): Command {
  const cmd = new Command('sweep')
    .requiredOption('--problem <file>', 'problem file (JSON)')
    .requiredOption('--method <name>', 'the method to sweep')
    .option('--w <list>', 'comma-separated guidance weights', '1,1.5,2,3,5,7.5,10')
    .option('--steps <n>', 'sampling steps (default 50 when --nfe is not given)')
    .option('--nfe <n>', 'evaluation budget per sample');
  addCountFlag(cmd, 'samples per run', DEFAULT_SAMPLES, '--samples')
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
  return cmd.action(async (flags: BenchGmmFlags & { method: string }) => {
    if (flags.method.includes(',')) {
      throw new InvalidOptionError(
        `--method takes one method, got "${flags.method}" (bench gmm --methods compares several)`,
      );
    }
    const p = await prepareBench({ ...flags, methods: flags.method }, '--method');
    const progress = createProgress(flags.progress);
    progress.start(p.ws.length, `sweep ${flags.method}`);
    const result = await withInterrupt((signal) =>
      runGmmBench({
        ...p,
        sampler: flags.sampler,
        signal,
        onRun: (label) => progress.tick(label),
        warn: (m) => process.stderr.write(`warning: ${m}\n`),
      }),
    );
    progress.stop();
    const correlation = correlations(result.runs);
    const recommendedW = recommendW(result.runs);
    const corrRows = Object.entries(correlation).map(([k, v]) => [k, v]);
    process.stdout.write(
      `${benchTable(result)}\n\nSpearman rank correlation over w\n${formatTable(['error:metric', 'rho'], corrRows)}\n\nrecommended w: ${recommendedW}\n`,
    );
    const out: OutputFile[] = [];
    if (flags.json) {
      out.push({ path: flags.json, content: jsonText({ ...result, correlation, recommendedW }) });
    }
    if (flags.plots) {
      const files = new Map([...(await metricCurves(result)), ...(await gapCurves(result))]);
      for (const [name, svg] of files) out.push({ path: join(flags.plots, name), content: svg });
    }
    await commitBenchOutputs(out, flags.problem);
  });
}
