import { describe, expect, it } from 'vitest';
import { aesGcmOpen, aesGcmSeal } from '../../src/crypto/aead.js';
import { hex, loadVectors, toHex } from '../support/vectors.js';

const wycheproof = loadVectors('aes_gcm_test.json');
const groups: any[] = wycheproof.testGroups;
const isRecordCipher = (g: any) => g.keySize === 256 && g.ivSize === 96 && g.tagSize === 128;
const recordCases = groups.filter(isRecordCipher).flatMap((g) => g.tests);
const otherCases = groups.filter((g) => !isRecordCipher(g)).flatMap((g) => g.tests);

/** The bytes in two parts, split in the middle, as a record arrives over several socket reads. */
const halves = (bytes: Buffer) => [bytes.subarray(0, bytes.length >> 1), bytes.subarray(bytes.length >> 1)];

describe('AES-256-GCM against Wycheproof aes_gcm_test.json', () => {
  it('has the 66 AES-256 / 96-bit nonce cases', () => expect(recordCases).toHaveLength(66));

  it.each<any>(recordCases)('tcId $tcId $comment', (t: any) => {
    const open = (parts: Buffer[]) => Buffer.concat(aesGcmOpen(hex(t.key), hex(t.iv), hex(t.aad), parts, hex(t.tag)));
    if (t.result === 'invalid') {
      expect(() => open([hex(t.ct)])).toThrow();
      expect(() => open(halves(hex(t.ct)))).toThrow();
      return;
    }
    expect(toHex(open([hex(t.ct)]))).toBe(t.msg);
    expect(toHex(open(halves(hex(t.ct))))).toBe(t.msg);
    const { ciphertextParts, tag } = aesGcmSeal(hex(t.key), hex(t.iv), hex(t.aad), [hex(t.msg)]);
    expect(toHex(Buffer.concat(ciphertextParts))).toBe(t.ct);
    expect(toHex(tag)).toBe(t.tag);
  });

  it('refuses every other key, nonce and tag size before reaching OpenSSL', () => {
    for (const t of otherCases) {
      expect(() => aesGcmOpen(hex(t.key), hex(t.iv), hex(t.aad), [hex(t.ct)], hex(t.tag))).toThrow(RangeError);
    }
  });

  it('seals a message split into parts exactly like the whole', () => {
    const key = Buffer.alloc(32, 7);
    const nonce = Buffer.alloc(12, 1);
    const whole = aesGcmSeal(key, nonce, Buffer.of(1, 2), [Buffer.from('type+body')]);
    const split = aesGcmSeal(key, nonce, Buffer.of(1, 2), [Buffer.from('t'), Buffer.from('ype+body')]);
    expect(Buffer.concat(split.ciphertextParts)).toEqual(Buffer.concat(whole.ciphertextParts));
    expect(split.tag).toEqual(whole.tag);
  });
});
