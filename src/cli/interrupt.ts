/**
 * Ctrl-C for every command: one process-wide handler, installed before any work (so an
 * interrupt while a model loads is not lost), turns the first SIGINT into an abort of the
 * shared signal — the work in progress stops at its next step and the command exits 2 with
 * [ABORTED], having written nothing, since outputs are committed only at the end. A second
 * SIGINT exits at once (exit 2), for work that has no step to stop at.
 */
let controller: AbortController | undefined;

export function interruptSignal(): AbortSignal {
  if (!controller) {
    const c = new AbortController();
    controller = c;
    process.on('SIGINT', () => {
      if (!c.signal.aborted) {
        c.abort();
        return;
      }
      process.stderr.write('diffier: error [ABORTED]: interrupted twice\n');
      process.exit(2);
    });
  }
  return controller.signal;
}
