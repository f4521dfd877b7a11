import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  encodeAccept,
  encodeFilesOffer,
  encodeJson,
  encodeStreamEnd,
  encodeStreamOffer,
  encodeTextOffer,
  parseAccept,
  parseDecline,
  parseError,
  parseFileEnd,
  parseFileStart,
  parseOffer,
  parseOfferContinuation,
  parseReceipt,
  parseText,
  type FileEntry,
  type FilesOffer,
} from '../../src/protocol/messages.js';
import { MAX_RECORD_BODY_BYTES, RecordType } from '../../src/protocol/records.js';
import { hex, loadVectors } from '../support/vectors.js';

const doc = loadVectors('handshake-v1.json');
const PARSERS = [parseOffer, parseOfferContinuation, parseAccept, parseDecline, parseFileStart, parseFileEnd, parseReceipt, parseText, parseError];
const digest = 'ab'.repeat(32);

describe('record bodies of the vectors', () => {
  const sumOfSizes = (files: readonly FileEntry[]) => files.reduce((sum, f) => sum + f.size, 0);

  // Each parsed value is compared with what the vector says was sent (its files, text or chat).
  it.each<any>(doc.vectors)('reads what was sent: $name', (v) => {
    const bodies = (type: number) => v.records.filter((r: any) => r.type_byte === type).map((r: any) => hex(r.body_hex));
    const files: any[] = v.files ?? [];
    const entries: FileEntry[] = files.map(({ path, size, mode, mtime }) => ({ path, size, mode, mtime }));
    const [first, ...continuations] = bodies(RecordType.OFFER);
    if (v.kind === 'files') {
      const offer = parseOffer(first);
      const rest = continuations.map(parseOfferContinuation);
      expect(offer).toMatchObject({ kind: 'files', name: v.offer_name, fileCount: entries.length, totalBytes: sumOfSizes(entries) });
      const parts = [offer as FilesOffer, ...rest];
      expect(parts.flatMap((part) => part.files)).toEqual(entries);
      expect(parts.map((part) => part.more)).toEqual([...rest.map(() => true), false]);
    } else {
      expect(continuations).toEqual([]);
      expect(parseOffer(first)).toEqual(v.kind === 'text' ? { kind: 'text', text: v.text } : { kind: 'chat', name: v.chat.name });
    }
    expect(bodies(RecordType.ACCEPT).map(parseAccept)).toEqual([[]]);
    expect(bodies(RecordType.FILE).map(parseFileStart)).toEqual(files.map((_, index) => ({ index, offset: 0 })));
    expect(bodies(RecordType.FILE_END).map(parseFileEnd)).toEqual(files.map((f) => ({ sha256: f.sha256 })));
    const receipts = v.kind === 'chat' ? [] : [files.map((f, index) => ({ index, sha256: f.sha256 }))];
    expect(bodies(RecordType.RECEIPT).map(parseReceipt)).toEqual(receipts);
    expect(bodies(RecordType.TEXT).map(parseText)).toEqual((v.chat?.messages ?? []).map((m: any) => m.text));
    // DONE and CLOSE carry `{}` (section 5), which is what our side writes; the reader needs only the type.
    expect(bodies(RecordType.DONE)).toEqual(v.kind === 'chat' ? [] : [encodeJson({})]);
    expect(bodies(RecordType.CLOSE)).toEqual(v.kind === 'chat' ? [encodeJson({}), encodeJson({})] : []);
  });

  it('carry no record type the test above leaves unread', () => {
    const read: number[] = [RecordType.OFFER, RecordType.ACCEPT, RecordType.FILE, RecordType.DATA, RecordType.FILE_END, RecordType.DONE, RecordType.RECEIPT, RecordType.TEXT, RecordType.CLOSE];
    const carried = new Set<number>(doc.vectors.flatMap((v: any) => v.records.map((r: any) => r.type_byte)));
    expect([...carried].filter((type) => !read.includes(type))).toEqual([]);
  });

  it('encodes the files offer of vector 1 as the same JSON', () => {
    const v = doc.vectors[0];
    const entries = v.files.map((f: any) => ({ path: f.path, size: f.size, mode: f.mode, mtime: f.mtime }));
    const [body] = encodeFilesOffer(v.offer_name, entries);
    expect(JSON.parse(body!.toString())).toEqual(JSON.parse(hex(v.records[0].body_hex).toString()));
  });
});

