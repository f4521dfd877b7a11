/** Lets something through at most once per interval: progress events for scripts, not one per record. */

/** At most four progress events a second: a script sees the bytes move without a line per record. */
export const PROGRESS_EVENT_INTERVAL_MS = 250;

export class Throttle {
  #lastMs = -Infinity;

  constructor(
    private readonly intervalMs: number,
    private readonly nowMs: () => number = () => performance.now(),
  ) {}

  /** True the first time, then only once `intervalMs` have passed since the last true. */
  ready(): boolean {
    const now = this.nowMs();
    if (now - this.#lastMs < this.intervalMs) return false;
    this.#lastMs = now;
    return true;
  }
}
