import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { FrameDecoder } from '../../src/protocol/frames.js';
import { MAX_RECORD_BODY_BYTES, RecordOpener, RecordSealer } from '../../src/protocol/records.js';

const key = Buffer.alloc(32, 9);

/** Opens every frame of `stream` (split at `cuts`) with a fresh decoder past the handshake. */
function openAll(stream: Buffer, cuts: number[]) {
  const decoder = new FrameDecoder(0);
  const opener = new RecordOpener(key);
  const records = [];
  let start = 0;
  for (const point of [...new Set(cuts.map((c) => c % (stream.length + 1)))].sort((a, b) => a - b).concat(stream.length)) {
    for (const frame of decoder.push(stream.subarray(start, point))) {
      if (frame.kind !== 'record') throw new Error('a decoder past the handshake gave a handshake frame');
      records.push(opener.open(frame));
    }
    start = point;
  }
  return records;
}

describe('record layer', () => {
  it('round-trips any records, however the stream is split (property)', () => {
    const records = fc.array(fc.record({ type: fc.integer({ min: 0, max: 255 }), body: fc.uint8Array({ maxLength: 2000 }) }), { maxLength: 10 });
    fc.assert(
      fc.property(records, fc.array(fc.nat(), { maxLength: 10 }), (input, cuts) => {
        const sealer = new RecordSealer(key);
        const stream = Buffer.concat(input.flatMap((r) => sealer.seal(r.type, r.body)));
        const opened = openAll(stream, cuts);
        expect(opened.map((r) => [r.type, Buffer.from(r.body)])).toEqual(input.map((r) => [r.type, Buffer.from(r.body)]));
        expect(opened.map((r) => Buffer.concat(r.bodyParts))).toEqual(opened.map((r) => r.body));
        expect(opened.every((r) => r.bodyParts.every((part) => part.length > 0))).toBe(true);
      }),
      { numRuns: 100 },
    );
  });

  it('refuses any altered byte of a sealed stream with a typed error (property)', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 1, maxLength: 500 }), fc.nat(), fc.integer({ min: 1, max: 255 }), (body, at, flip) => {
        const stream = Buffer.concat(new RecordSealer(key).seal(0x21, body));
        stream[at % stream.length]! ^= flip;
        let opened: unknown[];
        try {
          opened = openAll(stream, []);
        } catch (error) {
          expect(error).toMatchObject({ code: 'E_PROTOCOL' });
          return;
        }
        expect(opened).toEqual([]); // a longer length leaves the frame incomplete: nothing is released
      }),
      { numRuns: 200 },
    );
  });

  it('opens arbitrary bytes only into typed errors, never a crash (property)', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 3000 }), fc.array(fc.nat(), { maxLength: 5 }), (bytes, cuts) => {
        try {
          expect(openAll(Buffer.from(bytes), cuts)).toEqual([]);
        } catch (error) {
          expect(error).toMatchObject({ code: 'E_PROTOCOL' });
        }
      }),
      { numRuns: 300 },
    );
  });

  it('opens a record split after its type byte and inside its tag, piece by piece', () => {
    const body = Buffer.from('a body that arrives in three reads');
    const stream = Buffer.concat(new RecordSealer(key).seal(0x21, body));
    // header and type byte | 10 body bytes | the rest of the body and half the tag | the other half
    const [record] = openAll(stream, [5, 15, stream.length - 8]);
    expect(record!.type).toBe(0x21);
    expect(record!.bodyParts.map((part) => part.toString())).toEqual([body.toString().slice(0, 10), body.toString().slice(10)]);
    expect(record!.body.toString()).toBe(body.toString());
  });

  it('joins a record that arrived in many small pieces before decrypting it', () => {
    const body = Buffer.from('sent one byte at a time by a slow or odd peer, '.repeat(3)); // a payload of 158 one-byte pieces
    const stream = Buffer.concat(new RecordSealer(key).seal(0x21, body));
    const [record] = openAll(stream, Array.from({ length: stream.length }, (_, i) => i));
    expect(record!.bodyParts).toHaveLength(1);
    expect(record!.body.toString()).toBe(body.toString());
  });

  it('seals a maximal body and refuses a larger one', () => {
    const sealer = new RecordSealer(key);
    expect(Buffer.concat(sealer.seal(0x21, Buffer.alloc(MAX_RECORD_BODY_BYTES))).length).toBe(4 + 1 + MAX_RECORD_BODY_BYTES + 16);
    expect(() => sealer.seal(0x21, Buffer.alloc(MAX_RECORD_BODY_BYTES + 1))).toThrow(RangeError);
  });
});
