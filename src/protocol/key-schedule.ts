/**
 * The key schedule of PROTOCOL.md section 4, as pure functions named after the spec's values:
 * T1 and T2 (transcript hashes), the stage-2 generator e, the session keys, the confirmation MACs,
 * the fingerprint, and the MAC that proves a kept prefix for a resume (section 6).
 */
import { ELEMENT_BYTES, P, i2osp, os2ip } from '../crypto/group.js';
import { hkdfSha256 } from '../crypto/hkdf.js';
import { SHA256_BYTES, hmacSha256, sha256 } from '../crypto/mac.js';
import { SealdropError } from '../errors.js';

const GENERATOR_LABEL = Buffer.from('sealdrop/v1 stage2 generator', 'ascii');
/** 400 bytes (3200 bits) reduced mod a 3072-bit p leaves a bias below 2^-128. */
export const GENERATOR_OKM_BYTES = 400;
export const SESSION_KEY_BYTES = 32;
export const FINGERPRINT_BYTES = 8;

const Label = {
  K_I2R: 'sealdrop/v1 key i2r',
  K_R2I: 'sealdrop/v1 key r2i',
  M_I: 'sealdrop/v1 confirm i',
  M_R: 'sealdrop/v1 confirm r',
  K_RESUME: 'sealdrop/v1 resume',
  FINGERPRINT: 'sealdrop/v1 fingerprint',
} as const;

/** SHA-256 over whole frames (4-byte length and payload, exactly as sent), in the given order. */
export function transcriptHash(frames: readonly Uint8Array[]): Buffer {
  return sha256(...frames);
}

/**
 * The second generator e = h^2 mod p, as I2OSP(·, 384), bound to the stage-1 secret, the
 * transcript and the code. (The vectors' intermediate values, generator_prk to h, are checked
 * by the tests, which derive them on their own.)
 */
export function deriveStage2Generator(S1: Uint8Array, T1: Uint8Array, codeBytes: Uint8Array): Buffer {
  const codeLength = Buffer.alloc(2);
  codeLength.writeUInt16BE(codeBytes.length, 0);
  const info = Buffer.concat([GENERATOR_LABEL, codeLength, codeBytes]);
  const okm = hkdfSha256(T1, S1).expand(info, GENERATOR_OKM_BYTES);
  const h = os2ip(okm) % P;
  const e = (h * h) % P;
  // Squaring puts e in the order-q subgroup; 0 or 1 would make stage 2 trivial (negligible odds).
  if (e === 0n || e === 1n) throw new SealdropError('E_HANDSHAKE', 'degenerate stage-2 generator; please try again');
  return i2osp(e, ELEMENT_BYTES);
}

export interface SessionKeys {
  readonly k_i2r: Buffer;
  readonly k_r2i: Buffer;
  readonly m_i: Buffer;
  readonly m_r: Buffer;
  readonly k_resume: Buffer;
  readonly fingerprint: Buffer;
}

export function deriveSessionKeys(S1: Uint8Array, S2: Uint8Array, T2: Uint8Array): SessionKeys {
  const derivation = hkdfSha256(T2, Buffer.concat([S1, S2]));
  const expand = (label: string, bytes: number) => derivation.expand(Buffer.from(label, 'ascii'), bytes);
  return {
    k_i2r: expand(Label.K_I2R, SESSION_KEY_BYTES),
    k_r2i: expand(Label.K_R2I, SESSION_KEY_BYTES),
    m_i: expand(Label.M_I, SESSION_KEY_BYTES),
    m_r: expand(Label.M_R, SESSION_KEY_BYTES),
    k_resume: expand(Label.K_RESUME, SESSION_KEY_BYTES),
    fingerprint: expand(Label.FINGERPRINT, FINGERPRINT_BYTES),
  };
}

/** CONFIRM_I.mac = HMAC(m_i, T2); CONFIRM_R.mac = HMAC(m_r, T2). */
export function confirmationMac(confirmKey: Uint8Array, T2: Uint8Array): Buffer {
  return hmacSha256(confirmKey, T2);
}

/**
 * Section 6: `HMAC-SHA256(k_resume, u64(index) || u64(offset) || SHA-256(prefix))`, the SHA-256 as
 * its 32 bytes. ACCEPT carries this instead of the prefix's plain hash, which would let a sender
 * lacking the bytes extend the hash past them (SHA-256 length extension).
 */
export function resumeMac(k_resume: Uint8Array, index: number, offset: number, prefixSha256: Uint8Array): Buffer {
  if (prefixSha256.length !== SHA256_BYTES) throw new RangeError(`a prefix digest is ${SHA256_BYTES} bytes, not ${prefixSha256.length}`);
  return hmacSha256(k_resume, Buffer.concat([u64(index), u64(offset), prefixSha256]));
}

/** An integer as 8 bytes, big-endian (PROTOCOL.md: `u64`). */
function u64(value: number): Buffer {
  const bytes = Buffer.alloc(8);
  bytes.writeBigUInt64BE(BigInt(value));
  return bytes;
}

/** 16 lowercase hex digits in four groups of four, e.g. `3f2a-09c1-77de-b405`. */
export function formatFingerprint(fingerprint: Uint8Array): string {
  return Buffer.from(fingerprint).toString('hex').match(/.{4}/g)!.join('-');
}
