/**
 * Group 1 of PROTOCOL.md section 3: the 3072-bit MODP group of RFC 3526 section 4 (prime p,
 * generator 2, q = (p - 1) / 2 prime), with I2OSP/OS2IP and the validity check for received
 * elements.
 *
 * Exponentiation goes through OpenSSL (`node:crypto` DiffieHellman) rather than BigInt: it is
 * much faster and uses constant-time Montgomery ladders for the secret exponent.
 * `createDiffieHellman(p, g)` with a *custom* generator spends a long time checking p, so both
 * stages use one DiffieHellman object built with the standard generator 2 and raise any base to
 * the private exponent with `computeSecret(base)`, which is exactly `base^exponent mod p`.
 */
import { createDiffieHellman, getDiffieHellman, randomBytes, type DiffieHellman } from 'node:crypto';
import { SealdropError } from '../errors.js';

export const GROUP_ID = 1;
export const ELEMENT_BYTES = 384;

/** RFC 3526 group 15, taken from OpenSSL's built-in copy (checked against the RFC in the tests). */
const P_BYTES = getDiffieHellman('modp15').getPrime();
export const P = os2ip(P_BYTES);
export const Q = (P - 1n) / 2n;
export const G = 2n;
const G_BYTES = Buffer.from([2]);

/** Private exponents are drawn with this much entropy (section 4 asks for at least 256 bits). */
export const EXPONENT_ENTROPY_BITS = 256;

export function i2osp(value: bigint, lengthBytes: number = ELEMENT_BYTES): Buffer {
  if (value < 0n) throw new RangeError('I2OSP of a negative integer');
  const hex = value.toString(16).padStart(lengthBytes * 2, '0');
  if (hex.length > lengthBytes * 2) throw new RangeError(`integer too large for ${lengthBytes} bytes`);
  return Buffer.from(hex, 'hex');
}

export function os2ip(bytes: Uint8Array): bigint {
  return bytes.length === 0 ? 0n : BigInt('0x' + Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex'));
}

/**
 * Why `encoded` is not a valid element of the order-q subgroup, or null if it is (section 3).
 * Membership uses the Legendre symbol (Y/p) = 1, computed as a Jacobi symbol, instead of
 * Y^q mod p, which costs a 3071-bit exponentiation.
 */
export function elementProblem(encoded: Uint8Array): string | null {
  if (encoded.length !== ELEMENT_BYTES) return `element must be ${ELEMENT_BYTES} bytes, got ${encoded.length}`;
  const y = os2ip(encoded);
  if (y < 2n) return 'element out of range (< 2)';
  if (y > P - 2n) return 'element out of range (> p-2)';
  if (jacobi(y, P) !== 1) return 'element not in the subgroup of order q';
  return null;
}

/** Jacobi symbol (a/n) for odd n > 0; equals the Legendre symbol when n is prime. */
function jacobi(a: bigint, n: bigint): -1 | 0 | 1 {
  let result: -1 | 1 = 1;
  a %= n;
  while (a !== 0n) {
    while ((a & 1n) === 0n) {
      a >>= 1n;
      const nMod8 = n & 7n;
      if (nMod8 === 3n || nMod8 === 5n) result = result === 1 ? -1 : 1;
    }
    [a, n] = [n, a];
    if ((a & 3n) === 3n && (n & 3n) === 3n) result = result === 1 ? -1 : 1;
    a %= n;
  }
  return n === 1n ? result : 0;
}

/** A fresh private exponent in [2, q) with EXPONENT_ENTROPY_BITS bits of entropy. */
export function randomExponent(): bigint {
  for (;;) {
    const candidate = os2ip(randomBytes(EXPONENT_ENTROPY_BITS / 8));
    if (candidate >= 2n) return candidate;
  }
}

/** A private exponent held inside OpenSSL; it raises 384-byte elements to itself. */
export class PrivateExponent {
  readonly #dh: DiffieHellman;

  constructor(exponent: bigint) {
    if (exponent < 2n || exponent >= Q) throw new RangeError('private exponent outside [2, q)');
    this.#dh = createDiffieHellman(P_BYTES, G_BYTES);
    this.#dh.setPrivateKey(i2osp(exponent, ELEMENT_BYTES));
  }

  /** g^exponent mod p, as I2OSP(·, 384). */
  publicElement(): Buffer {
    return this.raise(i2osp(G));
  }

  /** base^exponent mod p, as I2OSP(·, 384). `base` must be a valid element (checked by callers). */
  raise(base: Uint8Array): Buffer {
    const result = this.#dh.computeSecret(base);
    // Node pads computeSecret to the prime's length; keep the guarantee explicit all the same.
    return result.length === ELEMENT_BYTES ? result : i2osp(os2ip(result));
  }
}

/** Throws the handshake error for an invalid received element (section 3: abort). */
export function assertValidElement(encoded: Uint8Array, what: string): void {
  const problem = elementProblem(encoded);
  if (problem !== null) throw new SealdropError('E_HANDSHAKE', `invalid ${what} from the peer: ${problem}`);
}
