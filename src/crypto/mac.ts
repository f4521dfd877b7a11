/** HMAC-SHA256 (RFC 2104) and constant-time comparison, for the confirmations of PROTOCOL.md section 4. */
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';

export const SHA256_BYTES = 32;

export function hmacSha256(key: Uint8Array, data: Uint8Array): Buffer {
  return createHmac('sha256', key).update(data).digest();
}

export function sha256(...parts: readonly Uint8Array[]): Buffer {
  const hash = createHash('sha256');
  for (const part of parts) hash.update(part);
  return hash.digest();
}

/** Compares two MACs in constant time (section 4: MACs MUST be compared in constant time). */
export function macsEqual(expected: Uint8Array, received: Uint8Array): boolean {
  return expected.length === received.length && timingSafeEqual(expected, received);
}
