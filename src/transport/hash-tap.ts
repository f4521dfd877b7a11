/** A pass-through stage that hashes (SHA-256) and counts the bytes flowing through it. */
import { createHash } from 'node:crypto';
import { Transform, type TransformCallback } from 'node:stream';

export class HashTap extends Transform {
  readonly #hash = createHash('sha256');
  #bytes = 0;

  constructor(private readonly onBytes: (bytes: number) => void = () => undefined) {
    super();
  }

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
