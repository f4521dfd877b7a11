import { describe, expect, it } from 'vitest';
import type { RecordFrame } from '../../src/protocol/frames.js';
import { Intent, encodeFail } from '../../src/protocol/handshake-messages.js';
import { countsAsAttempt, initiatorHandshake, responderHandshake, type SecureSession } from '../../src/protocol/handshake.js';
import { encodeFrame } from '../../src/protocol/frames.js';
import { GENERATOR_OKM_BYTES, deriveSessionKeys, deriveStage2Generator, resumeMac } from '../../src/protocol/key-schedule.js';
import { P, i2osp, os2ip } from '../../src/crypto/group.js';
import { hkdfSha256 } from '../../src/crypto/hkdf.js';
import { sha256 } from '../../src/crypto/mac.js';
import { RecordOpener, RecordSealer } from '../../src/protocol/records.js';
import { channelPair, scriptedChannel } from '../support/memory-channel.js';
import { hex, loadVectors, toHex } from '../support/vectors.js';
import { thrownBy } from '../support/errors.js';

const doc = loadVectors('handshake-v1.json');

/** A whole record frame's bytes as the frame decoder hands them over: header and payload parts. */
const recordFrame = (bytes: Buffer): RecordFrame => ({ kind: 'record', header: bytes.subarray(0, 4), payloadParts: [bytes.subarray(4)] });
const vector1 = doc.vectors[0];
const exponents = (...hexes: string[]) => {
  const queue = hexes.map((h) => BigInt('0x' + h));
  return () => queue.shift()!;
};

async function runVector(v: any) {
  const [initiatorChannel, responderChannel] = channelPair();
  const [initiator, responder] = await Promise.all([
    initiatorHandshake(initiatorChannel, { codeBytes: hex(v.code_bytes), intent: v.initiator_intent, drawExponent: exponents(v.x_i, v.c_i) }),
    responderHandshake(responderChannel, { codeBytes: hex(v.code_bytes), intent: v.responder_intent, drawExponent: exponents(v.x_r, v.c_r) }),
  ]);
  return { initiator, responder, initiatorSent: initiatorChannel.sent, responderSent: responderChannel.sent };
}

function sealWith(session: SecureSession, recordsInDirection: any[]) {
  return recordsInDirection.map((r) => toHex(Buffer.concat(session.sealer.seal(r.type_byte, hex(r.body_hex)))));
}

describe('handshake-v1.json: complete handshakes', () => {
  it.each<any>(doc.vectors)('$name', async (v: any) => {
    const run = await runVector(v);
    expect(run.initiatorSent.map(toHex)).toEqual([v.frames.HELLO_I, v.frames.STAGE2_I, v.frames.CONFIRM_I]);
    expect(run.responderSent.map(toHex)).toEqual([v.frames.HELLO_R, v.frames.STAGE2_R, v.frames.CONFIRM_R]);
    expect(run.initiator.fingerprint).toBe(v.fingerprint_text);
    expect(run.responder.fingerprint).toBe(v.fingerprint_text);

    // The sealers hold k_i2r (initiator) and k_r2i (responder): sealing each direction's records
    // in order must give the vector's frames, and the other side must open them.
    const i2r = v.records.filter((r: any) => r.direction === 'i2r');
    const r2i = v.records.filter((r: any) => r.direction === 'r2i');
    expect(sealWith(run.initiator, i2r)).toEqual(i2r.map((r: any) => r.frame));
    expect(sealWith(run.responder, r2i)).toEqual(r2i.map((r: any) => r.frame));
    for (const r of i2r) {
      const frame = hex(r.frame);
      const opened = run.responder.opener.open(recordFrame(frame));
      expect(toHex(Buffer.concat([Buffer.of(opened.type), opened.body]))).toBe(r.plaintext);
    }
  });

  it('fails both sides when the codes differ, with FAIL "wrong code" from the responder', async () => {
    const [initiatorChannel, responderChannel] = channelPair();
    const outcomes = await Promise.allSettled([
      initiatorHandshake(initiatorChannel, { codeBytes: Buffer.from('1-right'), intent: Intent.SEND }),
      responderHandshake(responderChannel, { codeBytes: Buffer.from('1-wrong'), intent: Intent.RECEIVE }),
    ]);
    expect(outcomes.map((o) => o.status)).toEqual(['rejected', 'rejected']);
    expect((outcomes[0] as PromiseRejectedResult).reason.code).toBe('E_WRONG_CODE');
    expect((outcomes[1] as PromiseRejectedResult).reason.code).toBe('E_WRONG_CODE');
    expect(toHex(responderChannel.sent.at(-1)!.subarray(5))).toBe(Buffer.from('wrong code').toString('hex'));
  });
});

