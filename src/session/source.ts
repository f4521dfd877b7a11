/**
 * What a sending session sends (PROTOCOL.md sections 5 and 6): the offer's entries, and each
 * one's bytes. The session sees only this; the CLI hands it local files (files/local-source.ts).
 * A pipe is a StreamSource instead (section 11: one stream whose size is known only at its end).
 */
import type { Readable } from 'node:stream';
import type { FileEntry } from '../protocol/messages.js';
import type { HashedPrefix } from '../protocol/hashed-prefix.js';

export interface EntrySource {
  /** What the receiver is shown as the offer's name. */
  readonly name: string;
  /** The OFFER's entries, in order: an entry's index here is its index in FILE and RECEIPT. */
  readonly entries: readonly FileEntry[];
  /** Opens the entry at `index` to send it; the caller closes it. */
  open(index: number): Promise<OpenedEntry>;
}

/** One entry, open for sending, from the moment it is checked to be the one offered. */
export interface OpenedEntry {
  /**
   * The SHA-256 of its first `bytes` bytes, to prove a prefix the receiver kept (section 6); the
   * result covers fewer bytes if the entry is shorter now. A source that cannot go back (a pipe)
   * never offers to resume, so it is never asked.
   */
  hashPrefix(bytes: number): Promise<HashedPrefix>;
  /**
   * Its bytes from `offset` to the end of what was offered, as a Readable of Buffers (object
   * mode: one chunk, one DATA record). Each chunk goes back through `release` once its last user
   * is done with it.
   */
  read(offset: number): Readable;
  /** Takes back a chunk `read` gave, for the source to read into again; only its last user calls it. */
  release(chunk: Buffer): void;
  /**
   * After `read` ended, `bytesRead` bytes into the entry (a resumed prefix included): throws
   * unless those are the entry as offered, neither cut short nor changed meanwhile, since its
   * FILE_END would have the receiver verify, and land, a copy torn between two versions.
   */
  checkUnchanged(bytesRead: number): Promise<void>;
  close(): Promise<void>;
}

/**
 * Section 11: one stream of unknown size (standard input, say), read once to its end. It has no
 * entries to offer, no prefix to prove and nothing to check afterwards: what was read is what was
 * sent, and FILE_END says how much.
 */
export interface StreamSource {
  /** What the receiver is shown, and the file name it saves the stream under: one path segment. */
  readonly name: string;
  /** Its bytes as Buffers of any size, read as the channel takes them (backpressure); once only. */
  read(): Readable;
}
