/**
 * The JSON bodies of the records of PROTOCOL.md section 5: encoders, and strict parsers that turn
 * anything malformed into E_PROTOCOL. Unknown fields are ignored, as the spec asks; sizes, offsets
 * and times must be integers in [0, 2^53 - 1]; digests and MACs are 64 lowercase hex digits.
 */
import { SealdropError } from '../errors.js';
import { MAX_NAME_CODE_POINTS } from './chat-names.js';
import { MAX_RECORD_BODY_BYTES } from './records.js';

export interface FileEntry {
  readonly path: string;
  readonly size: number;
  readonly mode: number;
  readonly mtime: number;
}

export interface FilesOffer {
  readonly kind: 'files';
  readonly name: string;
  readonly fileCount: number;
  readonly totalBytes: number;
  readonly files: readonly FileEntry[];
  readonly more: boolean;
}
export interface TextOffer {
  readonly kind: 'text';
  readonly text: string;
}
export interface ChatOffer {
  readonly kind: 'chat';
  readonly name: string;
}
/** Section 11: one stream whose size is known only at its FILE_END; `name` is one path segment. */
export interface StreamOffer {
  readonly kind: 'stream';
  readonly name: string;
}
export type Offer = FilesOffer | TextOffer | ChatOffer | StreamOffer;

export interface OfferContinuation {
  readonly files: readonly FileEntry[];
  readonly more: boolean;
}

/** An ACCEPT's `resume` entry (section 6): `mac` proves a kept prefix of `offset` bytes, as hex. */
export interface ResumePoint {
  readonly index: number;
  readonly offset: number;
  readonly mac: string;
}

export interface FileStart {
  readonly index: number;
  readonly offset: number;
}

/** FILE_END (sections 5 and 11): `size` is there for a stream, which declared none in its OFFER. */
export interface FileEnd {
  readonly sha256: string;
  readonly size?: number;
}

export interface PeerError {
  readonly code: string;
  readonly message: string;
}

type Json = { readonly [key: string]: unknown };

const utf8 = new TextDecoder('utf-8', { fatal: true });
const SHA256_HEX = /^[0-9a-f]{64}$/;

export function encodeJson(value: object): Buffer {
  return Buffer.from(JSON.stringify(value), 'utf8');
}

function malformed(what: string, why: string): SealdropError {
  return new SealdropError('E_PROTOCOL', `malformed ${what} from the peer: ${why}`);
}