describe('handshake-v1.json: the key schedule of section 4, value by value', () => {
  // The handshake keeps only e and the session keys. The intermediate values of the vectors
  // (generator_prk to h, PRK) are derived here from the spec's formulas, so that a mismatch
  // shows the first step that differs.
  it.each<any>(doc.vectors)('$name', (v: any) => {
    const [S1, T1, S2, T2, codeBytes] = [hex(v.S1), hex(v.T1), hex(v.S2), hex(v.T2), hex(v.code_bytes)];
    const generator = hkdfSha256(T1, S1);
    expect(toHex(generator.prk)).toBe(v.generator_prk);
    const codeLength = Buffer.alloc(2);
    codeLength.writeUInt16BE(codeBytes.length);
    const info = Buffer.concat([Buffer.from('sealdrop/v1 stage2 generator', 'ascii'), codeLength, codeBytes]);
    expect(toHex(info)).toBe(v.generator_info);
    const okm = generator.expand(info, GENERATOR_OKM_BYTES);
    expect(toHex(okm)).toBe(v.generator_okm);
    expect(toHex(i2osp(os2ip(okm) % P))).toBe(v.h);
    expect(toHex(deriveStage2Generator(S1, T1, codeBytes))).toBe(v.e);

    expect(toHex(hkdfSha256(T2, Buffer.concat([S1, S2])).prk)).toBe(v.PRK);
    const keys = deriveSessionKeys(S1, S2, T2);
    expect(Object.fromEntries(Object.entries(keys).map(([name, value]) => [name, toHex(value)]))).toEqual({
      k_i2r: v.k_i2r,
      k_r2i: v.k_r2i,
      m_i: v.m_i,
      m_r: v.m_r,
      k_resume: v.k_resume,
      fingerprint: v.fingerprint,
    });
  });
});

describe('handshake-v1.json: k_resume and the resume MAC of section 6', () => {
  it.each<any>(doc.vectors)('$name', async (v: any) => {
    const keys = deriveSessionKeys(hex(v.S1), hex(v.S2), hex(v.T2));
    expect(toHex(keys.k_resume)).toBe(v.k_resume);
    const example = v.resume_example;
    const prefixSha256 = sha256(hex(example.prefix_hex));
    expect(toHex(prefixSha256)).toBe(example.prefix_sha256);
    expect(hex(example.prefix_hex)).toHaveLength(example.offset);
    expect(toHex(resumeMac(keys.k_resume, example.index, example.offset, prefixSha256))).toBe(example.mac);
    // Both ends of the session give the same MAC, without handing out k_resume.
    const run = await runVector(v);
    expect(toHex(run.initiator.resumeMac(example.index, example.offset, prefixSha256))).toBe(example.mac);
    expect(toHex(run.responder.resumeMac(example.index, example.offset, prefixSha256))).toBe(example.mac);
    expect(run.initiator.resumeMacMatches(example.index, example.offset, prefixSha256, hex(example.mac))).toBe(true);
    const flipped = hex(example.mac);
    flipped[31]! ^= 1;
    expect(run.initiator.resumeMacMatches(example.index, example.offset, prefixSha256, flipped)).toBe(false);
    expect(run.initiator.resumeMacMatches(example.index, example.offset, prefixSha256, hex(example.mac).subarray(1))).toBe(false);
    expect(Object.values(run.initiator).some((value) => Buffer.isBuffer(value))).toBe(false);
  });

  it('binds the index, the offset and the prefix', () => {
    const k = hex(vector1.k_resume);
    const digest = sha256(Buffer.from('prefix'));
    const mac = toHex(resumeMac(k, 0, 6, digest));
    expect(toHex(resumeMac(k, 1, 6, digest))).not.toBe(mac);
    expect(toHex(resumeMac(k, 0, 5, digest))).not.toBe(mac);
    expect(toHex(resumeMac(k, 0, 6, sha256(Buffer.from('prefiX'))))).not.toBe(mac);
    // The SHA-256 goes in as its 32 bytes, never as hex.
    expect(() => resumeMac(k, 0, 6, Buffer.from(toHex(digest)))).toThrow(RangeError);
  });
});

