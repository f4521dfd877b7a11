import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  encodeHosted,
  encodePaired,
  encodeRefusal,
  encodeReleased,
  isRelayFrameLength,
  parseRelayRequest,
} from '../../src/protocol/relay-messages.js';

const token = '0123456789abcdef0123456789abcdef';
const parse = (text: string) => parseRelayRequest(Buffer.from(text, 'utf8'));
const refusalCode = (text: string) => {
  const parsed = parse(text);
  return parsed.ok ? null : parsed.refusal.code;
};

describe('relay requests (section 9)', () => {
  it('reads the four requests of the table', () => {
    expect(parse('{"relay": 1, "op": "host"}')).toEqual({ ok: true, request: { op: 'host' } });
    expect(parse(`{"relay": 1, "op": "host", "nameplate": "482", "token": "${token}"}`)).toEqual({ ok: true, request: { op: 'host', nameplate: '482', token } });
    expect(parse('{"relay": 1, "op": "join", "nameplate": "482"}')).toEqual({ ok: true, request: { op: 'join', nameplate: '482' } });
    expect(parse(`{"relay": 1, "op": "release", "nameplate": "999999", "token": "${token}"}`)).toEqual({ ok: true, request: { op: 'release', nameplate: '999999', token } });
  });

  it('takes relay 1 by value and ignores unknown fields', () => {
    expect(parse('{"relay": 1.0, "op": "host", "extra": [1, {"a": 2}]}')).toEqual({ ok: true, request: { op: 'host' } });
    expect(parse('{"relay": 1e0, "op": "join", "nameplate": "1", "token": null}').ok).toBe(false); // token given, not a token
  });

  it.each([
    ['{"relay": 2, "op": "host"}', 'version 2'],
    ['{"relay": "1", "op": "host"}', 'version as a string'],
    ['{"op": "host"}', 'no version'],
    ['{"relay": 1, "op": "HOST"}', 'unknown op'],
    ['{"relay": 1}', 'no op'],
    ['{"relay": 1, "op": "join"}', 'join without nameplate'],
    ['{"relay": 1, "op": "join", "nameplate": "0482"}', 'leading zero'],
    ['{"relay": 1, "op": "join", "nameplate": "1234567"}', 'seven digits'],
    ['{"relay": 1, "op": "join", "nameplate": 482}', 'nameplate as a number'],
    ['{"relay": 1, "op": "join", "nameplate": "482 "}', 'trailing space'],
    [`{"relay": 1, "op": "host", "nameplate": "482"}`, 'host with nameplate and no token'],
    [`{"relay": 1, "op": "host", "token": "${token}"}`, 'host with token and no nameplate'],
    [`{"relay": 1, "op": "release", "nameplate": "482"}`, 'release without token'],
    [`{"relay": 1, "op": "release", "nameplate": "482", "token": "${token.toUpperCase()}"}`, 'uppercase token'],
    [`{"relay": 1, "op": "release", "nameplate": "482", "token": "${token}0"}`, '33 hex digits'],
    ['{"relay": 1, "op": "host", "op": "join", "nameplate": "1"}', 'a repeated key'],
    ['{"relay": 1, "op": "host", "x": {"a": 1, "a": 2}}', 'a repeated key inside an unknown field'],
    ['[1]', 'an array'],
    ['"{}"', 'a string'],
    ['{"relay": 1, "op": "host"', 'truncated JSON'],
  ])('refuses %s (%s) with E_RELAY_REQUEST', (text) => {
    expect(refusalCode(text)).toBe('E_RELAY_REQUEST');
  });

  it('refuses bytes that are not UTF-8, and lengths outside 2 to 1024', () => {
    expect(parseRelayRequest(Buffer.from([0x7b, 0xff, 0x7d])).ok).toBe(false);
    expect(parseRelayRequest(Buffer.from('{')).ok).toBe(false);
    const padded = (n: number) => Buffer.from(`{"relay": 1, "op": "host", "x": "${'a'.repeat(n)}"}`);
    const fits = padded(1024 - padded(0).length);
    expect(fits.length).toBe(1024);
    expect(parseRelayRequest(fits).ok).toBe(true);
    expect(parseRelayRequest(padded(1025 - padded(0).length)).ok).toBe(false);
    expect([0, 1, 2, 1024, 1025].map(isRelayFrameLength)).toEqual([false, false, true, true, false]);
  });

  it('any bytes give a request or E_RELAY_REQUEST, never a throw (property)', () => {
    const jsonish = fc.oneof(
      fc.uint8Array({ maxLength: 1100 }),
      fc.json().map((text) => Buffer.from(text)),
      fc
        .record({ relay: fc.oneof(fc.constant(1), fc.anything()), op: fc.constantFrom('host', 'join', 'release', 'x'), nameplate: fc.oneof(fc.stringMatching(/^[0-9]{1,7}$/), fc.anything()), token: fc.oneof(fc.stringMatching(/^[0-9a-fA-F]{30,33}$/), fc.anything()) }, { requiredKeys: [] })
        .map((value) => Buffer.from(JSON.stringify(value) ?? '')),
    );
    fc.assert(
      fc.property(jsonish, (bytes) => {
        const parsed = parseRelayRequest(bytes);
        if (!parsed.ok) expect(parsed.refusal.code).toBe('E_RELAY_REQUEST');
      }),
      { numRuns: 2000 },
    );
  });
});

describe('relay answers (section 9)', () => {
  const payload = (frame: Buffer) => {
    expect(frame.readUInt32BE(0)).toBe(frame.length - 4);
    return JSON.parse(frame.subarray(4).toString('utf8')) as unknown;
  };

  it('encodes each answer as one frame of a JSON object', () => {
    expect(payload(encodeHosted('482', token, 600))).toEqual({ ok: true, nameplate: '482', token, ttl: 600 });
    expect(payload(encodeReleased())).toEqual({ ok: true });
    expect(payload(encodePaired())).toEqual({ paired: true });
    expect(payload(encodeRefusal({ code: 'E_RELAY_BUSY', message: 'busy' }))).toEqual({ ok: false, error: 'E_RELAY_BUSY', message: 'busy' });
  });
});
