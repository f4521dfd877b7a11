/** SHA-256 of a file on disk, or of its first bytes, read chunk by chunk into one buffer (memory stays flat). */
import { createHash } from 'node:crypto';
import { BufferPool, readChunks } from './file-chunks.js';
import type { HashedPrefix } from './hash-tap.js';

const HASH_READ_BYTES = 1024 * 1024;

/** Hashes the first `bytes` bytes of `file` (the whole file when omitted). */
export async function hashFile(file: string, bytes = Infinity): Promise<HashedPrefix> {
  const hash = createHash('sha256');
  const buffers = new BufferPool(HASH_READ_BYTES, 1); // each chunk is hashed before the next read
  let read = 0;
  for await (const chunk of readChunks(file, 0, bytes, buffers)) {
    hash.update(chunk);
    read += chunk.length;
    buffers.release(chunk);
  }
  return { hash, bytes: read };
}
