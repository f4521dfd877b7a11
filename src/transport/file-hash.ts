/** SHA-256 of a file on disk, or of its first bytes, read as a stream (memory stays flat). */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import type { HashedPrefix } from './hash-tap.js';

/** Hashes the first `bytes` bytes of `file` (the whole file when omitted). */
export async function hashFile(file: string, bytes?: number): Promise<HashedPrefix> {
  const hash = createHash('sha256');
  let read = 0;
  if (bytes !== 0) {
    const options = bytes === undefined ? {} : { end: bytes - 1 };
    for await (const chunk of createReadStream(file, { ...options, highWaterMark: 1024 * 1024 })) {
      hash.update(chunk as Buffer);
      read += (chunk as Buffer).length;
    }
  }
  return { hash, bytes: read };
}
