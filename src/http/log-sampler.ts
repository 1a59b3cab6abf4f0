/**
 * Logs at most one line per `intervalMs` for a kind of event that anyone on the network can cause
 * (an unauthenticated request), counting the rest: each line carries `suppressed`, how many were
 * not logged since the previous line. Metrics still count every event; this only bounds the log.
 */
export function createLogSampler<T extends object>(opts: {
  intervalMs: number;
  now: () => number;
  log: (fields: T & { suppressed: number }) => void;
}): (fields: T) => void {
  let lastLoggedAtMs: number | null = null;
  let suppressed = 0;
  return (fields) => {
    const now = opts.now();
    if (lastLoggedAtMs !== null && now - lastLoggedAtMs < opts.intervalMs) {
      suppressed += 1;
      return;
    }
    lastLoggedAtMs = now;
    const count = suppressed;
    suppressed = 0;
    opts.log({ ...fields, suppressed: count });
  };
}
