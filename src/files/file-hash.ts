/** SHA-256 of a file, or of its first bytes, read chunk by chunk into one buffer (memory stays flat). */
import { createHash } from 'node:crypto';
import { open, type FileHandle } from 'node:fs/promises';
import { BufferPool, readChunks } from './file-chunks.js';
import type { HashedPrefix } from '../protocol/hashed-prefix.js';

const HASH_READ_BYTES = 1024 * 1024;

/** Hashes the first `bytes` bytes of the open `file` (all of it when omitted). */
export async function hashOpenFile(file: FileHandle, bytes = Infinity): Promise<HashedPrefix> {
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

/** Hashes the file named `file`, through a link as sha256sum does: the person named it. */
export async function hashFile(file: string): Promise<HashedPrefix> {
  const handle = await open(file, 'r');
  try {
    return await hashOpenFile(handle);
  } finally {
    await handle.close();
  }
}
