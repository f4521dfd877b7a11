/**
 * HKDF with SHA-256 (RFC 5869), the key derivation of PROTOCOL.md section 4.
 *
 * node:crypto offers HKDF only as Extract-then-Expand in one call (`hkdfSync`), so a derivation
 * is held as its (salt, IKM) pair and every Expand goes through `hkdfSync`; the PRK itself is
 * computed (one HMAC, RFC 5869 section 2.2) only so that tests can compare it with the vectors.
 */
import { createHmac, hkdfSync } from 'node:crypto';

/** RFC 5869: L <= 255 * HashLen. */
export const HKDF_SHA256_MAX_OUTPUT_BYTES = 255 * 32;

export interface HkdfDerivation {
  /** PRK = HKDF-Extract(salt, IKM) (RFC 5869 section 2.2). */
  readonly prk: Buffer;
  /** HKDF-Expand(PRK, info, L) (RFC 5869 section 2.3). */
  expand(info: Uint8Array, lengthBytes: number): Buffer;
}

export function hkdfSha256(salt: Uint8Array, ikm: Uint8Array): HkdfDerivation {
  return {
    // An empty salt means HashLen zero bytes (RFC 5869 section 2.2); HMAC pads the key the same way.
    prk: createHmac('sha256', salt).update(ikm).digest(),
    expand(info, lengthBytes) {
      return Buffer.from(hkdfSync('sha256', ikm, salt, info, lengthBytes));
    },
  };
}
