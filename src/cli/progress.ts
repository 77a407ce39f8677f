import cliProgress from 'cli-progress';

/** Progress on stderr: a live bar on a terminal, a few plain lines otherwise (CI logs). */
export interface Progress {
  start(total: number, label: string): void;
  tick(label?: string): void;
  stop(): void;
}

export function createProgress(enabled = true): Progress {
  if (!enabled) return { start() {}, tick() {}, stop() {} };
  if (process.stderr.isTTY) {
    const bar = new cliProgress.SingleBar(
      {
        stream: process.stderr,
        format: '{bar} {percentage}% | {value}/{total} | {label}',
        hideCursor: true,
      },
      cliProgress.Presets.shades_classic,
    );
    return {
      start: (total, label) => bar.start(total, 0, { label }),
      tick: (label) => bar.increment(1, label === undefined ? {} : { label }),
      stop: () => bar.stop(),
    };
  }
  // Not a terminal: one line per tenth of the work.
  let total = 0;
  let done = 0;
  let lastDecile = -1;
  return {
    start(t, label) {
      total = t;
      done = 0;
      lastDecile = -1;
      process.stderr.write(`${label}: 0/${t}\n`);
    },
    tick(label) {
      done++;
      const decile = Math.floor((10 * done) / Math.max(1, total));
      if (decile !== lastDecile) {
        lastDecile = decile;
        process.stderr.write(`${done}/${total}${label ? ` ${label}` : ''}\n`);
      }
    },
    stop() {},
  };
}
