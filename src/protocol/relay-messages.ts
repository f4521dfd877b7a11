/**
 * Relay frames (PROTOCOL.md section 9): the one request a client sends before pairing, and the
 * relay's answers. Pure: bytes in, a typed request or a typed refusal out. A relay frame is a
 * frame of section 2 whose payload is a UTF-8 JSON object of 2 to 1024 bytes; the JSON rules of
 * section 5 apply (unknown fields are ignored; a repeated key is refused, which section 5 allows,
 * so that no two implementations can read one request two ways).
 */
import { RELAY_ERROR_CODES, type RelayErrorCode } from '../errors.js';
import { encodeFrame } from './frames.js';

export const MIN_RELAY_FRAME_BYTES = 2;
export const MAX_RELAY_FRAME_BYTES = 1024;
export const RELAY_VERSION = 1;

/** A nameplate: 1 to 6 ASCII digits, no leading zero (section 9). */
const NAMEPLATE = /^[1-9][0-9]{0,5}$/;
export const isNameplate = (text: string): boolean => NAMEPLATE.test(text);
/** A token: 128 bits as exactly 32 lowercase hex digits. */
const TOKEN = /^[0-9a-f]{32}$/;

export type RelayRequest =
  | { readonly op: 'host'; readonly nameplate?: undefined; readonly token?: undefined }
  | { readonly op: 'host'; readonly nameplate: string; readonly token: string }
  | { readonly op: 'join'; readonly nameplate: string }
  | { readonly op: 'release'; readonly nameplate: string; readonly token: string };

export interface RelayRefusal {
  readonly code: RelayErrorCode;
  readonly message: string;
}

export type ParsedRelayRequest = { readonly ok: true; readonly request: RelayRequest } | { readonly ok: false; readonly refusal: RelayRefusal };

/** Whether a frame length read from the wire may be a relay frame; else refuse it unread. */
export function isRelayFrameLength(length: number): boolean {
  return length >= MIN_RELAY_FRAME_BYTES && length <= MAX_RELAY_FRAME_BYTES;
}

export function relayFrameLengthRefusal(length: number): RelayRefusal {
  return badRequest(`a request of ${length} bytes (allowed: ${MIN_RELAY_FRAME_BYTES} to ${MAX_RELAY_FRAME_BYTES})`);
}

const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** Parses a request payload. Never throws: anything malformed is an E_RELAY_REQUEST refusal. */
export function parseRelayRequest(payload: Uint8Array): ParsedRelayRequest {
  if (!isRelayFrameLength(payload.length)) return refused(relayFrameLengthRefusal(payload.length));
  let text: string;
  let value: unknown;
  try {
    text = utf8.decode(payload);
    value = JSON.parse(text);
  } catch {
    return refused(badRequest('the request is not UTF-8 JSON'));
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return refused(badRequest('the request is not a JSON object'));
  if (hasRepeatedKey(text)) return refused(badRequest('the request repeats a key'));
  const fields = value as Record<string, unknown>;
  if (fields.relay !== RELAY_VERSION) return refused(badRequest('not relay protocol version 1'));
  const nameplate = field(fields, 'nameplate');
  const token = field(fields, 'token');
  if (nameplate !== undefined && (typeof nameplate !== 'string' || !NAMEPLATE.test(nameplate))) return refused(badRequest('a bad nameplate'));
  if (token !== undefined && (typeof token !== 'string' || !TOKEN.test(token))) return refused(badRequest('a bad token'));
  switch (field(fields, 'op')) {
    case 'host':
      if (nameplate === undefined && token === undefined) return accepted({ op: 'host' });
      if (nameplate !== undefined && token !== undefined) return accepted({ op: 'host', nameplate, token });
      return refused(badRequest('a host request names both a nameplate and its token, or neither'));
    case 'join':
      if (nameplate === undefined) return refused(badRequest('a join names a nameplate'));
      return accepted({ op: 'join', nameplate });
    case 'release':
      if (nameplate === undefined || token === undefined) return refused(badRequest('a release names a nameplate and its token'));
      return accepted({ op: 'release', nameplate, token });
    default:
      return refused(badRequest('an unknown op'));
  }
}

/** An own property only: `{"__proto__": ...}` or inherited names are not fields. */
function field(fields: Record<string, unknown>, name: string): unknown {
  return Object.hasOwn(fields, name) ? fields[name] : undefined;
}

/**
 * Whether any object in the JSON text repeats a key. JSON.parse keeps the last of two; refusing
 * them instead means no reader can see another request in the same bytes. The text is already
 * known to be valid JSON, so a scan of strings and brackets is enough.
 */
function hasRepeatedKey(text: string): boolean {
  const stack: (Set<string> | null)[] = [];
  let expectKey = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '{') {
      stack.push(new Set());
      expectKey = true;
    } else if (c === '[') {
      stack.push(null);
    } else if (c === '}' || c === ']') {
      stack.pop();
    } else if (c === ',') {
      expectKey = stack.at(-1) instanceof Set;
    } else if (c === '"') {
      let end = i + 1;
      while (text[end] !== '"') end += text[end] === '\\' ? 2 : 1;
      if (expectKey) {
        const keys = stack.at(-1)!;
        const key = JSON.parse(text.slice(i, end + 1)) as string;
        if (keys.has(key)) return true;
        keys.add(key);
        expectKey = false;
      }
      i = end;
    }
  }
  return false;
}

