/** Counts events per key over a sliding minute, for the relay's rate limits (section 9). */
import { MINUTE_MS } from './limits.js';

export class WindowCounter {
  readonly #times = new Map<string, number[]>();

  constructor(private readonly now: () => number = Date.now) {}

  /** How many events `key` had in the last minute. */
  count(key: string): number {
    const cutoff = this.now() - MINUTE_MS;
    const times = this.#times.get(key);
    if (times === undefined) return 0;
    while (times.length > 0 && times[0]! <= cutoff) times.shift();
    if (times.length === 0) this.#times.delete(key);
    return times.length;
  }

  add(key: string): void {
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
}
