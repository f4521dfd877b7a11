import { describe, expect, it } from 'vitest';
import { HKDF_SHA256_MAX_OUTPUT_BYTES, hkdfSha256 } from '../../src/crypto/hkdf.js';
import { hmacSha256, macsEqual } from '../../src/crypto/mac.js';
import { hex, loadVectors, toHex } from '../support/vectors.js';

const rfc5869 = loadVectors('rfc5869.json');
const wycheproofHkdf = loadVectors('hkdf_sha256_test.json');
const wycheproofHmac = loadVectors('hmac_sha256_test.json');

describe('HKDF-SHA256 against RFC 5869 appendix A', () => {
  it.each<any>(rfc5869.tests)('test case $tc', (t: any) => {
    const derivation = hkdfSha256(hex(t.salt), hex(t.ikm));
    expect(toHex(derivation.prk)).toBe(t.prk);
    expect(toHex(derivation.expand(hex(t.info), t.L))).toBe(t.okm);
  });
});

describe('HKDF-SHA256 against Wycheproof hkdf_sha256_test.json', () => {
  const cases = wycheproofHkdf.testGroups.flatMap((g: any) => g.tests);
  it.each<any>(cases)('tcId $tcId $comment', (t: any) => {
    const expand = () => hkdfSha256(hex(t.salt), hex(t.ikm)).expand(hex(t.info), t.size);
    if (t.result === 'invalid') expect(expand).toThrow();
    else expect(toHex(expand())).toBe(t.okm);
  });

  it('allows exactly 255 * 32 output bytes', () => {
    expect(hkdfSha256(Buffer.alloc(0), Buffer.alloc(1)).expand(Buffer.alloc(0), HKDF_SHA256_MAX_OUTPUT_BYTES)).toHaveLength(8160);
  });
});

describe('HMAC-SHA256 against Wycheproof hmac_sha256_test.json', () => {
  const cases = wycheproofHmac.testGroups.flatMap((g: any) => g.tests.map((t: any) => ({ ...t, tagBytes: g.tagSize / 8 })));
  it.each<any>(cases)('tcId $tcId $comment', (t: any) => {
    const computed = hmacSha256(hex(t.key), hex(t.msg)).subarray(0, t.tagBytes);
    expect(macsEqual(computed, hex(t.tag))).toBe(t.result === 'valid');
  });
});

describe('macsEqual', () => {
  it('is false for different lengths instead of throwing', () => {
    expect(macsEqual(Buffer.alloc(32), Buffer.alloc(31))).toBe(false);
  });
});
