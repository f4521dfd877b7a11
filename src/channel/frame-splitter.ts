/** A Transform from the socket's bytes to whole frames (object mode), enforcing section 2's limits. */
import { Transform, type TransformCallback } from 'node:stream';
import { FrameDecoder } from '../protocol/frames.js';

export class FrameSplitter extends Transform {
  readonly #decoder = new FrameDecoder();

  constructor() {
    // One whole frame waits for the opener while the next is assembled. Measured over
    // 127.0.0.1 with 1 GiB on tmpfs: one frame took 4.3-4.5 s with a receiver peak RSS of
    // 106-110 MiB (107 at 2 GiB); two took 4.6-4.8 s and 118-126 MiB, eight 5.0 s and 151 MiB.
    // Every frame more in flight leaves more freed 1 MiB buffers in glibc's heap.
    super({ readableObjectMode: true, readableHighWaterMark: 1 });
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    try {
      for (const frame of this.#decoder.push(chunk)) this.push(frame);
      callback();
    } catch (error) {
      callback(error as Error);
    }
  }
}
