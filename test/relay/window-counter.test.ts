// The relay's per-minute counters (PROTOCOL.md section 9's rate limits).
import { describe, expect, it } from 'vitest';
import { MINUTE_MS } from '../../src/relay/limits.js';
import { WindowCounter } from '../../src/relay/window-counter.js';

function clockedCounter() {
  let now = 0;
  const counter = new WindowCounter(() => now);
  return { counter, advance: (ms: number) => (now += ms) };
}

describe('WindowCounter', () => {
  it('lets `max` events a minute through per key, then the next once the oldest is a minute old', () => {
    const { counter, advance } = clockedCounter();
    expect(counter.tryAdd('a', 2)).toBe(true);
    advance(10_000);
    expect(counter.tryAdd('a', 2)).toBe(true);
    expect(counter.tryAdd('a', 2)).toBe(false);
    expect(counter.tryAdd('b', 2)).toBe(true);
    advance(MINUTE_MS - 10_000);
    expect(counter.tryAdd('a', 2)).toBe(true);
    expect(counter.count('a')).toBe(2);
  });

  it('forgets keys that had no event for a minute, even if they are never counted again', () => {
    const { counter, advance } = clockedCounter();
    for (let i = 0; i < 1000; i++) counter.add(`address-${i}`);
    expect(counter.size).toBe(1000);
    advance(MINUTE_MS);
    counter.add('another');
    expect(counter.size).toBe(1);
  });
});
