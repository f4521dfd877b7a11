/**
 * SHA-256 length extension (FIPS 180-4 section 6.2), as an attacker would run it: from the digest
 * of some unknown `prefix` and its length alone, the digest of `prefix || glue || suffix`, where
 * `glue` is the padding SHA-256 put after `prefix`. node:crypto cannot start from a given state,
 * so the compression function is written out here; it is for tests only.
 */
import { createHash } from 'node:crypto';

const K = Uint32Array.from(
  [
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5, 0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3,
    0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174, 0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
    0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967, 0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13,
    0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85, 0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
    0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3, 0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208,
    0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
  ],
);

const rotr = (x: number, n: number) => (x >>> n) | (x << (32 - n));

/** One compression of a 64-byte block into `state` (eight 32-bit words), in place. */
function compress(state: Uint32Array, block: Buffer): void {
  const w = new Uint32Array(64);
  for (let t = 0; t < 16; t++) w[t] = block.readUInt32BE(t * 4);
  for (let t = 16; t < 64; t++) {
    const s0 = rotr(w[t - 15]!, 7) ^ rotr(w[t - 15]!, 18) ^ (w[t - 15]! >>> 3);
    const s1 = rotr(w[t - 2]!, 17) ^ rotr(w[t - 2]!, 19) ^ (w[t - 2]! >>> 10);
    w[t] = w[t - 16]! + s0 + w[t - 7]! + s1;
  }
  let [a, b, c, d, e, f, g, h] = state as unknown as number[];
  for (let t = 0; t < 64; t++) {
    const t1 = h! + (rotr(e!, 6) ^ rotr(e!, 11) ^ rotr(e!, 25)) + ((e! & f!) ^ (~e! & g!)) + K[t]! + w[t]!;
    const t2 = (rotr(a!, 2) ^ rotr(a!, 13) ^ rotr(a!, 22)) + ((a! & b!) ^ (a! & c!) ^ (b! & c!));
    [h, g, f, e, d, c, b, a] = [g, f, e, (d! + t1) >>> 0, c, b, a, (t1 + t2) >>> 0];
  }
  [a, b, c, d, e, f, g, h].forEach((word, i) => (state[i] = state[i]! + word!));
}

/** The padding SHA-256 appends to a message of `length` bytes: 0x80, zeros, the bit length as u64. */
export function sha256Padding(length: number): Buffer {
  const zeros = (55 - (length % 64) + 64) % 64;
  const padding = Buffer.alloc(1 + zeros + 8);
  padding[0] = 0x80;
  padding.writeBigUInt64BE(BigInt(length) * 8n, 1 + zeros);
  return padding;
}

/**
 * Given SHA-256(prefix) (hex) and prefix's length, but not prefix: `glue` and the hex digest of
 * `prefix || glue || suffix`.
 */
export function extendSha256(prefixDigestHex: string, prefixLength: number, suffix: Buffer): { glue: Buffer; digest: string } {
  const glue = sha256Padding(prefixLength);
  const state = new Uint32Array(8);
  for (let i = 0; i < 8; i++) state[i] = Buffer.from(prefixDigestHex, 'hex').readUInt32BE(i * 4);
  const tail = Buffer.concat([suffix, sha256Padding(prefixLength + glue.length + suffix.length)]);
  for (let offset = 0; offset < tail.length; offset += 64) compress(state, tail.subarray(offset, offset + 64));
  const digest = Buffer.alloc(32);
  state.forEach((word, i) => digest.writeUInt32BE(word, i * 4));
  return { glue, digest: digest.toString('hex') };
}

/** Self-check against node:crypto, so that a test relying on this fails loudly if it is wrong. */
export function assertExtensionWorks(): void {
  const prefix = Buffer.from('a prefix nobody is shown');
  const suffix = Buffer.from('appended');
  const { glue, digest } = extendSha256(createHash('sha256').update(prefix).digest('hex'), prefix.length, suffix);
  const expected = createHash('sha256').update(Buffer.concat([prefix, glue, suffix])).digest('hex');
  if (digest !== expected) throw new Error('sha256-extension.ts is broken');
}
