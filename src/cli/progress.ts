import cliProgress from 'cli-progress';
import { detail, verbosity } from './log.js';

/**
 * Progress on stderr: a live bar with the rate (it/s) and the time left when stderr is a
 * terminal; nothing when it is not (logs, pipes) or with --quiet / --no-progress. With
 * --verbose every tick is a line of its own instead (the per-step details).
 */
export interface Progress {
  start(total: number, label: string): void;
  tick(label?: string): void;
  stop(): void;
}

const SILENT: Progress = { start() {}, tick() {}, stop() {} };

export function createProgress(enabled = true): Progress {
  if (!enabled || verbosity() === 'quiet') return SILENT;
  if (verbosity() === 'verbose') return lineProgress();
  if (!process.stderr.isTTY) return SILENT;
  const bar = new cliProgress.SingleBar(
    {
      stream: process.stderr,
      format: '{bar} {percentage}% | {value}/{total} | {rate} it/s | ETA {eta_formatted} | {label}',
      barsize: 24,
      hideCursor: true,
      etaBuffer: 20,
    },
    cliProgress.Presets.shades_classic,
  );
  let t0 = 0;
  let done = 0;
  return {
    start(total, label) {
      t0 = performance.now();
      done = 0;
      bar.start(total, 0, { label, rate: '—' });
    },
    tick(label) {
      done++;
      const rate = rateText(done, performance.now() - t0);
      bar.increment(1, label === undefined ? { rate } : { label, rate });
    },
    stop: () => bar.stop(),
  };
}

/** Iterations per second, two significant figures or so. */
function rateText(done: number, ms: number): string {
  if (ms <= 0) return '—';
  const rate = (1000 * done) / ms;
  return rate >= 10 ? rate.toFixed(0) : rate.toFixed(1);
}

/** --verbose: one line per tick with the count, elapsed seconds and rate. */
function lineProgress(): Progress {
  let total = 0;
  let done = 0;
  let t0 = 0;
  let name = '';
  return {
    start(t, label) {
      total = t;
      done = 0;
      t0 = performance.now();
      name = label;
      detail(`${label}: 0/${t}`);
    },
    tick(label) {
      done++;
      const ms = performance.now() - t0;
      detail(
        `${name} ${done}/${total} ${(ms / 1000).toFixed(1)} s ${rateText(done, ms)} it/s${label ? ` ${label}` : ''}`,
      );
    },
    stop() {},
  };
}
