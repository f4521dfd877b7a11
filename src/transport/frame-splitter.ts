/** A Transform from the socket's bytes to whole frames (object mode), enforcing section 2's limits. */
import { Transform, type TransformCallback } from 'node:stream';
import { FrameDecoder } from '../protocol/frames.js';

export class FrameSplitter extends Transform {
  readonly #decoder = new FrameDecoder();

  constructor() {
    // Two frames of slack let the socket keep reading while the opener works. More buys nothing:
    // 1 GiB over tmpfs took 4.3-4.5 s with two and 5.0 s with eight, whose extra 6 MiB in flight
    // also raised the receiver's peak RSS from 115 to 151 MiB (two processes over 127.0.0.1).
    super({ readableObjectMode: true, readableHighWaterMark: 2 });
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
