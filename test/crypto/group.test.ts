import { describe, expect, it } from 'vitest';
import { ELEMENT_BYTES, P, PrivateExponent, Q, elementProblem, i2osp, os2ip, randomExponent } from '../../src/crypto/group.js';
import { hex, loadVectors, toHex } from '../support/vectors.js';

const rfc3526 = loadVectors('modp3072.json');
const handshake = loadVectors('handshake-v1.json');

describe('group 1 (RFC 3526 3072-bit MODP)', () => {
  it('uses the prime and subgroup order of RFC 3526 section 4', () => {
    expect(P).toBe(BigInt('0x' + rfc3526.p));
    expect(Q).toBe(BigInt('0x' + rfc3526.q));
    expect(P.toString(2)).toHaveLength(3072);
  });

  it('round-trips I2OSP and OS2IP at 384 bytes, left-padded', () => {
    expect(toHex(i2osp(2n))).toBe('00'.repeat(ELEMENT_BYTES - 1) + '02');
    expect(os2ip(i2osp(P - 1n))).toBe(P - 1n);
    expect(() => i2osp(1n << 3072n)).toThrow(RangeError);
  });

  it.each<any>(handshake.invalid_elements)('element $name', (c: any) => {
    const problem = elementProblem(hex(c.encoding));
    if (c.verdict === 'valid') expect(problem).toBeNull();
    else expect(problem).toBe(c.reason);
  });
});

describe('PrivateExponent (native modular exponentiation)', () => {
  it.each<any>(handshake.vectors)('reproduces Y, S1, Z and S2 of vector $name', (v: any) => {
    const [xI, xR, cI, cR] = [v.x_i, v.x_r, v.c_i, v.c_r].map((h: string) => new PrivateExponent(BigInt('0x' + h)));
    expect(toHex(xI!.publicElement())).toBe(v.Y_i);
    expect(toHex(xR!.publicElement())).toBe(v.Y_r);
    expect(toHex(xI!.raise(hex(v.Y_r)))).toBe(v.S1);
    expect(toHex(xR!.raise(hex(v.Y_i)))).toBe(v.S1);
    expect(toHex(cI!.raise(hex(v.e)))).toBe(v.Z_i);
    expect(toHex(cR!.raise(hex(v.e)))).toBe(v.Z_r);
    expect(toHex(cI!.raise(hex(v.Z_r)))).toBe(v.S2);
  });

  it('refuses exponents outside [2, q)', () => {
    expect(() => new PrivateExponent(1n)).toThrow(RangeError);
    expect(() => new PrivateExponent(Q)).toThrow(RangeError);
  });

  it('draws fresh 256-bit exponents that give valid public elements', () => {
    const a = randomExponent();
    const b = randomExponent();
    expect(a).not.toBe(b);
    expect(a < 1n << 256n && a >= 2n).toBe(true);
    expect(elementProblem(new PrivateExponent(a).publicElement())).toBeNull();
  });
});
