import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { SealdropError } from '../../src/errors.js';
import { normaliseCode } from '../../src/protocol/code.js';
import { nameplateOfCode, relayCode } from '../../src/protocol/relay-code.js';
import { encodeRelayRequest, parseRelayAnswer } from '../../src/protocol/relay-messages.js';
import { thrownBy } from '../support/errors.js';

describe('codes through a relay (section 9)', () => {
  it('reads the nameplate before the first dash of code_bytes', () => {
    expect(nameplateOfCode(normaliseCode(' 482-Orbit-Velvet-Canal\n'))).toBe('482');
    expect(nameplateOfCode(normaliseCode('999999-x'))).toBe('999999');
    expect(nameplateOfCode(normaliseCode(relayCode('7', 'my-own-secret')))).toBe('7');
  });

  it.each(['482', '482-', '0482-a-b', '0-a', '1234567-a', 'orbit-velvet', '-a-b', '48x-a'])('refuses %j before connecting (E_BAD_CODE), without repeating it', (code) => {
    const error = thrownBy(() => nameplateOfCode(normaliseCode(code)));
    expect(error.code).toBe('E_BAD_CODE');
    expect(error.message).not.toContain(code);
  });

  it('never throws anything but E_BAD_CODE, whatever the code', () => {
    fc.assert(
      fc.property(fc.stringMatching(/^[\x21-\x7e]{1,40}$/), (code) => {
        try {
          expect(nameplateOfCode(Buffer.from(code, 'ascii'))).toMatch(/^[1-9][0-9]{0,5}$/);
        } catch (error) {
          expect((error as SealdropError).code).toBe('E_BAD_CODE');
        }
      }),
    );
  });
});

describe('relay answers as a client reads them', () => {
  const parse = (text: string) => parseRelayAnswer(Buffer.from(text));

  it('reads the four answers of section 9', () => {
    expect(parse('{"ok":true,"nameplate":"482","token":"0123456789abcdef0123456789abcdef","ttl":600}')).toEqual({ kind: 'hosted', nameplate: '482', token: '0123456789abcdef0123456789abcdef', ttlSeconds: 600 });
    expect(parse('{"ok":true}')).toEqual({ kind: 'released' });
    expect(parse('{"paired":true}')).toEqual({ kind: 'paired' });
    expect(parse('{"ok":false,"error":"E_RELAY_BUSY","message":"busy"}')).toEqual({ kind: 'refused', code: 'E_RELAY_BUSY' });
  });

  it.each(['{}', '[]', 'null', '{"ok":"yes"}', '{"ok":false,"error":"E_OTHER"}', '{"ok":true,"nameplate":"0482","token":"0123456789abcdef0123456789abcdef","ttl":600}', '{"ok":true,"nameplate":"4","token":"0123456789ABCDEF0123456789ABCDEF","ttl":600}', '{"ok":true,"nameplate":"4"}', '\u00ff\u00fe'])('anything else is null: %j', (text) => {
    expect(parse(text)).toBeNull();
  });

  it('never throws, on any bytes', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 1100 }), (bytes) => void parseRelayAnswer(bytes)));
  });

  it('writes requests as the relay reads them', () => {
    expect(encodeRelayRequest({ op: 'join', nameplate: '482' }).subarray(4).toString()).toBe('{"relay":1,"op":"join","nameplate":"482"}');
  });
});
