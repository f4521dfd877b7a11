/**
 * Any Writable (standard output, from the CLI) as the sink of a receiving session: each DATA
 * record's bytes go out once the record is authenticated, in order (section 11), with
 * backpressure from the Writable to the channel. Nothing lands at the end (it already went out),
 * so only the receive's success says it was complete. It takes one entry, a stream or a single
 * file; the CLI declines an offer of more. Beside files/ rather than in it: a pipe is not a file
 * on disk, and this needs neither node:fs nor the process, so tests hand it any Writable.
 */
import { Writable } from 'node:stream';
import { SealdropError } from '../errors.js';
import type { HashedPrefix } from '../protocol/hashed-prefix.js';
import type { FileEntry } from '../protocol/messages.js';
import { topLevelEntries, type TopLevelFacts } from '../protocol/top-level.js';
import type { EntrySink } from '../session/sink.js';

/** Writes each piece; resolves once the output took the last one (its callback), rejects on its error. */
function writePieces(output: Writable, pieces: readonly Buffer[]): Promise<void> {
  if (pieces.length === 0) return Promise.resolve();
  return new Promise((resolve, reject) => {
    pieces.forEach((piece, i) => output.write(piece, i === pieces.length - 1 ? (error) => (error ? reject(error) : resolve()) : undefined));
  });
}

export class WritableSink implements EntrySink {
  readonly passesBytesOn = true;
  #started = false;

  constructor(private readonly output: Writable) {
    // A reader that went away (EPIPE) fails the write whose callback reports it, and so the
    // transfer; unheard, the same error emitted as an event would end the process instead.
    output.on('error', () => undefined);
  }

  /** Nothing to check: no name is created, no space taken. */
  async checkOffer(): Promise<void> {}

  /** Nothing exists on a pipe: the person is shown the names only. */
  describeTopLevel(entries: readonly FileEntry[]): TopLevelFacts[] {
    return topLevelEntries(entries).map((entry) => ({ ...entry, exists: false, createdByEarlierAttempt: false }));
  }

  async claim(): Promise<void> {}

  /** Section 6 step 2 guards names in a directory; a pipe creates none. */
  async admit(): Promise<void> {}

  /** What went out cannot be taken back or proven: nothing resumes. */
  async findResumable(): Promise<HashedPrefix | null> {
    return null;
  }

  async start(entry: FileEntry, offset: number): Promise<Writable> {
    if (this.#started || offset !== 0) throw new SealdropError('E_INTERNAL', `a pipe takes one entry from its start, not ${entry.path} from ${offset}`);
    this.#started = true;
    const output = this.output;
    return new Writable({
      objectMode: true,
      highWaterMark: 1,
      write(parts: readonly Buffer[], _encoding, callback) {
        writePieces(output, parts).then(() => callback(), callback);
      },
    });
  }

  settleStream(): void {}
  async commitAll(): Promise<void> {}
  async keep(): Promise<void> {}
  async discard(): Promise<void> {}
  async release(): Promise<void> {}
}