function accepted(request: RelayRequest): ParsedRelayRequest {
  return { ok: true, request };
}

function refused(refusal: RelayRefusal): ParsedRelayRequest {
  return { ok: false, refusal };
}

function badRequest(what: string): RelayRefusal {
  return { code: 'E_RELAY_REQUEST', message: `not a valid relay request: ${what}` };
}

function jsonFrame(value: object): Buffer {
  return encodeFrame(Buffer.from(JSON.stringify(value), 'utf8'));
}

/** The answer to a host request: the nameplate, its token (lowercase hex) and ttl in seconds. */
export function encodeHosted(nameplate: string, token: string, ttlSeconds: number): Buffer {
  return jsonFrame({ ok: true, nameplate, token, ttl: ttlSeconds });
}

/** The answer to a release. */
export function encodeReleased(): Buffer {
  return jsonFrame({ ok: true });
}

/** Sent to both connections of a pair; the relay sends nothing after it. */
export function encodePaired(): Buffer {
  return jsonFrame({ paired: true });
}

export function encodeRefusal(refusal: RelayRefusal): Buffer {
  return jsonFrame({ ok: false, error: refusal.code, message: refusal.message });
}

/** The client's side: a request as the frame it sends (section 9's table of requests). */
export function encodeRelayRequest(request: RelayRequest): Buffer {
  return jsonFrame({ relay: RELAY_VERSION, ...request });
}

/** An answer of section 9, as a client reads it. */
export type RelayAnswer =
  | { readonly kind: 'hosted'; readonly nameplate: string; readonly token: string; readonly ttlSeconds: number }
  | { readonly kind: 'released' }
  | { readonly kind: 'paired' }
  | { readonly kind: 'refused'; readonly code: RelayErrorCode };

/**
 * Reads an answer payload; null for anything section 9 does not define (then the other end is not
 * a relay, or not one of version 1). The relay's `message` is not kept: it is the relay's text,
 * and the client says what each code means in its own words.
 */
export function parseRelayAnswer(payload: Uint8Array): RelayAnswer | null {
  if (!isRelayFrameLength(payload.length)) return null;
  let value: unknown;
  try {
    value = JSON.parse(utf8.decode(payload));
  } catch {
    return null;
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return null;
  const fields = value as Record<string, unknown>;
  if (field(fields, 'paired') === true) return { kind: 'paired' };
  const error = field(fields, 'error');
  if (field(fields, 'ok') === false) {
    return typeof error === 'string' && (RELAY_ERROR_CODES as readonly string[]).includes(error) ? { kind: 'refused', code: error as RelayErrorCode } : null;
  }
  if (field(fields, 'ok') !== true) return null;
  const nameplate = field(fields, 'nameplate');
  const token = field(fields, 'token');
  const ttl = field(fields, 'ttl');
  if (nameplate === undefined && token === undefined) return { kind: 'released' };
  const valid = typeof nameplate === 'string' && NAMEPLATE.test(nameplate) && typeof token === 'string' && TOKEN.test(token) && typeof ttl === 'number' && ttl > 0;
  return valid ? { kind: 'hosted', nameplate, token, ttlSeconds: ttl } : null;
}
