/**
 * Where a receiving session puts what it receives (PROTOCOL.md sections 5 and 6), in the order it
 * calls them: check the offer, describe it to the person, claim and admit it once accepted, offer
 * to resume what an earlier attempt kept, take each entry's bytes, then land them all or none (or
 * keep or discard what came), and release. The session sees only this; the CLI hands it the
 * destination directory (files/directory-sink.ts) or a pipe (pipes/writable-sink.ts).
 *
 * A stream (section 11) comes as one entry named after it, of size 0 and mode 0o666, mtime 0:
 * its size is known only at its end, when `settleStream` tells the sink what arrived.
 */
import type { Writable } from 'node:stream';
import type { FileEntry } from '../protocol/messages.js';
import type { HashedPrefix } from '../protocol/hashed-prefix.js';
import type { TopLevelFacts } from '../protocol/top-level.js';

export interface EntrySink {
  /**
   * The bytes leave as they come (section 11: to stdout, say) rather than land at commitAll: a
   * transfer that broke off then ends the receive, since another attempt would follow a partial one.
   */
  readonly passesBytesOn: boolean;
  /**
   * Before anyone is asked: refuses an offer this sink cannot take (E_BAD_PATH, E_EXISTS,
   * E_NO_SPACE), with details for this machine's person (the session tells the peer the code only).
   */
  checkOffer(entries: readonly FileEntry[], totalBytes: number): Promise<void>;
  /** Section 6 step 2: the offer's top-level entries, with what the sink knows of each name. */
  describeTopLevel(entries: readonly FileEntry[]): TopLevelFacts[];
  /** Once accepted: takes the entries for this transfer, until `release` (E_EXISTS if another has one). */
  claim(entries: readonly FileEntry[]): Promise<void>;
  /**
   * Before ACCEPT: refuses what section 6 step 2 guards unless `merge` (the person's leave), judged
   * afresh, and prepares what the entries need.
   */
  admit(entries: readonly FileEntry[], merge: boolean): Promise<void>;
  /** What an earlier, broken-off transfer of `entry` left to resume from, hashed; null if nothing. */
  findResumable(entry: FileEntry): Promise<HashedPrefix | null>;
  /**
   * Starts taking `entry`'s bytes from `offset`: 0, or the length of the prefix findResumable
   * reported. The Writable takes each DATA record's body as the pieces it was opened in
   * (object mode, `readonly Buffer[]`); once it has finished, the bytes are durable.
   */
  start(entry: FileEntry, offset: number): Promise<Writable>;
  /**
   * Section 11: a stream's FILE_END matched what arrived. `entry` is the stream's entry as it is to
   * land: with the size that arrived, and the time it arrived as its mtime. Before commitAll.
   */
  settleStream(entry: FileEntry): void;
  /**
   * After DONE: every started entry lands, or none does (one that failed takes back those that
   * had landed, and they stay to be discarded); durable before it returns.
   */
  commitAll(): Promise<void>;
  /** The transfer broke off and may resume (section 7): keeps what the started entries hold. */
  keep(): Promise<void>;
  /** The transfer failed: removes what it wrote. */
  discard(): Promise<void>;
  /** At the end of every transfer, whatever its outcome: gives up what `claim` took. */
  release(): Promise<void>;
}
