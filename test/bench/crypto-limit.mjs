/**
 * The crypto ceiling: how fast this machine's node:crypto seals AES-256-GCM records and computes
 * SHA-256 on one core, over the bench file in 256 KiB pieces, the size the bench's issue fixed
 * (sealdrop's records carry up to 1 MiB, which makes the per-record share a little smaller).
 * Every byte sealdrop sends goes through both, on the main thread, in each of the two processes.
 */
import { createCipheriv, createHash, randomBytes } from 'node:crypto';
import { open } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';

export const CRYPTO_LIMIT_SCRIPT = fileURLToPath(import.meta.url);

/** Run as `node crypto-limit.mjs FILE`, it measures once and prints this line on stderr. */
export const RESULT_LINE = /^crypto-limit (\{.*\})$/m;

/**
 * The environment to run it in. Left to its defaults, glibc's malloc hands the cipher's freed
 * outputs back to the kernel between garbage collections, and the next ones fault fresh pages
 * in: in this loop that took more system time than the sealing itself (260 000 page faults per
 * GiB; 13 000 with these settings). sealdrop's processes, with their reused buffers, see few such
 * faults (22 000 for a GiB), so a ceiling measured with them would sit below what sealdrop does.
 * Other C libraries ignore the variable.
 */
export function limitEnvironment(env) {
  const keepFreedMemory = 'glibc.malloc.trim_threshold=268435456:glibc.malloc.mmap_threshold=33554432';
  return { ...env, GLIBC_TUNABLES: [env.GLIBC_TUNABLES, keepFreedMemory].filter(Boolean).join(':') };
}

const PIECE_BYTES = 256 * 1024;
const RECORD_TYPE_DATA = Buffer.of(0x21);

/**
 * Seals one piece the way src/protocol/records.ts does: a fresh cipher per record, the 4-byte
 * frame header as AAD, the type byte and the body as two updates, then the tag.
 */
function sealRecord(key, seq, body) {
  const header = Buffer.alloc(4);
  header.writeUInt32BE(1 + body.length + 16);
  const nonce = Buffer.alloc(12);
  nonce.writeUInt32BE(seq, 8); // well below 2^32 pieces for any bench file
  const cipher = createCipheriv('aes-256-gcm', key, nonce, { authTagLength: 16 });
  cipher.setAAD(header);
  cipher.update(RECORD_TYPE_DATA);
  cipher.update(body);
  cipher.final();
  return cipher.getAuthTag();
}

const elapsedNs = (since) => process.hrtime.bigint() - since;

/**
 * Reads the file piece by piece and times only the crypto calls (not the reads): returns
 * { sealSeconds, sha256Seconds }. Each piece is sealed, then hashed, while it is hot in the
 * cache, as sealdrop's sender does.
 */
export async function measureCryptoLimit(file) {
  const key = randomBytes(32);
  const hash = createHash('sha256');
  const piece = Buffer.allocUnsafe(PIECE_BYTES);
  let sealNs = 0n;
  let hashNs = 0n;
  const handle = await open(file);
  try {
    for (let seq = 0; ; seq += 1) {
      const { bytesRead } = await handle.read(piece, 0, PIECE_BYTES, null);
      if (bytesRead === 0) break;
      const body = piece.subarray(0, bytesRead);
      let started = process.hrtime.bigint();
      sealRecord(key, seq, body);
      sealNs += elapsedNs(started);
      started = process.hrtime.bigint();
      hash.update(body);
      hashNs += elapsedNs(started);
    }
  } finally {
    await handle.close();
  }
  const started = process.hrtime.bigint();
  hash.digest();
  hashNs += elapsedNs(started);
  return { sealSeconds: Number(sealNs) / 1e9, sha256Seconds: Number(hashNs) / 1e9 };
}

if (process.argv[1] === CRYPTO_LIMIT_SCRIPT) {
  const result = await measureCryptoLimit(process.argv[2]);
  process.stderr.write(`crypto-limit ${JSON.stringify(result)}\n`);
}