describe('parsers', () => {
  it('reads a files offer with its entries', () => {
    const offer = parseOffer(encodeJson({ kind: 'files', name: 'a', fileCount: 1, totalBytes: 3, files: [{ path: 'a', size: 3, mode: 420, mtime: 0 }], extra: 1 }));
    expect(offer).toEqual({ kind: 'files', name: 'a', fileCount: 1, totalBytes: 3, files: [{ path: 'a', size: 3, mode: 420, mtime: 0 }], more: false });
  });

  it.each<any>([
    { what: 'fileCount 0', body: { kind: 'files', name: 'a', fileCount: 0, totalBytes: 0, files: [] } },
    { what: 'a negative size', body: { kind: 'files', name: 'a', fileCount: 1, totalBytes: 0, files: [{ path: 'a', size: -1, mode: 0, mtime: 0 }] } },
    { what: 'a size above 2^53-1', body: { kind: 'files', name: 'a', fileCount: 1, totalBytes: 0, files: [{ path: 'a', size: 2 ** 53, mode: 0, mtime: 0 }] } },
    { what: 'a fractional mtime', body: { kind: 'files', name: 'a', fileCount: 1, totalBytes: 0, files: [{ path: 'a', size: 0, mode: 0, mtime: 1.5 }] } },
    { what: 'a string size', body: { kind: 'files', name: 'a', fileCount: 1, totalBytes: 0, files: [{ path: 'a', size: '1', mode: 0, mtime: 0 }] } },
    { what: 'an unknown kind', body: { kind: 'folder' } },
    { what: 'a non-string text', body: { kind: 'text', text: 5 } },
  ])('refuses an offer with $what', ({ body }) => {
    expect(() => parseOffer(encodeJson(body))).toThrow(expect.objectContaining({ code: 'E_PROTOCOL' }));
  });

  it('reads the reason of a DECLINE, and nothing but a string', () => {
    expect(parseDecline(encodeJson({ reason: 'not now, thanks', extra: 1 }))).toBe('not now, thanks');
    expect(parseDecline(encodeJson({ reason: '' }))).toBe('');
    for (const body of [{}, { reason: 5 }, { reason: null }, { why: 'x' }]) {
      expect(() => parseDecline(encodeJson(body))).toThrow(expect.objectContaining({ code: 'E_PROTOCOL', message: expect.stringContaining('DECLINE') }));
    }
  });

  it('reads the code and the message of an ERROR, and refuses either missing', () => {
    expect(parseError(encodeJson({ code: 'E_EXISTS', message: 'a.txt exists', extra: true }))).toEqual({ code: 'E_EXISTS', message: 'a.txt exists' });
    // An unknown code is read as it came: the channel maps it to E_PEER, not the parser.
    expect(parseError(encodeJson({ message: 'm', code: 'E_FROM_THE_FUTURE' }))).toEqual({ code: 'E_FROM_THE_FUTURE', message: 'm' });
    for (const body of [{ code: 'E_EXISTS' }, { message: 'm' }, { code: 1, message: 'm' }, { code: 'E_EXISTS', message: ['m'] }]) {
      expect(() => parseError(encodeJson(body))).toThrow(expect.objectContaining({ code: 'E_PROTOCOL', message: expect.stringContaining('ERROR') }));
    }
  });

  it('reads back any DECLINE reason and ERROR code and message exactly (property)', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme' }), fc.string(), fc.string({ unit: 'grapheme' }), (reason, code, message) => {
        expect(parseDecline(encodeJson({ reason }))).toBe(reason);
        expect(parseError(encodeJson({ code, message }))).toEqual({ code, message });
      }),
    );
  });

  it('requires lowercase 64-digit digests', () => {
    expect(parseFileEnd(encodeJson({ sha256: digest }))).toEqual({ sha256: digest });
    expect(() => parseFileEnd(encodeJson({ sha256: digest.toUpperCase() }))).toThrow();
    expect(() => parseFileEnd(encodeJson({ sha256: digest.slice(2) }))).toThrow();
    expect(() => parseAccept(encodeJson({ resume: [{ index: 0, offset: 1, mac: 'x' }] }))).toThrow();
  });

  it('refuses bodies that are not UTF-8 JSON objects', () => {
    for (const body of [Buffer.from([0xff, 0xfe]), Buffer.from('[]'), Buffer.from('null'), Buffer.from('"x"'), Buffer.from('{')]) {
      for (const parse of PARSERS) expect(() => parse(body)).toThrow(expect.objectContaining({ code: 'E_PROTOCOL' }));
    }
  });

  it('never throws anything but E_PROTOCOL on arbitrary bytes or JSON (property)', () => {
    const bodies = fc.oneof(
      fc.uint8Array({ maxLength: 200 }).map((b) => Buffer.from(b)),
      fc.json().map((j) => Buffer.from(j)),
      fc.object().map((o) => encodeJson(o)),
    );
    fc.assert(
      fc.property(bodies, (body) => {
        for (const parse of PARSERS) {
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
});

describe('parseOfferContinuation: at least one entry (section 5)', () => {
  const entry = fc.record({
    path: fc.string({ minLength: 1, maxLength: 20 }),
    size: fc.maxSafeNat(),
    mode: fc.nat(0o777),
    mtime: fc.maxSafeNat(),
  });
  const more = fc.option(fc.boolean(), { nil: undefined });
  const extra = fc.dictionary(fc.string().filter((k) => !['kind', 'files', 'more'].includes(k)), fc.jsonValue(), { maxKeys: 3 });

  it('refuses an empty continuation, whatever "more" and other fields say (property)', () => {
    fc.assert(
      fc.property(more, extra, (moreValue, fields) => {
        const body = encodeJson({ ...fields, kind: 'files', files: [], ...(moreValue === undefined ? {} : { more: moreValue }) });
        expect(() => parseOfferContinuation(body)).toThrow(expect.objectContaining({ code: 'E_PROTOCOL', message: expect.stringContaining('at least one entry') }));
      }),
      { numRuns: 200 },
    );
  });

  it('reads every entry of a non-empty continuation (property)', () => {
    fc.assert(
      fc.property(fc.array(entry, { minLength: 1, maxLength: 20 }), more, (files, moreValue) => {
        const parsed = parseOfferContinuation(encodeJson({ kind: 'files', files, more: moreValue }));
        expect(parsed).toEqual({ files, more: moreValue === true });
      }),
      { numRuns: 200 },
    );
  });
});

describe('ACCEPT (section 6: resume entries carry a MAC, never a plain hash)', () => {
  const hex64 = fc.uint8Array({ minLength: 32, maxLength: 32 }).map((b) => Buffer.from(b).toString('hex'));
  const point = fc.record({ index: fc.maxSafeNat(), offset: fc.maxSafeNat(), mac: hex64 });

  it('reads back what encodeAccept wrote, and writes only index, offset and mac (property)', () => {
    fc.assert(
      fc.property(fc.array(point, { maxLength: 20 }), (resume) => {
        const body = encodeAccept(resume.map((p) => ({ ...p, sha256: digest }) as any));
        expect(parseAccept(body)).toEqual(resume);
        for (const entry of JSON.parse(body.toString()).resume) expect(Object.keys(entry)).toEqual(['index', 'offset', 'mac']);
      }),
    );
  });

  it('refuses an entry whose mac is missing or not 64 lowercase hex digits (property)', () => {
    const badMac = fc.oneof(
      fc.constant(undefined),
      hex64.map((h) => h.toUpperCase()).filter((h) => /[A-F]/.test(h)),
      hex64.map((h) => h.slice(2)),
      fc.string().filter((t) => !/^[0-9a-f]{64}$/.test(t)),
      fc.integer(),
    );
    fc.assert(
      fc.property(fc.array(point, { maxLength: 5 }), badMac, fc.nat(5), (resume, mac, at) => {
        const entries: any[] = [...resume];
        entries.splice(Math.min(at, entries.length), 0, { index: 0, offset: 1, mac });
        expect(() => parseAccept(encodeJson({ resume: entries }))).toThrow(expect.objectContaining({ code: 'E_PROTOCOL' }));
      }),
    );
  });

  it('refuses the plain SHA-256 of the first version of this message', () => {
    expect(() => parseAccept(encodeJson({ resume: [{ index: 0, offset: 1, sha256: digest }] }))).toThrow(expect.objectContaining({ code: 'E_PROTOCOL' }));
  });
});

describe('encoders', () => {
  it('splits a long file list over continuation records that each fit one record', () => {
    const entries = Array.from({ length: 30_000 }, (_, i) => ({ path: `directory-${i}/${'n'.repeat(40)}-${i}.bin`, size: i, mode: 0o644, mtime: 1_700_000_000_000 }));
    const bodies = encodeFilesOffer('many', entries);
    expect(bodies.length).toBeGreaterThan(1);
    for (const body of bodies) expect(body.length).toBeLessThanOrEqual(MAX_RECORD_BODY_BYTES);
    const first = parseOffer(bodies[0]!);
    const rest = bodies.slice(1).map((b) => parseOfferContinuation(b));
    expect(first).toMatchObject({ kind: 'files', fileCount: 30_000, more: true });
    expect(rest.at(-1)!.more).toBe(false);
    const all = [...(first as any).files, ...rest.flatMap((r) => r.files)];
    expect(all).toEqual(entries);
  });

  it('sends only the fields of section 5, never a local source path', () => {
    const [body] = encodeFilesOffer('a', [{ path: 'a', size: 1, mode: 0o644, mtime: 5, sourcePath: '/home/me/secret/a' } as any]);
    expect(body!.toString()).not.toContain('/home/me');
    expect(Object.keys(JSON.parse(body!.toString()).files[0]).sort()).toEqual(['mode', 'mtime', 'path', 'size']);
  });

  it('refuses a text that does not fit one record', () => {
    expect(encodeTextOffer('x'.repeat(MAX_RECORD_BODY_BYTES))).toBeNull();
    expect(parseOffer(encodeTextOffer('hi')!)).toEqual({ kind: 'text', text: 'hi' });
  });
});

describe('streams (section 11)', () => {
  const hex64 = fc.uint8Array({ minLength: 32, maxLength: 32 }).map((b) => Buffer.from(b).toString('hex'));

  it('parses the stream OFFER it encodes, exactly the fields of section 11', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme' }), (name) => {
        const body = encodeStreamOffer(name);
        expect(JSON.parse(body.toString('utf8'))).toEqual({ kind: 'stream', name });
        expect(parseOffer(body)).toEqual({ kind: 'stream', name });
      }),
    );
  });

  it('refuses a stream OFFER without a string name', () => {
    fc.assert(
      fc.property(fc.oneof(fc.constant(undefined), fc.integer(), fc.boolean(), fc.array(fc.string())), (name) => {
        expect(() => parseOffer(encodeJson({ kind: 'stream', name }))).toThrow(expect.objectContaining({ code: 'E_PROTOCOL' }));
      }),
    );
  });

  it('parses the FILE_END with a size that it encodes', () => {
    fc.assert(
      fc.property(hex64, fc.maxSafeNat(), (sha256, size) => {
        const body = encodeStreamEnd(sha256, size);
        expect(JSON.parse(body.toString('utf8'))).toEqual({ sha256, size });
        expect(parseFileEnd(body)).toEqual({ sha256, size });
      }),
    );
  });

  it('refuses a FILE_END whose size is not an integer from 0 to 2^53-1', () => {
    const badSize = fc.oneof(fc.integer({ max: -1 }), fc.double().filter((d) => !Number.isSafeInteger(d)), fc.constant(2 ** 53), fc.string(), fc.constant(null));
    fc.assert(
      fc.property(hex64, badSize, (sha256, size) => {
        expect(() => parseFileEnd(encodeJson({ sha256, size }))).toThrow(expect.objectContaining({ code: 'E_PROTOCOL' }));
      }),
    );
  });
});
