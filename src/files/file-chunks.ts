/**
 * Reading a file to send: a byte range, chunk by chunk, into a few buffers that are used again
 * and again. A fresh 1 MiB buffer per read cost the sender page faults on every megabyte (the
 * allocator hands freed buffers back to the kernel, and new ones come back zeroed); recycling
 * them keeps the same few pages in use for the whole transfer.
 */
import type { FileHandle } from 'node:fs/promises';

/**
 * Buffers of one size, handed out and taken back. `acquire` never waits: with none free it makes
 * a new one, so a stage that holds chunks longer than expected costs memory, never a deadlock.
 */
export class BufferPool {
  readonly #free: Buffer[] = [];

  constructor(
    readonly bufferBytes: number,
    private readonly keepAtMost: number,
  ) {}

  acquire(): Buffer {
    return this.#free.pop() ?? Buffer.allocUnsafeSlow(this.bufferBytes);
  }

  /**
   * Takes back the buffer that `chunk` (a view from its start) was read into. Whoever releases a
   * chunk must be its last user: the next read may overwrite it at once.
   */
  release(chunk: Buffer): void {
    if (this.#free.length >= this.keepAtMost || chunk.byteOffset !== 0 || chunk.buffer.byteLength !== this.bufferBytes) return;
    this.#free.push(Buffer.from(chunk.buffer, 0, this.bufferBytes));
  }
}

/**
 * Yields the bytes of the open `file` from `start` up to (not including) `end` (Infinity: to the
 * end of the file) in chunks of at most the pool's buffer size, each a view of a pooled buffer, to
 * be released by its last user. Stops early if the file turns out shorter; the caller compares
 * the count. The caller opens the file, so that what it checked is what is read, and closes it.
 */
export async function* readChunks(file: FileHandle, start: number, end: number, pool: BufferPool): AsyncGenerator<Buffer> {
  for (let position = start; position < end; ) {
    const buffer = pool.acquire();
    const { bytesRead } = await file.read(buffer, 0, Math.min(buffer.length, end - position), position);
    if (bytesRead === 0) return;
    position += bytesRead;
    yield buffer.subarray(0, bytesRead);
  }
}
