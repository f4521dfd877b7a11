import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { FRAME_HEADER_BYTES, FrameDecoder, MAX_RECORD_FRAME_BYTES, encodeFrame, frameHeader, type Frame } from '../../src/protocol/frames.js';
import { hex, loadVectors } from '../support/vectors.js';

const doc = loadVectors('handshake-v1.json');

const payloadOf = (frame: Frame): Buffer => (frame.kind === 'handshake' ? frame.payload : Buffer.concat(frame.payloadParts));

describe('FrameDecoder', () => {
  it.each<any>(doc.hello_cases.filter((c: any) => c.frame_header))(
    'handshake $name: refused on the header alone',
    (c: any) => {
      expect(() => new FrameDecoder().push(hex(c.frame_header))).toThrow(expect.objectContaining({ code: 'E_PROTOCOL' }));
    },
  );

  it.each<any>(doc.record_cases.filter((c: any) => c.frame_header))('record $name', (c: any) => {
    const decoder = new FrameDecoder(0); // past the handshake: every frame is a record
    const push = () => decoder.push(hex(c.frame_header));
    if (c.expected === 'read payload') {
      expect(push()).toEqual([]);
      expect(decoder.bufferedBytes).toBe(0);
    } else {
      expect(push).toThrow(expect.objectContaining({ code: 'E_PROTOCOL' }));
    }
  });

  it('switches from handshake to record limits after three frames', () => {
    const decoder = new FrameDecoder();
    const handshakeFrames = [encodeFrame(Buffer.alloc(397, 1)), encodeFrame(Buffer.alloc(385, 2)), encodeFrame(Buffer.alloc(33, 3))];
    const frames = decoder.push(Buffer.concat(handshakeFrames));
    expect(frames.map((f) => [f.kind, payloadOf(f).length])).toEqual([['handshake', 397], ['handshake', 385], ['handshake', 33]]);
    expect(() => decoder.push(frameHeader(16))).toThrow(); // a record needs at least 17 bytes
    const recordDecoder = new FrameDecoder(1);
    recordDecoder.push(encodeFrame(Buffer.alloc(1)));
    expect(recordDecoder.push(encodeFrame(Buffer.alloc(2000)))[0]).toMatchObject({ kind: 'record' });
  });

  it('hands a record over as slices of the chunks it arrived in, not a copy', () => {
    const frame = encodeFrame(Buffer.alloc(3000, 7));
    const chunks = [frame.subarray(0, 1000), frame.subarray(1000, 2500), frame.subarray(2500)];
    const decoder = new FrameDecoder(0);
    expect(decoder.push(chunks[0]!)).toEqual([]);
    expect(decoder.push(chunks[1]!)).toEqual([]);
    const [record] = decoder.push(chunks[2]!);
    if (record?.kind !== 'record') throw new Error('expected a record frame');
    expect(record.payloadParts.map((part) => part.length)).toEqual([996, 1500, 504]);
    expect(record.payloadParts.every((part) => part.buffer === frame.buffer)).toBe(true);
  });

  it('refuses a 2^31-byte announcement on its four length bytes, holding nothing', () => {
    const decoder = new FrameDecoder(0);
    const header = frameHeader(2 ** 31);
    for (let i = 0; i < 3; i++) {
      expect(decoder.push(header.subarray(i, i + 1))).toEqual([]);
      expect(decoder.bufferedBytes).toBe(i + 1);
    }
    // Refused on the fourth length byte, before a byte of payload arrives.
    expect(() => decoder.push(header.subarray(3))).toThrow(expect.objectContaining({ code: 'E_PROTOCOL' }));
    expect(decoder.bufferedBytes).toBe(0);
  });

  it('gives the same frames however the stream is split (property)', () => {
    const payloads = fc.array(fc.uint8Array({ minLength: 17, maxLength: 3000 }), { maxLength: 8 });
    fc.assert(
      fc.property(payloads, fc.array(fc.nat(), { maxLength: 20 }), (parts, cuts) => {
        const stream = Buffer.concat(parts.map((p) => encodeFrame(p)));
        const points = [...new Set(cuts.map((c) => c % (stream.length + 1)))].sort((a, b) => a - b);
        const decoder = new FrameDecoder(0);
        const out = [];
        let start = 0;
        for (const point of [...points, stream.length]) {
          out.push(...decoder.push(stream.subarray(start, point)));
          start = point;
        }
        expect(out.map(payloadOf)).toEqual(parts.map((p) => Buffer.from(p)));
        expect(out.every((f) => f.kind === 'record' && f.payloadParts.every((part) => part.length > 0))).toBe(true);
        expect(decoder.bufferedBytes).toBe(0);
      }),
    );
  });

  it('never buffers more than one maximal record plus its header, fed well past it (property)', () => {
    // A record announcing any length, then bytes of `fill` up to 1.5 MiB in chunks:
    // the decoder holds at most one maximal record, or refuses the stream.
    const announced = fc.oneof(
      fc.constantFrom(MAX_RECORD_FRAME_BYTES, MAX_RECORD_FRAME_BYTES + 1, 2 ** 31, 2 ** 32 - 1),
      fc.integer({ min: 0, max: 2 ** 32 - 1 }),
    );
    // Chunks of 1 KiB and more: a byte at a time would mean 1.5 million pushes a run (the
    // property 'the same frames however the stream is split' covers small cuts).
    const chunkSizes = fc.array(fc.integer({ min: 1024, max: 256 * 1024 }), { minLength: 1, maxLength: 16 });
    const streamBytes = MAX_RECORD_FRAME_BYTES + 512 * 1024;
    fc.assert(
      fc.property(announced, fc.integer({ min: 0, max: 255 }), chunkSizes, (length, fill, sizes) => {
        const decoder = new FrameDecoder(0);
        const stream = Buffer.concat([frameHeader(length), Buffer.alloc(streamBytes - FRAME_HEADER_BYTES, fill)]);
        let fed = 0;
        try {
          for (let i = 0; fed < stream.length; i++) {
            const size = sizes[i % sizes.length]!;
            decoder.push(stream.subarray(fed, fed + size));
            fed += size;
            expect(decoder.bufferedBytes).toBeLessThanOrEqual(MAX_RECORD_FRAME_BYTES + FRAME_HEADER_BYTES);
          }
        } catch (error) {
          expect(error).toMatchObject({ code: 'E_PROTOCOL' });
        }
      }),
      { numRuns: 50, endOnFailure: true }, // shrinking 1.5 MiB streams would take minutes
    );
  });
});
