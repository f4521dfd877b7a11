/**
 * AES-256-GCM (NIST SP 800-38D) with a 96-bit nonce and a 128-bit tag, the record cipher of
 * PROTOCOL.md section 5. Lengths are asserted so that a wrong key or nonce can never reach OpenSSL.
 */
import { createCipheriv, createDecipheriv } from 'node:crypto';

export const AES_256_KEY_BYTES = 32;
export const GCM_NONCE_BYTES = 12;
export const GCM_TAG_BYTES = 16;

function assertParameters(key: Uint8Array, nonce: Uint8Array): void {
  if (key.length !== AES_256_KEY_BYTES) throw new RangeError(`AES-256 key must be ${AES_256_KEY_BYTES} bytes`);
  if (nonce.length !== GCM_NONCE_BYTES) throw new RangeError(`GCM nonce must be ${GCM_NONCE_BYTES} bytes`);
}

/** Encrypts the concatenation of `plaintextParts`; returns the ciphertext pieces (one per part) and the tag. */
export function aesGcmSeal(
  key: Uint8Array,
  nonce: Uint8Array,
  aad: Uint8Array,
  plaintextParts: readonly Uint8Array[],
): { ciphertextParts: Buffer[]; tag: Buffer } {
  assertParameters(key, nonce);
  const cipher = createCipheriv('aes-256-gcm', key, nonce, { authTagLength: GCM_TAG_BYTES });
  cipher.setAAD(aad);
  const ciphertextParts = plaintextParts.map((part) => cipher.update(part));
  cipher.final(); // GCM is a stream mode: final() yields no bytes, it computes the tag
  return { ciphertextParts, tag: cipher.getAuthTag() };
}

/**
 * Decrypts the concatenation of `ciphertextParts` and authenticates it; returns the plaintext
 * pieces (one per part), or throws, releasing nothing, if the tag does not match.
 */
export function aesGcmOpen(
  key: Uint8Array,
  nonce: Uint8Array,
  aad: Uint8Array,
  ciphertextParts: readonly Uint8Array[],
  tag: Uint8Array,
): Buffer[] {
  assertParameters(key, nonce);
  if (tag.length !== GCM_TAG_BYTES) throw new RangeError(`GCM tag must be ${GCM_TAG_BYTES} bytes`);
  const decipher = createDecipheriv('aes-256-gcm', key, nonce, { authTagLength: GCM_TAG_BYTES });
  decipher.setAAD(aad);
  decipher.setAuthTag(tag);
  const plaintextParts = ciphertextParts.map((part) => decipher.update(part));
  decipher.final(); // throws "Unsupported state or unable to authenticate data" on a bad tag
  return plaintextParts;
}