describe('handshake-v1.json: hello_cases at a receiving responder', () => {
  it.each<any>(doc.hello_cases.filter((c: any) => c.frame))('$name', async (c: any) => {
    const channel = scriptedChannel([hex(c.frame)]);
    const outcome = responderHandshake(channel, { codeBytes: hex(vector1.code_bytes), intent: Intent.RECEIVE, drawExponent: exponents(vector1.x_r, vector1.c_r) });
    // Every case here ends the handshake: valid HELLOs run out of scripted frames after replying.
    await expect(outcome).rejects.toThrow();
    const sent = channel.sent.map((f) => f.subarray(4));
    const fails = sent.filter((p) => p[0] === 0x0f).map((p) => p.subarray(1).toString('utf8'));
    switch (c.reaction) {
      case 'continue':
        expect(toHex(channel.sent[0]!)).toBe(vector1.frames.HELLO_R);
        expect(fails).toEqual([]);
        break;
      case 'fail-then-close':
        expect(sent).toHaveLength(1);
        expect(fails).toHaveLength(1);
        if (c.fail_text) expect(fails[0]).toBe(c.fail_text);
        else expect(fails[0]).toContain(c.reason);
        break;
      case 'abort':
        expect(sent.filter((p) => p[0] !== 0x0f)).toEqual([]);
        break;
      case 'close':
        expect(sent).toEqual([]);
        break;
      default:
        throw new Error(`unknown reaction ${c.reaction}`);
    }
  });
});

describe('handshake-v1.json: confirm_cases', () => {
  const v = vector1;
  it.each<any>(doc.confirm_cases)('$name', async (c: any) => {
    if (c.at === 'responder') {
      const channel = scriptedChannel([hex(v.frames.HELLO_I), hex(v.frames.STAGE2_I), hex(c.frame)]);
      const outcome = responderHandshake(channel, { codeBytes: hex(v.code_bytes), intent: Intent.RECEIVE, drawExponent: exponents(v.x_r, v.c_r) });
      const last = () => channel.sent.at(-1)!;
      if (c.expected === 'accept') {
        await expect(outcome).resolves.toBeDefined();
        expect(toHex(last())).toBe(v.frames.CONFIRM_R);
      } else {
        const error = await outcome.catch((e) => e);
        expect(last().subarray(5).toString('utf8')).toBe(c.fail_text);
        expect(countsAsAttempt(error)).toBe(c.counts_as_attempt === true);
        expect(error.code === 'E_WRONG_CODE').toBe(c.counts_as_attempt === true);
      }
    } else {
      const channel = scriptedChannel([hex(v.frames.HELLO_R), hex(v.frames.STAGE2_R), hex(c.frame)]);
      const outcome = initiatorHandshake(channel, { codeBytes: hex(v.code_bytes), intent: Intent.SEND, drawExponent: exponents(v.x_i, v.c_i) });
      if (c.expected === 'accept') await expect(outcome).resolves.toBeDefined();
      else await expect(outcome).rejects.toMatchObject({ code: 'E_WRONG_CODE' });
      // Nothing after CONFIRM_I: a wrong CONFIRM_R is answered by closing, never by a FAIL.
      expect(channel.sent.map(toHex)).toEqual([v.frames.HELLO_I, v.frames.STAGE2_I, v.frames.CONFIRM_I]);
    }
  });
});

