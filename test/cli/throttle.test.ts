/** The progress-event throttle (src/cli/throttle.ts): the first call passes, then one per interval. */
import { describe, expect, it } from 'vitest';
import { Throttle } from '../../src/cli/throttle.js';

describe('Throttle', () => {
  it('lets the first call through, then only once the interval has passed since the last one let through', () => {
    let now = 1000;
    const throttle = new Throttle(250, () => now);
    const passed: number[] = [];
    for (const at of [1000, 1001, 1249, 1250, 1300, 1499, 1500, 5000]) {
      now = at;
      if (throttle.ready()) passed.push(at);
    }
    expect(passed).toEqual([1000, 1250, 1500, 5000]);
  });
});
