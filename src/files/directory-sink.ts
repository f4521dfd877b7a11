/**
 * The destination directory as the session's sink for received entries (session/sink.ts): each
 * entry's bytes go to its `.part` file (part-file-sink.ts) and land under their final names only
 * all together (Destination does the disk work). It remembers, for one transfer at a time, which
 * part files were started and which kept ones findResumable opened, so that the session holds
 * none of them.
 */
import type { Writable } from 'node:stream';
import { SealdropError } from '../errors.js';
import type { HashedPrefix } from '../protocol/hashed-prefix.js';
import type { FileEntry } from '../protocol/messages.js';
import type { TopLevelFacts } from '../protocol/top-level.js';
import type { EntrySink } from '../session/sink.js';
import { Destination, type KeptPart, type PartFile } from './destination.js';
import { PartFileSink } from './part-file-sink.js';

export class DirectorySink implements EntrySink {
  /** Part files this transfer started, until they land, are kept or discarded. */
  readonly #parts: PartFile[] = [];
  /** Kept part files findResumable found, by entry path (unique in an offer, section 5). */
  readonly #kept = new Map<string, KeptPart>();

  /** Files land only at commitAll, verified. */
  readonly passesBytesOn = false;

  constructor(readonly destination: Destination) {}

  static async open(directory: string, overwrite: boolean): Promise<DirectorySink> {
    return new DirectorySink(await Destination.open(directory, overwrite));
  }

  /** The destination's real path, for messages to this machine's person. */
  get root(): string {
    return this.destination.root;
  }

  checkOffer(entries: readonly FileEntry[], totalBytes: number): Promise<void> {
    return this.destination.checkOffer(entries, totalBytes);
  }

  describeTopLevel(entries: readonly FileEntry[]): TopLevelFacts[] {
    return this.destination.describeTopLevel(entries);
  }

  claim(entries: readonly FileEntry[]): Promise<void> {
    return this.destination.claim(entries);
  }

  admit(entries: readonly FileEntry[], merge: boolean): Promise<void> {
    return this.destination.admit(entries, merge);
  }

  async findResumable(entry: FileEntry): Promise<HashedPrefix | null> {
    const kept = await this.destination.findResumable(entry);
    if (kept === null) return null;
    this.#kept.set(entry.path, kept);
    return kept.prefix;
  }

  /** From 0 a kept part file is not used: the destination starts afresh, and `release` closes it. */
  async start(entry: FileEntry, offset: number): Promise<Writable> {
    const kept = offset === 0 ? undefined : this.#kept.get(entry.path);
    if (offset !== 0 && kept?.prefix.bytes !== offset) {
      throw new SealdropError('E_INTERNAL', `no kept part of ${offset} bytes to resume ${entry.path} from`);
    }
    const part = await this.destination.createPart(entry, kept);
    this.#parts.push(part);
    return new PartFileSink(part.handle);
  }

  /** Section 11: the stream's part file lands with the size that arrived, at the time it arrived. */
  settleStream(entry: FileEntry): void {
    const index = this.#parts.findIndex((part) => part.entry.path === entry.path);
    if (index < 0) throw new SealdropError('E_INTERNAL', `no part file was started for the stream ${entry.path}`);
    this.#parts[index] = { ...this.#parts[index]!, entry };
  }

  /**
   * Section 6: every file lands under its final name, or none does. A commit can fail halfway (a
   * name that appeared during the transfer, a part file that was replaced, an I/O error), and even
   * a check of every part beforehand could not prevent that: the name can appear between the check
   * and the link. So what this transfer already landed is taken back, and the parts stay for
   * `discard`; once all have landed, there are none left.
   */
  async commitAll(): Promise<void> {
    const landed: PartFile[] = [];
    try {
      for (const part of this.#parts) {
        await this.destination.commit(part);
        landed.push(part);
      }
      await this.destination.syncCommitted();
    } catch (error) {
      this.destination.unland(landed);
      throw error;
    }
    this.#parts.splice(0);
    this.destination.complete();
  }

  keep(): Promise<void> {
    return this.destination.keep(this.#parts.splice(0));
  }

  discard(): Promise<void> {
    return this.destination.discard(this.#parts.splice(0));
  }

  /** Also closes the kept part files no resume went on in (Destination.release). */
  release(): Promise<void> {
    this.#kept.clear();
    return this.destination.release();
  }
}
