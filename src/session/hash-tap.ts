/**
 * A pass-through stage that hashes (SHA-256) and counts the bytes flowing through it. A chunk is
 * a Buffer (a file read, on the sending side) or a record's body as its pieces (receiving side).
 */
import { createHash, type Hash } from 'node:crypto';
import { Transform, type TransformCallback } from 'node:stream';
import type { HashedPrefix } from '../protocol/hashed-prefix.js';

export class HashTap extends Transform {
  readonly #hash: Hash;
  #bytes: number;

  constructor(
    private readonly onBytes: (bytes: number) => void = () => undefined,
    prefix?: HashedPrefix,
  ) {
    // Object mode, so that a record's pieces pass as one chunk; one chunk of slack each side.
    super({ objectMode: true, highWaterMark: 1 });
    this.#hash = prefix ? prefix.hash.copy() : createHash('sha256');
    this.#bytes = prefix?.bytes ?? 0;
  }

  /** Bytes hashed so far, the prefix included. */
  get bytes(): number {
    return this.#bytes;
  }

  /** The hex digest; call once, after the stream has finished. */
  digest(): string {
    return this.#hash.digest('hex');
  }

  override _transform(chunk: Buffer | readonly Buffer[], _encoding: BufferEncoding, callback: TransformCallback): void {
    let length = 0;
    for (const piece of Buffer.isBuffer(chunk) ? [chunk] : chunk) {
      this.#hash.update(piece);
      length += piece.length;
    }
    this.#bytes += length;
    this.onBytes(length);
    callback(null, chunk);
  }
}