/** Parses a JSON object body; anything else (bad UTF-8, bad JSON, an array) is E_PROTOCOL. */
function parseJsonObject(body: Uint8Array, what: string): Json {
  let value: unknown;
  try {
    value = JSON.parse(utf8.decode(body));
  } catch {
    throw malformed(what, 'not UTF-8 JSON');
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw malformed(what, 'not a JSON object');
  return value as Json;
}

function field<T>(object: Json, key: string, what: string, check: (v: unknown) => v is T, expected: string): T {
  const value = object[key];
  if (!check(value)) throw malformed(what, `"${key}" must be ${expected}`);
  return value;
}

const isString = (v: unknown): v is string => typeof v === 'string';
const isBoolean = (v: unknown): v is boolean => typeof v === 'boolean';
const isCount = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;
const isDigest = (v: unknown): v is string => typeof v === 'string' && SHA256_HEX.test(v);
const isArray = (v: unknown): v is unknown[] => Array.isArray(v);
const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

const integer = (o: Json, key: string, what: string) => field(o, key, what, isCount, 'an integer from 0 to 2^53-1');
const text = (o: Json, key: string, what: string) => field(o, key, what, isString, 'a string');
const digest = (o: Json, key: string, what: string) => field(o, key, what, isDigest, '64 lowercase hex digits');

function parseEntries(object: Json, what: string): FileEntry[] {
  return field(object, 'files', what, isArray, 'an array').map((entry) => {
    if (!isObject(entry)) throw malformed(what, 'a file entry is not an object');
    return { path: text(entry, 'path', what), size: integer(entry, 'size', what), mode: integer(entry, 'mode', what), mtime: integer(entry, 'mtime', what) };
  });
}

function optionalMore(object: Json, what: string): boolean {
  return object.more === undefined ? false : field(object, 'more', what, isBoolean, 'a boolean');
}

export function parseOffer(body: Uint8Array): Offer {
  const what = 'OFFER';
  const object = parseJsonObject(body, what);
  switch (object.kind) {
    case 'files': {
      const fileCount = integer(object, 'fileCount', what);
      if (fileCount < 1) throw malformed(what, '"fileCount" must be at least 1');
      return { kind: 'files', name: text(object, 'name', what), fileCount, totalBytes: integer(object, 'totalBytes', what), files: parseEntries(object, what), more: optionalMore(object, what) };
    }
    case 'text':
      return { kind: 'text', text: text(object, 'text', what) };
    case 'chat':
      return { kind: 'chat', name: text(object, 'name', what) };
    case 'stream':
      return { kind: 'stream', name: text(object, 'name', what) };
    default:
      throw malformed(what, 'unknown "kind"');
  }
}

export function parseOfferContinuation(body: Uint8Array): OfferContinuation {
  const what = 'OFFER continuation';
  const object = parseJsonObject(body, what);
  if (object.kind !== 'files') throw malformed(what, '"kind" must be "files"');
  const files = parseEntries(object, what);
  // Section 5: every continuation holds at least one entry; empty ones with "more" would never end.
  if (files.length === 0) throw malformed(what, '"files" must hold at least one entry');
  return { files, more: optionalMore(object, what) };
}

export function parseAccept(body: Uint8Array): ResumePoint[] {
  const what = 'ACCEPT';
  const object = parseJsonObject(body, what);
  return field(object, 'resume', what, isArray, 'an array').map((point) => {
    if (!isObject(point)) throw malformed(what, 'a resume entry is not an object');
    // An HMAC-SHA256 has the length and lowercase hex of a SHA-256 digest.
    return { index: integer(point, 'index', what), offset: integer(point, 'offset', what), mac: digest(point, 'mac', what) };
  });
}

export function parseDecline(body: Uint8Array): string {
  return text(parseJsonObject(body, 'DECLINE'), 'reason', 'DECLINE');
}

export function parseFileStart(body: Uint8Array): FileStart {
  const object = parseJsonObject(body, 'FILE');
  return { index: integer(object, 'index', 'FILE'), offset: integer(object, 'offset', 'FILE') };
}

export function parseFileEnd(body: Uint8Array): FileEnd {
  const what = 'FILE_END';
  const object = parseJsonObject(body, what);
  const sha256 = digest(object, 'sha256', what);
  return object.size === undefined ? { sha256 } : { sha256, size: integer(object, 'size', what) };
}

/** FILE_END of a stream (section 11): the bytes sent, counted and hashed. */
export function encodeStreamEnd(sha256: string, size: number): Buffer {
  return encodeJson({ sha256, size });
}

export function parseReceipt(body: Uint8Array): Array<{ index: number; sha256: string }> {
  const what = 'RECEIPT';
  return field(parseJsonObject(body, what), 'files', what, isArray, 'an array').map((entry) => {
    if (!isObject(entry)) throw malformed(what, 'a receipt entry is not an object');
    return { index: integer(entry, 'index', what), sha256: digest(entry, 'sha256', what) };
  });
}

export function parseText(body: Uint8Array): string {
  return text(parseJsonObject(body, 'TEXT'), 'text', 'TEXT');
}

export function parseError(body: Uint8Array): PeerError {
  const object = parseJsonObject(body, 'ERROR');
  return { code: text(object, 'code', 'ERROR'), message: text(object, 'message', 'ERROR') };
}

/**
 * Splits file entries over OFFER records so that each body stays within one record (section 5:
 * "a list too long for one record continues in further records").
 */
export function encodeFilesOffer(name: string, entries: readonly FileEntry[]): Buffer[] {
  // Exactly the fields of section 5: callers' richer objects (a local source path, say) stay home.
  const files = entries.map(({ path, size, mode, mtime }) => ({ path, size, mode, mtime }));
  const totalBytes = files.reduce((sum, f) => sum + f.size, 0);
  const bodies: Buffer[] = [];
  let start = 0;
  do {
    const head = bodies.length === 0 ? { kind: 'files', name, fileCount: files.length, totalBytes } : { kind: 'files' };
    let end = files.length;
    let body = encodeJson({ ...head, files: files.slice(start, end), more: false });
    // Halve the slice until it fits; entries are small, so this converges in a few steps.
    while (body.length > MAX_RECORD_BODY_BYTES && end - start > 1) {
      end = start + Math.ceil((end - start) / 2);
      body = encodeJson({ ...head, files: files.slice(start, end), more: true });
    }
    bodies.push(body);
    start = end;
  } while (start < files.length);
  return bodies;
}

/** ACCEPT (section 6): exactly the fields of each resume entry, in the order the spec lists them. */
export function encodeAccept(resume: readonly ResumePoint[]): Buffer {
  return encodeJson({ resume: resume.map(({ index, offset, mac }) => ({ index, offset, mac })) });
}

/** Section 11: the OFFER of a stream; the name's path rules are the caller's (section 5). */
export function encodeStreamOffer(name: string): Buffer {
  return encodeJson({ kind: 'stream', name });
}

/** Wire form of the text offer; null when it would not fit one record (send it as a file). */
export function encodeTextOffer(message: string): Buffer | null {
  const body = encodeJson({ kind: 'text', text: message });
  return body.length <= MAX_RECORD_BODY_BYTES ? body : null;
}

/**
 * Section 10: a chat's ACCEPT holds `"resume": []` and may add the responder's `name`; a room's
 * host adds `"room": true` and `you`, the name under which the others see this member.
 */
export interface ChatAccept {
  readonly name?: string;
  readonly room: boolean;
  readonly you?: string;
}

/** Section 10: a TEXT; `from`, `time` and `notice` are optional, but of their type when present. */
export interface ChatText {
  readonly text: string;
  readonly from?: string;
  /** Milliseconds since the Unix epoch, by the writer's clock. */
  readonly time?: number;
  /** A line from the chat itself (someone joined or left), not from a person. */
  readonly notice: boolean;
}

/** The optional field `key` of `object`: undefined when absent, E_PROTOCOL when of another type. */
function optional<T>(object: Json, key: string, what: string, check: (v: unknown) => v is T, expected: string): T | undefined {
  return object[key] === undefined ? undefined : field(object, key, what, check, expected);
}

export function encodeChatOffer(name: string): Buffer {
  return encodeJson({ kind: 'chat', name });
}

export function encodeChatAccept(accept: ChatAccept): Buffer {
  const { name, room, you } = accept;
  return encodeJson({ resume: [], ...(name === undefined ? {} : { name }), ...(room ? { room: true, you } : {}) });
}

export function parseChatAccept(body: Uint8Array): ChatAccept {
  const what = 'ACCEPT';
  const object = parseJsonObject(body, what);
  // A chat resumes nothing, but its ACCEPT still has the shape of section 5's.
  field(object, 'resume', what, isArray, 'an array');
  const name = optional(object, 'name', what, isString, 'a string');
  const room = optional(object, 'room', what, isBoolean, 'a boolean') ?? false;
  const you = optional(object, 'you', what, isString, 'a string');
  return { room, ...(name === undefined ? {} : { name }), ...(you === undefined ? {} : { you }) };
}

/** The wire form of a TEXT, only the fields given; null when it would not fit one record. */
export function encodeChatText(message: ChatText): Buffer | null {
  const { text, from, time, notice } = message;
  const body = encodeJson({ text, ...(from === undefined ? {} : { from }), ...(time === undefined ? {} : { time }), ...(notice ? { notice: true } : {}) });
  return body.length <= MAX_RECORD_BODY_BYTES ? body : null;
}

export function parseChatText(body: Uint8Array): ChatText {
  const what = 'TEXT';
  const object = parseJsonObject(body, what);
  const from = optional(object, 'from', what, isString, 'a string');
  const time = optional(object, 'time', what, isCount, 'an integer from 0 to 2^53-1');
  const notice = optional(object, 'notice', what, isBoolean, 'a boolean') ?? false;
  return { text: text(object, 'text', what), notice, ...(from === undefined ? {} : { from }), ...(time === undefined ? {} : { time }) };
}

/**
 * The longest `from` a room's host may add when it passes a text on: 64 code points, each as long
 * as JSON can make one (`\u0000`, six bytes).
 */
const LONGEST_FROM = '\u0000'.repeat(MAX_NAME_CODE_POINTS);

/**
 * Whether a chat text of ours fits one TEXT record (section 5's limit) with room to spare for
 * every field a room's host may set when it passes it on (section 10), so that what one member
 * writes always reaches the others whole. A text that does not fit is refused, never cut.
 */
export function chatTextFits(text: string): boolean {
  return encodeChatText({ text, from: LONGEST_FROM, time: Number.MAX_SAFE_INTEGER, notice: true }) !== null;
}
