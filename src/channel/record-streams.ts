/**
 * The record layer as node:stream Transforms, so that file data flows through
 * `stream.pipeline` with backpressure and memory stays flat whatever the file size:
 *
 * - DataSealer: file bytes in, sealed DATA frames out (as pieces for writev);
 * - RecordOpenerStream: frames in, authenticated records out;
 * - RecordSink: the end of one file's pipeline, writing into the channel's byte stream without
 *   ending it (a pipeline straight into the stream would add listeners to it for every file).
 */
import { Transform, Writable, type TransformCallback } from 'node:stream';
import type { RecordFrame } from '../protocol/frames.js';
import { MAX_RECORD_BODY_BYTES, RecordType, type Record, type RecordOpener, type RecordSealer } from '../protocol/records.js';

export class RecordOpenerStream extends Transform {
  constructor(private readonly opener: RecordOpener) {
    super({ objectMode: true, highWaterMark: 1 });
  }

  override _transform(frame: RecordFrame, _encoding: BufferEncoding, callback: TransformCallback): void {
    let record: Record;
    try {
      record = this.opener.open(frame);
    } catch (error) {
      callback(error as Error);
      return;
    }
    callback(null, record);
  }
}

export class DataSealer extends Transform {
  /** `afterSeal` gets each chunk once it is sealed (and so no longer needed), to recycle it. */
  constructor(
    private readonly sealer: RecordSealer,
    private readonly afterSeal: (chunk: Buffer) => void = () => undefined,
  ) {
    // One record in and one out: more slack on the readable side only raised the sender's peak
    // memory, at the same speed.
    super({ writableHighWaterMark: MAX_RECORD_BODY_BYTES, readableHighWaterMark: MAX_RECORD_BODY_BYTES });
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    for (let start = 0; start < chunk.length; start += MAX_RECORD_BODY_BYTES) {
      const body = chunk.subarray(start, start + MAX_RECORD_BODY_BYTES);
      for (const piece of this.sealer.seal(RecordType.DATA, body)) this.push(piece);
    }
    this.afterSeal(chunk);
    callback();
  }
}

/** Sealed pieces go out through `write`, which resolves once the stream takes more. */
export type WritePieces = (pieces: readonly Buffer[]) => Promise<void>;

export class RecordSink extends Writable {
  constructor(private readonly writePieces: WritePieces) {
    super({ highWaterMark: MAX_RECORD_BODY_BYTES });
  }

  override _writev(chunks: Array<{ chunk: Buffer }>, callback: (error?: Error | null) => void): void {
    this.writePieces(chunks.map(({ chunk }) => chunk)).then(() => callback(), callback);
  }
}
