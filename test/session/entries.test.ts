/**
 * The sending and receiving sessions against each other with no file on either side: a source of
 * Buffers and a sink that collects what arrives (as a pipe and stdout will, section 11). They
 * show that the interfaces of source.ts and sink.ts are all the sessions need, a resume included.
 */
import { createHash } from 'node:crypto';
import { Readable, Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { SealdropError } from '../../src/errors.js';
import type { HashedPrefix } from '../../src/protocol/hashed-prefix.js';
import { Intent } from '../../src/protocol/handshake-messages.js';
import type { FileEntry } from '../../src/protocol/messages.js';
import { topLevelEntries, type TopLevelFacts } from '../../src/protocol/top-level.js';
import { openSecureChannel } from '../../src/channel/secure-channel.js';
import { receiveTransfer } from '../../src/session/receive-session.js';
import { sendFiles } from '../../src/session/send-session.js';
import type { EntrySink } from '../../src/session/sink.js';
import type { EntrySource, OpenedEntry } from '../../src/session/source.js';
import { duplexPair } from '../support/duplex-pair.js';

const CODE = Buffer.from('7-crossover-clockwork');
const sha256Hex = (data: string | Buffer) => createHash('sha256').update(data).digest('hex');
const hashed = (data: Buffer): HashedPrefix => ({ hash: createHash('sha256').update(data), bytes: data.length });

/** Entries held in memory; `opened` counts the entries opened and not yet closed. */
class MemorySource implements EntrySource {
  readonly entries: FileEntry[];
  opened = 0;

  constructor(
    readonly name: string,
    private readonly contents: Readonly<Record<string, string>>,
  ) {
    this.entries = Object.entries(contents).map(([path, text]) => ({ path, size: Buffer.byteLength(text), mode: 0o644, mtime: 0 }));
  }

  async open(index: number): Promise<OpenedEntry> {
    const bytes = Buffer.from(this.contents[this.entries[index]!.path]!);
    this.opened += 1;
    return {
      hashPrefix: async (length) => hashed(bytes.subarray(0, length)),
      // Two chunks: a DATA record each.
      read: (offset) => Readable.from([bytes.subarray(offset, offset + 2), bytes.subarray(offset + 2)], { objectMode: true }),
      release: () => undefined,
      checkUnchanged: async (bytesRead) => {
        if (bytesRead !== bytes.length) throw new SealdropError('E_INTERNAL', 'changed');
      },
      close: async () => {
        this.opened -= 1;
      },
    };
  }
}

/** Collects what arrives; `landed` holds each entry once commitAll ran, `calls` the order of the calls. */
class MemorySink implements EntrySink {
  readonly passesBytesOn = false;
  readonly calls: string[] = [];
  readonly landed = new Map<string, string>();
  readonly #incoming = new Map<string, Buffer[]>();

  /** What an earlier attempt kept, by path: findResumable reports it. */
  constructor(
    private readonly kept: ReadonlyMap<string, string> = new Map(),
    private readonly failCommit = false,
  ) {}

  async checkOffer(): Promise<void> {
    this.calls.push('checkOffer');
  }
  describeTopLevel(entries: readonly FileEntry[]): TopLevelFacts[] {
    return topLevelEntries(entries).map((entry) => ({ ...entry, exists: false, createdByEarlierAttempt: false }));
  }
  async claim(): Promise<void> {
    this.calls.push('claim');
  }
  async admit(_: readonly FileEntry[], merge: boolean): Promise<void> {
    this.calls.push(`admit merge=${merge}`);
  }
  async findResumable(entry: FileEntry): Promise<HashedPrefix | null> {
    const kept = this.kept.get(entry.path);
    return kept === undefined ? null : hashed(Buffer.from(kept));
  }
  async start(entry: FileEntry, offset: number): Promise<Writable> {
    this.calls.push(`start ${entry.path} ${offset}`);
    const pieces: Buffer[] = offset === 0 ? [] : [Buffer.from(this.kept.get(entry.path)!)];
    this.#incoming.set(entry.path, pieces);
    return new Writable({
      objectMode: true,
      write: (parts: readonly Buffer[], _, callback) => {
        pieces.push(...parts);
        callback();
      },
    });
  }
  settleStream(entry: FileEntry): void {
    this.calls.push(`settleStream ${entry.path} ${entry.size}`);
  }
  async commitAll(): Promise<void> {
    this.calls.push('commitAll');
    if (this.failCommit) throw new SealdropError('E_EXISTS', 'a name appeared');
    for (const [path, pieces] of this.#incoming) this.landed.set(path, Buffer.concat(pieces).toString());
  }
  async keep(): Promise<void> {
    this.calls.push('keep');
  }
  async discard(): Promise<void> {
    this.calls.push('discard');
  }
  async release(): Promise<void> {
    this.calls.push('release');
  }
}

/** Runs both sessions over an in-memory connection; their outcomes, settled. */
async function transfer(source: EntrySource, sink: EntrySink) {
  const [near, far] = duplexPair();
  const receiving = openSecureChannel(far, { role: 'responder', codeBytes: CODE, intent: Intent.RECEIVE }).then((channel) =>
    receiveTransfer(channel, { sink, decide: async () => 'accept' }),
  );
  const sending = openSecureChannel(near, { role: 'initiator', codeBytes: CODE, intent: Intent.SEND }).then((channel) => sendFiles(channel, source));
  const [sent, received] = await Promise.allSettled([sending, receiving]);
  return { sent, received };
}

describe('sessions over a source and a sink that are not files', () => {
  it('send every entry, in order, and land them only at commitAll', async () => {
    const source = new MemorySource('2 items', { 'a.txt': 'hello', 'd/b.txt': '', 'd/c.txt': 'xyz' });
    const sink = new MemorySink();
    const { sent, received } = await transfer(source, sink);
    expect(sent).toMatchObject({ status: 'fulfilled', value: [{ path: 'a.txt', sha256: sha256Hex('hello') }, { path: 'd/b.txt' }, { path: 'd/c.txt' }] });
    expect(received).toMatchObject({ status: 'fulfilled', value: { kind: 'files', name: '2 items', totalBytes: 8 } });
    expect(Object.fromEntries(sink.landed)).toEqual({ 'a.txt': 'hello', 'd/b.txt': '', 'd/c.txt': 'xyz' });
    expect(sink.calls).toEqual(['checkOffer', 'claim', 'admit merge=false', 'start a.txt 0', 'start d/b.txt 0', 'start d/c.txt 0', 'commitAll', 'release']);
    expect(source.opened).toBe(0);
  });

  it('resume after a prefix the sink kept and the source proves', async () => {
    const source = new MemorySource('a.txt', { 'a.txt': 'abcdef' });
    const sink = new MemorySink(new Map([['a.txt', 'abc']]));
    const { sent, received } = await transfer(source, sink);
    expect(received.status).toBe('fulfilled');
    expect(sent).toMatchObject({ status: 'fulfilled', value: [{ sha256: sha256Hex('abcdef') }] });
    expect(sink.calls).toContain('start a.txt 3');
    expect(sink.landed.get('a.txt')).toBe('abcdef');
  });

  it('start afresh where the kept prefix is not the source\'s', async () => {
    const source = new MemorySource('a.txt', { 'a.txt': 'abcdef' });
    const sink = new MemorySink(new Map([['a.txt', 'xyz']]));
    await transfer(source, sink);
    expect(sink.calls).toContain('start a.txt 0');
    expect(sink.landed.get('a.txt')).toBe('abcdef');
  });

  it('discard what came when the sink cannot land it, and tell the sender', async () => {
    const sink = new MemorySink(new Map(), true);
    const { sent, received } = await transfer(new MemorySource('a.txt', { 'a.txt': 'abc' }), sink);
    expect(received).toMatchObject({ status: 'rejected', reason: { code: 'E_EXISTS' } });
    expect(sent).toMatchObject({ status: 'rejected', reason: { code: 'E_EXISTS' } });
    expect(sink.calls.slice(-3)).toEqual(['commitAll', 'discard', 'release']);
  });
});
