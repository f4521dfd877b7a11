/**
 * Frames (PROTOCOL.md section 2): `length:u32 || payload[length]`, the only unit on the wire.
 *
 * FrameDecoder turns arbitrary chunks of bytes into whole frames. It checks every length as
 * soon as its four bytes are in, so a hostile length is refused before any of its payload is
 * read or buffered. The first frames of a connection are handshake frames (1 to 1025 bytes);
 * every later frame is a record (17 to 1,048,593 bytes). Each side receives exactly three
 * handshake frames (HELLO, STAGE2, CONFIRM), so the decoder switches limits after the third.
 * A record's payload is handed over as slices of the chunks it arrived in, never copied: a
 * 1 MiB record spans some sixteen socket reads, and joining them cost a copy of every byte.
 */
import { SealdropError } from '../errors.js';
import { joinParts } from './byte-parts.js';

export const FRAME_HEADER_BYTES = 4;
export const MIN_HANDSHAKE_FRAME_BYTES = 1;
export const MAX_HANDSHAKE_FRAME_BYTES = 1025;
/** A record is at least its type byte and the 16-byte tag. */
export const MIN_RECORD_FRAME_BYTES = 17;
/** 1,048,576 bytes of body, the type byte and the 16-byte tag. */
export const MAX_RECORD_FRAME_BYTES = 1_048_593;
/** HELLO, STAGE2 and CONFIRM: the handshake frames each side receives (section 4). */
export const HANDSHAKE_FRAMES_PER_SIDE = 3;

export function frameHeader(payloadBytes: number): Buffer {
  const header = Buffer.allocUnsafe(FRAME_HEADER_BYTES);
  header.writeUInt32BE(payloadBytes, 0);
  return header;
}

export function encodeFrame(payload: Uint8Array): Buffer {
  return Buffer.concat([frameHeader(payload.length), payload]);
}

export interface FrameLimits {
  readonly minBytes: number;
  readonly maxBytes: number;
}

export const HANDSHAKE_FRAME_LIMITS: FrameLimits = { minBytes: MIN_HANDSHAKE_FRAME_BYTES, maxBytes: MAX_HANDSHAKE_FRAME_BYTES };
export const RECORD_FRAME_LIMITS: FrameLimits = { minBytes: MIN_RECORD_FRAME_BYTES, maxBytes: MAX_RECORD_FRAME_BYTES };

/** A handshake frame (at most 1025 bytes), whole; `header` is its 4 length bytes. */
export interface HandshakeFrame {
  readonly kind: 'handshake';
  readonly header: Buffer;
  readonly payload: Buffer;
}

/** A record frame; `header` is its 4 length bytes (the record's AAD), the payload is in parts. */
export interface RecordFrame {
  readonly kind: 'record';
  readonly header: Buffer;
  /** The payload as slices of the received chunks, in order; none is empty. */
  readonly payloadParts: readonly Buffer[];
}

export type Frame = HandshakeFrame | RecordFrame;

/** The frame, which section 4's order says must be a handshake frame. */
export function expectHandshakeFrame(frame: Frame): HandshakeFrame {
  if (frame.kind !== 'handshake') throw new SealdropError('E_PROTOCOL', 'a record arrived where a handshake frame belongs');
  return frame;
}

export class FrameDecoder {
  readonly #chunks: Buffer[] = [];
  #bufferedBytes = 0;
  #framesDecoded = 0;
  #pendingLength: number | null = null;
  #pendingHeader: Buffer | null = null;

  constructor(private readonly handshakeFrames: number = HANDSHAKE_FRAMES_PER_SIDE) {}

  /** Bytes received but not yet part of a whole frame (never more than one frame's worth). */
  get bufferedBytes(): number {
    return this.#bufferedBytes;
  }

  /** Adds bytes and returns every frame they complete. Throws E_PROTOCOL on a length out of range. */
  push(chunk: Buffer): Frame[] {
    if (chunk.length > 0) {
      this.#chunks.push(chunk);
      this.#bufferedBytes += chunk.length;
    }
    const frames: Frame[] = [];
    for (;;) {
      if (this.#pendingLength === null) {
        if (this.#bufferedBytes < FRAME_HEADER_BYTES) return frames;
        const header = this.#take(FRAME_HEADER_BYTES);
        const length = header.readUInt32BE(0);
        this.#checkLength(length);
        this.#pendingLength = length;
        this.#pendingHeader = header;
      }
      if (this.#bufferedBytes < this.#pendingLength) return frames;
      const header = this.#pendingHeader!;
      frames.push(
        this.#isHandshakePhase()
          ? { kind: 'handshake', header, payload: this.#take(this.#pendingLength) }
          : { kind: 'record', header, payloadParts: this.#takeParts(this.#pendingLength) },
      );
      this.#framesDecoded += 1;
      this.#pendingLength = null;
      this.#pendingHeader = null;
    }
  }

  #isHandshakePhase(): boolean {
    return this.#framesDecoded < this.handshakeFrames;
  }

  #checkLength(length: number): void {
    const handshake = this.#isHandshakePhase();
    const limits = handshake ? HANDSHAKE_FRAME_LIMITS : RECORD_FRAME_LIMITS;
    if (length < limits.minBytes || length > limits.maxBytes) {
      const what = handshake ? 'handshake frame' : 'record';
      throw new SealdropError(
        'E_PROTOCOL',
        `the peer announced a ${what} of ${length} bytes (allowed: ${limits.minBytes} to ${limits.maxBytes}); not a sealdrop v1 peer`,
      );
    }
  }

  /** Removes `count` bytes from the front as one Buffer; copies only when they span chunks. */
  #take(count: number): Buffer {
    return joinParts(this.#takeParts(count));
  }

  /** Removes `count` (at least 1) bytes from the front as slices of the buffered chunks. */
  #takeParts(count: number): Buffer[] {
    this.#bufferedBytes -= count;
    const parts: Buffer[] = [];
    let missing = count;
    while (missing > 0) {
      const chunk = this.#chunks[0]!;
      if (chunk.length <= missing) {
        parts.push(this.#chunks.shift()!);
        missing -= chunk.length;
      } else {
        parts.push(chunk.subarray(0, missing));
        this.#chunks[0] = chunk.subarray(missing);
        missing = 0;
      }
    }
    return parts;
  }
}