describe('a FAIL "wrong code" from the peer (unauthenticated)', () => {
  const v = vector1;
  const wrongCodeFail = encodeFrame(encodeFail('wrong code'));
  const responderFrames = [hex(v.frames.HELLO_I), hex(v.frames.STAGE2_I)];

  it.each([0, 1, 2])('never counts as an attempt at the responder, in place of frame %i of the initiator', async (at) => {
    const channel = scriptedChannel([...responderFrames.slice(0, at), wrongCodeFail]);
    const error = await responderHandshake(channel, { codeBytes: hex(v.code_bytes), intent: Intent.RECEIVE, drawExponent: exponents(v.x_r, v.c_r) }).catch((e) => e);
    expect(countsAsAttempt(error)).toBe(false);
    expect(error.code).toBe('E_HANDSHAKE');
    expect(error.message).toContain('wrong code');
  });

  it('after our CONFIRM_I, tells the initiator\'s person what it means and what to do', async () => {
    const channel = scriptedChannel([hex(v.frames.HELLO_R), hex(v.frames.STAGE2_R), wrongCodeFail]);
    const error = await initiatorHandshake(channel, { codeBytes: hex(v.code_bytes), intent: Intent.SEND, drawExponent: exponents(v.x_i, v.c_i) }).catch((e) => e);
    expect(error.code).toBe('E_WRONG_CODE');
    expect(error.message).toMatch(/either one of you typed it wrong, or someone in between tried to guess it/);
    expect(error.message).toMatch(/Check the code with the other person, then try again/);
    expect(error.message).toContain('run receive again for a new code');
  });

  it('before our CONFIRM_I, is only the peer giving up', async () => {
    const channel = scriptedChannel([wrongCodeFail]);
    const error = await initiatorHandshake(channel, { codeBytes: hex(v.code_bytes), intent: Intent.SEND }).catch((e) => e);
    expect(error.code).toBe('E_HANDSHAKE');
  });

  it('a wrong CONFIRM_R says that nothing was sent and what to do', async () => {
    const confirmR = hex(v.frames.CONFIRM_R);
    confirmR[confirmR.length - 1]! ^= 1;
    const channel = scriptedChannel([hex(v.frames.HELLO_R), hex(v.frames.STAGE2_R), confirmR]);
    const error = await initiatorHandshake(channel, { codeBytes: hex(v.code_bytes), intent: Intent.SEND, drawExponent: exponents(v.x_i, v.c_i) }).catch((e) => e);
    expect(error.code).toBe('E_WRONG_CODE');
    expect(error.message).toMatch(/did not prove that it knows the code, so nothing was sent: someone in between may be trying to intercept/);
    expect(error.message).toContain('run receive again for a new code');
  });
});

describe('record layer: record_cases', () => {
  const keys: Record<string, Buffer> = { k_i2r: hex(vector1.k_i2r), k_r2i: hex(vector1.k_r2i) };
  const openerAt = (key: string, seq: number) => {
    // Advance a fresh opener to `seq` by opening records sealed with the same key.
    const opener = new RecordOpener(keys[key]!);
    const sealer = new RecordSealer(keys[key]!);
    for (let i = 0; i < seq; i++) {
      const frame = Buffer.concat(sealer.seal(0x21, Buffer.alloc(1)));
      opener.open(recordFrame(frame));
    }
    return opener;
  };
  it.each<any>(doc.record_cases.filter((c: any) => c.frame))('$name', (c: any) => {
    const frame = hex(c.frame);
    const open = () => openerAt(c.key, Number(c.seq)).open(recordFrame(frame));
    if (c.expected === 'accept') {
      const record = open();
      expect(toHex(Buffer.concat([Buffer.of(record.type), record.body]))).toBe(c.plaintext);
    } else {
      expect(open).toThrow(expect.objectContaining({ code: 'E_PROTOCOL' }));
    }
  });

  it('refuses every later record once one failed, even the genuine one at the right sequence number', () => {
    const sealer = new RecordSealer(keys.k_i2r!);
    const opener = new RecordOpener(keys.k_i2r!);
    const genuine = Buffer.concat(sealer.seal(0x21, Buffer.from('a')));
    const altered = Buffer.from(genuine);
    altered[6]! ^= 1;
    const failure = thrownBy(() => opener.open(recordFrame(altered)));
    expect(failure.code).toBe('E_PROTOCOL');
    // The counter did not move, so only the remembered failure stops the genuine record 0.
    expect(() => opener.open(recordFrame(genuine))).toThrow(failure);
    expect(() => new RecordOpener(keys.k_i2r!).open(recordFrame(genuine))).not.toThrow();
  });
});
