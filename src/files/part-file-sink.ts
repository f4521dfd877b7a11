/**
 * The end of a received file's pipeline: each chunk is one record's body, as the pieces it was
 * decrypted in, and goes to the part file in one writev (one system call per record rather than
 * one per piece). At the end the file is fsynced, so a verified file is a durable one, and closed.
 *
 * On the way the data is flushed to the disk in the background, every FLUSH_EVERY_BYTES. The
 * kernel starts writing dirty pages back on its own only past 10 % of memory, so a 1 GiB file
 * would otherwise sit in the page cache until the final fsync, and the transfer would end with
 * a second or more of disk writes after the last byte arrived. Flushing as the data comes lets
 * the disk work while the CPU decrypts, so the transfer ends sooner.
 */
import type { FileHandle } from 'node:fs/promises';
import { Writable } from 'node:stream';
import { partsLength } from '../protocol/byte-parts.js';

export const FLUSH_EVERY_BYTES = 32 * 1024 * 1024;

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
  #unflushedBytes = 0;
  /** The background flush in progress, if any; it never rejects (its error is kept instead). */
  #flushing: Promise<void> | null = null;
  /** A failed background flush (EIO, ENOSPC): the next write, or the end, reports it. */
  #flushError: Error | null = null;

  constructor(
    private readonly handle: FileHandle,
    private readonly flushEveryBytes: number = FLUSH_EVERY_BYTES,
  ) {
    // One record waits while the one before it is written: the disk and the decryption overlap.
    super({ objectMode: true, highWaterMark: 1 });
  }

  override _write(parts: readonly Buffer[], _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    if (this.#flushError) {
      callback(this.#flushError);
      return;
    }
    const length = partsLength(parts);
    if (length === 0) {
      callback();
      return;
    }
    writeAll(this.handle, parts).then(() => {
      this.#flushInBackground(length);
      callback();
    }, callback);
  }

  /** Starts a flush once enough has been written since the last, unless one is still running. */
  #flushInBackground(bytesWritten: number): void {
    this.#unflushedBytes += bytesWritten;
    if (this.#unflushedBytes < this.flushEveryBytes || this.#flushing) return;
    this.#unflushedBytes = 0;
    this.#flushing = this.handle
      .datasync()
      .catch((error: Error) => {
        this.#flushError ??= error;
      })
      .finally(() => {
        this.#flushing = null;
      });
  }

  override _final(callback: (error?: Error | null) => void): void {
    Promise.resolve(this.#flushing)
      .then(() => {
        if (this.#flushError) throw this.#flushError;
        return this.handle.sync();
      })
      .then(() => callback(), callback);
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    // close() waits for a background flush still running on the handle.
    this.handle.close().then(() => callback(error), () => callback(error));
  }
}
