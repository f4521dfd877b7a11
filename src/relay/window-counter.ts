/** Counts events per key over a sliding minute, for the relay's rate limits (section 9). */
import { MINUTE_MS } from './limits.js';

export class WindowCounter {
  readonly #times = new Map<string, number[]>();
  #lastSweep: number;

  constructor(private readonly now: () => number = Date.now) {
    this.#lastSweep = now();
  }

  /** Keys with an event in the last minute or so (for tests: keys are not kept for ever). */
  get size(): number {
    return this.#times.size;
  }

  /** How many events `key` had in the last minute. */
  count(key: string): number {
    const times = this.#times.get(key);
    if (times === undefined) return 0;
    this.#prune(key, times, this.now() - MINUTE_MS);
    return times.length;
  }

  add(key: string): void {
    this.#sweepOncePerMinute();
    const times = this.#times.get(key);
    if (times === undefined) this.#times.set(key, [this.now()]);
    else times.push(this.now());
  }

  /** Counts an event unless `key` already had `max` in the last minute; says whether it fit. */
  tryAdd(key: string, max: number): boolean {
    if (this.count(key) >= max) return false;
    this.add(key);
    return true;
  }

  #prune(key: string, times: number[], cutoff: number): void {
    while (times.length > 0 && times[0]! <= cutoff) times.shift();
    if (times.length === 0) this.#times.delete(key);
  }

  /**
   * A key is pruned only when it is counted again, and most never are (an address seen once, a
   * nameplate released): without this sweep the map would hold every key ever seen.
   */
  #sweepOncePerMinute(): void {
    const now = this.now();
    if (now - this.#lastSweep < MINUTE_MS) return;
    this.#lastSweep = now;
    for (const [key, times] of this.#times) this.#prune(key, times, now - MINUTE_MS);
  }
}
