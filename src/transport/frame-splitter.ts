/** A Transform from the socket's bytes to whole frames (object mode), enforcing section 2's limits. */
import { Transform, type TransformCallback } from 'node:stream';
import { FrameDecoder } from '../protocol/frames.js';

export class FrameSplitter extends Transform {
  readonly #decoder = new FrameDecoder();

  constructor() {
    // A few frames of slack let the socket keep reading while the opener works (measured: 300 MB
    // took 2.3-2.6 s with one frame, 1.8-2.0 s with eight); at most 8 MiB of records wait here.
    super({ readableObjectMode: true, readableHighWaterMark: 8 });
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
