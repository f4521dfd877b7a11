/**
 * The records of a chat and a room (PROTOCOL.md section 10): the ACCEPT's `name`, `room` and
 * `you`, TEXT's optional `from`, `time` and `notice` (of their type or E_PROTOCOL), the size of a
 * TEXT, and the names: cut to 64 code points, made unique in a room.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MAX_NAME_CODE_POINTS, cutName, uniqueRoomName } from '../../src/protocol/chat-names.js';
import { chatTextFits, encodeChatAccept, encodeChatOffer, encodeChatText, encodeJson, parseChatAccept, parseChatText, parseOffer } from '../../src/protocol/messages.js';
import { MAX_RECORD_BODY_BYTES, RecordType } from '../../src/protocol/records.js';
import { hex, loadVectors } from '../support/vectors.js';

const protocolError = expect.objectContaining({ code: 'E_PROTOCOL' });
const codePoints = (text: string) => [...text].length;

describe('the chat of the vectors (version 1, before section 10\'s fields)', () => {
  const chat = loadVectors('handshake-v1.json').vectors.find((v: any) => v.kind === 'chat');
  const bodies = (type: number) => chat.records.filter((r: any) => r.type_byte === type).map((r: any) => hex(r.body_hex));

  it('reads its ACCEPT as a two-party chat with no name, and its TEXTs without from, time or notice', () => {
    expect(bodies(RecordType.ACCEPT).map(parseChatAccept)).toEqual([{ room: false }]);
    expect(bodies(RecordType.TEXT).map(parseChatText)).toEqual(chat.chat.messages.map((m: any) => ({ text: m.text, notice: false })));
  });

  it('writes the same OFFER', () => {
    expect(bodies(RecordType.OFFER)).toEqual([encodeChatOffer(chat.chat.name)]);
  });
});

describe('chat OFFER and ACCEPT', () => {
  it('offers a chat under a name', () => {
    expect(JSON.parse(encodeChatOffer('ana').toString())).toEqual({ kind: 'chat', name: 'ana' });
    expect(parseOffer(encodeChatOffer('ana'))).toEqual({ kind: 'chat', name: 'ana' });
  });

  it('writes a two-party ACCEPT as {"resume": [], "name"} and a room ACCEPT with room and you', () => {
    expect(JSON.parse(encodeChatAccept({ name: 'bo', room: false }).toString())).toEqual({ resume: [], name: 'bo' });
    expect(JSON.parse(encodeChatAccept({ name: 'bo', room: true, you: 'ana (2)' }).toString())).toEqual({ resume: [], name: 'bo', room: true, you: 'ana (2)' });
  });

  it('reads an ACCEPT without the optional fields as a two-party chat', () => {
    expect(parseChatAccept(encodeJson({ resume: [] }))).toEqual({ room: false });
  });

  it.each<any>([{ name: 5 }, { room: 'yes' }, { room: true, you: null }, { name: ['x'] }])('refuses an ACCEPT with a field of the wrong type: %j', (fields) => {
    expect(() => parseChatAccept(encodeJson({ resume: [], ...fields }))).toThrow(protocolError);
  });

  it('refuses an ACCEPT without resume', () => {
    expect(() => parseChatAccept(encodeJson({ name: 'bo' }))).toThrow(protocolError);
  });

  it('reads back every ACCEPT it writes (property)', () => {
    fc.assert(
      fc.property(fc.option(fc.string(), { nil: undefined }), fc.boolean(), fc.string(), (name, room, you) => {
        const accept = { ...(name === undefined ? {} : { name }), room, ...(room ? { you } : {}) };
        expect(parseChatAccept(encodeChatAccept(accept))).toEqual(accept);
      }),
    );
  });
});

describe('TEXT', () => {
  it('reads text alone, and with from, time and notice', () => {
    expect(parseChatText(encodeJson({ text: 'hi' }))).toEqual({ text: 'hi', notice: false });
    expect(parseChatText(encodeJson({ text: 'hi', from: 'ana', time: 1_764_000_000_000, notice: true, extra: 1 }))).toEqual({ text: 'hi', from: 'ana', time: 1_764_000_000_000, notice: true });
  });

  it.each<any>([
    { time: -1 },
    { time: 1.5 },
    { time: 2 ** 53 },
    { time: '1' },
    { from: 5 },
    { from: null },
    { notice: 'true' },
    { notice: 1 },
  ])('refuses an optional field of the wrong type: %j', (fields) => {
    expect(() => parseChatText(encodeJson({ text: 'hi', ...fields }))).toThrow(protocolError);
  });

  it('refuses a TEXT without a string text', () => {
    for (const body of [{}, { text: 5 }, { from: 'ana' }]) expect(() => parseChatText(encodeJson(body))).toThrow(protocolError);
  });

  it('writes only the fields given, and reads them back (property)', () => {
    const message = fc.record(
      { text: fc.string({ unit: 'grapheme' }), from: fc.string(), time: fc.maxSafeNat(), notice: fc.boolean() },
      { requiredKeys: ['text', 'notice'] },
    );
    fc.assert(
      fc.property(message, (m) => {
        const body = encodeChatText(m)!;
        expect(parseChatText(body)).toEqual(m);
        if (!m.notice) expect(JSON.parse(body.toString())).not.toHaveProperty('notice');
      }),
    );
  });

  it('never throws anything but E_PROTOCOL on arbitrary bodies (property)', () => {
    const bodies = fc.oneof(
      fc.uint8Array({ maxLength: 100 }).map((b) => Buffer.from(b)),
      fc.record({ text: fc.jsonValue(), from: fc.jsonValue(), time: fc.jsonValue(), notice: fc.jsonValue() }, { requiredKeys: [] }).map(encodeJson),
    );
    fc.assert(
      fc.property(bodies, (body) => {
        for (const parse of [parseChatText, parseChatAccept]) {
          try {
            parse(body);
          } catch (error) {
            expect(error).toMatchObject({ code: 'E_PROTOCOL' });
          }
        }
      }),
      { numRuns: 300 },
    );
  });

  it('refuses a text too long for one record rather than cut it', () => {
    expect(encodeChatText({ text: 'x'.repeat(MAX_RECORD_BODY_BYTES), notice: false })).toBeNull();
  });

  it('takes a text only if it still fits once a host adds the longest from, a time and notice', () => {
    const overhead = encodeJson({ text: '', from: '\u0000'.repeat(MAX_NAME_CODE_POINTS), time: Number.MAX_SAFE_INTEGER, notice: true }).length;
    const longest = 'x'.repeat(MAX_RECORD_BODY_BYTES - overhead);
    expect(chatTextFits(longest)).toBe(true);
    expect(chatTextFits(`${longest}x`)).toBe(false);
    // A character JSON escapes counts as its escape.
    expect(chatTextFits('\u0001'.repeat((MAX_RECORD_BODY_BYTES - overhead) / 6 + 1))).toBe(false);
  });
});

describe('names', () => {
  it('cuts a name to 64 code points, counting a character outside the BMP as one', () => {
    expect(cutName('a'.repeat(70))).toBe('a'.repeat(64));
    expect(cutName('😀'.repeat(70))).toBe('😀'.repeat(64));
    expect(cutName('ana')).toBe('ana');
  });

  it('makes room names unique with a suffix, comparing ASCII letters without case, the host counting', () => {
    expect(uniqueRoomName('ana', ['host'])).toBe('ana');
    expect(uniqueRoomName('ana', ['host', 'ana'])).toBe('ana (2)');
    expect(uniqueRoomName('ANA', ['host', 'ana', 'Ana (2)'])).toBe('ANA (3)');
    expect(uniqueRoomName('Host', ['host'])).toBe('Host (2)');
    // Only ASCII folds: É and é are different names.
    expect(uniqueRoomName('É', ['é'])).toBe('É');
  });

  it('names a member who gave no name', () => {
    expect(uniqueRoomName('', [])).toBe('guest');
    expect(uniqueRoomName('', ['guest'])).toBe('guest (2)');
  });

  it('cuts a long name so that name and suffix stay within 64 code points', () => {
    const long = '😀'.repeat(80);
    expect(uniqueRoomName(long, [])).toBe('😀'.repeat(64));
    expect(uniqueRoomName(long, ['😀'.repeat(64)])).toBe(`${'😀'.repeat(60)} (2)`);
  });

  it('gives a fresh name within 64 code points whatever is taken (property)', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 80 }), fc.array(fc.string({ maxLength: 70 }), { maxLength: 12 }), (wanted, others) => {
        const taken = [...others, wanted, `${wanted} (2)`.toUpperCase()];
        const name = uniqueRoomName(wanted, taken);
        expect(codePoints(name)).toBeLessThanOrEqual(MAX_NAME_CODE_POINTS);
        const key = (n: string) => n.replace(/[A-Z]/g, (c) => c.toLowerCase());
        expect(taken.map(key)).not.toContain(key(name));
      }),
    );
  });
});
