import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { joinParts, partsLength, splitTail } from '../../src/protocol/byte-parts.js';

const someParts = fc.array(fc.uint8Array({ maxLength: 40 }).map((bytes) => Buffer.from(bytes)), { maxLength: 8 });

describe('byte parts', () => {
  it('splitTail keeps the bytes and their order, copying nothing of the head (property)', () => {
    fc.assert(
      fc.property(someParts, fc.nat(), (parts, n) => {
        const whole = Buffer.concat(parts);
        const tailBytes = n % (whole.length + 1);
        const { head, tail } = splitTail(parts, tailBytes);
        expect(Buffer.concat(head)).toEqual(whole.subarray(0, whole.length - tailBytes));
        expect(tail).toEqual(whole.subarray(whole.length - tailBytes));
        expect(partsLength(head) + tail.length).toBe(whole.length);
        expect(head.every((piece) => parts.some((part) => piece.buffer === part.buffer))).toBe(true);
      }),
    );
  });

  it('splitTail refuses to take more bytes than there are', () => {
    expect(() => splitTail([Buffer.alloc(3), Buffer.alloc(4)], 8)).toThrow(RangeError);
  });

  it('joinParts returns a single part itself and copies only several', () => {
    const only = Buffer.from('one');
    expect(joinParts([only])).toBe(only);
    expect(joinParts([Buffer.from('a'), Buffer.from('bc')]).toString()).toBe('abc');
    expect(joinParts([])).toHaveLength(0);
  });
});
