import { logger, parse, resetSVGDefIds, View, Warn } from 'vega';
import { compile, type TopLevelSpec } from 'vega-lite';

/**
 * Headless SVG rendering: Vega-Lite spec → Vega spec → a View without a renderer of its
 * own (`renderer: 'none'`) → `toSVG()`. Needs neither a browser nor node-canvas; without
 * canvas, Vega estimates text widths from the character count, so the output does not
 * depend on the fonts of the machine.
 *
 * Determinism: the output is a function of the spec alone. The only ids in Vega's SVG
 * (clip paths, gradients of colour legends) come from process-wide counters; they are
 * reset before each render, and renders are run one at a time so that two concurrent
 * calls cannot interleave their counters.
 */

export type { TopLevelSpec };

export interface RenderOptions {
  /** Receives Vega-Lite and Vega warnings and errors (default: dropped, so a CLI stays quiet). */
  onWarning?: (message: string) => void;
}

let queue: Promise<unknown> = Promise.resolve();

export function renderSvg(spec: TopLevelSpec, opts: RenderOptions = {}): Promise<string> {
  const run = queue.then(() => renderNow(spec, opts));
  queue = run.catch(() => undefined); // one failed render must not block the next
  return run;
}

async function renderNow(spec: TopLevelSpec, opts: RenderOptions): Promise<string> {
  const log = logger(Warn, undefined, (_method, level, args) => {
    opts.onWarning?.([level, ...args].map(String).join(' '));
  });
  const { spec: vgSpec } = compile(spec, { logger: log });
  resetSVGDefIds();
  // Data is inline, so no loader is needed; errors propagate as thrown.
  const view = new View(parse(vgSpec), { renderer: 'none', logger: log });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}
