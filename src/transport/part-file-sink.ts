/**
 * The end of a received file's pipeline: each chunk is one record's body, as the pieces it was
 * decrypted in, and goes to the part file in one writev (one system call per record rather than
 * one per piece). At the end the file is fsynced, so a verified file is a durable one, and closed.
 */
import type { FileHandle } from 'node:fs/promises';
import { Writable } from 'node:stream';
import { partsLength } from '../protocol/byte-parts.js';

/** Writes all the parts at the file's current offset, going on after a short write. */
async function writeAll(handle: FileHandle, parts: readonly Buffer[]): Promise<void> {
  let pending = [...parts];
  while (pending.length > 0) {
    let { bytesWritten } = await handle.writev(pending);
    while (pending.length > 0 && bytesWritten >= pending[0]!.length) bytesWritten -= pending.shift()!.length;
    if (pending.length > 0) pending[0] = pending[0]!.subarray(bytesWritten);
  }
}

export class PartFileSink extends Writable {
  constructor(private readonly handle: FileHandle) {
    // One record waits while the one before it is written: the disk and the decryption overlap.
    super({ objectMode: true, highWaterMark: 1 });
  }

  override _write(parts: readonly Buffer[], _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    if (partsLength(parts) === 0) {
      callback();
      return;
    }
    writeAll(this.handle, parts).then(() => callback(), callback);
  }

  override _final(callback: (error?: Error | null) => void): void {
    this.handle.sync().then(() => callback(), callback);
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    this.handle.close().then(() => callback(error), () => callback(error));
  }
}
