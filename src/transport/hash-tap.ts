/** A pass-through stage that hashes (SHA-256) and counts the bytes flowing through it. */
import { createHash, type Hash } from 'node:crypto';
import { Transform, type TransformCallback } from 'node:stream';

/** A hash already fed with the first `bytes` bytes of a file (a resumed transfer's prefix). */
export interface HashedPrefix {
  readonly hash: Hash;
  readonly bytes: number;
}

export class HashTap extends Transform {
  readonly #hash: Hash;
  #bytes: number;

  constructor(
    private readonly onBytes: (bytes: number) => void = () => undefined,
    prefix?: HashedPrefix,
  ) {
    super();
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

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.#hash.update(chunk);
    this.#bytes += chunk.length;
    this.onBytes(chunk.length);
    callback(null, chunk);
  }
}
