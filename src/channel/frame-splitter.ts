/**
 * A Transform from the stream's bytes to whole frames (object mode), enforcing section 2's
 * limits. It counts the bytes it took, which is every byte the peer sent us.
 */
import { Transform, type TransformCallback } from 'node:stream';
import { FrameDecoder } from '../protocol/frames.js';

export class FrameSplitter extends Transform {
  readonly #decoder = new FrameDecoder();
  bytesRead = 0;

  constructor() {
    // One whole frame waits for the opener while the next is assembled. More frames in flight
    // were no faster, and each one more leaves more freed 1 MiB buffers in glibc's heap, which
    // raises the receiver's peak memory.
    super({ readableObjectMode: true, readableHighWaterMark: 1 });
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.bytesRead += chunk.length;
    try {
      for (const frame of this.#decoder.push(chunk)) this.push(frame);
      callback();
    } catch (error) {
      callback(error as Error);
    }
  }
}
