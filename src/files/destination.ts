/**
 * The receiver's side of the disk (PROTOCOL.md sections 5 and 6): where files of an offer may go,
 * and how they land. Nothing is ever written outside the destination, through a symbolic link,
 * or over an existing file without permission. Data goes to a `.part` file created exclusively
 * next to its target; only a verified, fsynced file is given its final name, by a link (which
 * refuses to replace anything; FAT and exFAT have none, see safe-fs.ts) or, with `--overwrite`,
 * by an atomic rename.
 *
 * Resume (section 6): beside each part file a small JSON record names the entry (path, size,
 * mtime) it belongs to and the part file itself (device, inode). When a transfer breaks off, the
 * parts are kept; a later offer of the same entry resumes from the part's length, after the
 * sender checked the MAC of the prefix. A kept part counts only if this receiver can tell it wrote
 * it and nobody else could have changed it since (isPrivateFile: ours, one link, 0600, and the
 * file its record names); whoever else can write the destination could otherwise plant a file of
 * their own there, into which the real sender's bytes would go.
 *
 * Calls on names and metadata are synchronous, those that may wait on the disk are not: see
 * safe-fs.ts for why.
 *
 * Part files have fixed names, so that a later transfer finds them; two receivers writing the
 * same path into one directory at once would therefore share one. Each transfer first claims its
 * entries (entry-lock.ts), and `commit` checks that the part file is still the one it created.
 */
import { constants, fstatSync, lstatSync, mkdirSync, renameSync, rmdirSync, unlinkSync, type Stats } from 'node:fs';
import { open, realpath, statfs, type FileHandle } from 'node:fs/promises';
import path from 'node:path';
import { SealdropError } from '../errors.js';
import { forDisplay } from '../protocol/display.js';
import type { FileEntry } from '../protocol/messages.js';
import { needingLeave, shownNames, topLevelEntries, type TopLevelFacts } from '../protocol/top-level.js';
import { entryTag, lockEntry, unlockEntry } from './entry-lock.js';
import { hashOpenFile } from './file-hash.js';
import type { HashedPrefix } from '../protocol/hashed-prefix.js';
import { offerDigest, readOfferRecord, removeOfferRecord, writeOfferRecord, type RecordedDirectory } from './offer-record.js';
// O_NOFOLLOW everywhere: a link planted where a part file should be is refused, never followed.
import {
  assertOpenedIn,
  CREATE_EXCLUSIVE,
  createFileNoFollow,
  isPrivateFile,
  isStillSameFile,
  keepUnderSecondName,
  lstatOrNull,
  moveUnlessTaken,
  openRegularFile,
  READ_AND_APPEND_EXISTING,
  readPrivateFileOrNull,
  setModeAndMtimeIfSame,
  type FileIdentity,
} from './safe-fs.js';

/** A file being received: its `.part` file is open for writing. */
export interface PartFile {
  readonly entry: FileEntry;
  readonly partPath: string;
  readonly finalPath: string;
  readonly handle: FileHandle;
  /** The part file's identity, checked before it is given its final name. */
  readonly device: number;
  readonly inode: number;
}

/**
 * A part file kept from an earlier transfer of the same entry, open (read and append) since
 * findResumable checked it, with the hash of what it holds; createPart goes on in it.
 */
export interface KeptPart {
  readonly prefix: HashedPrefix;
  readonly handle: FileHandle;
}

/** The temporary name of a file in flight: fixed per path (so a later resume can find it), short, hidden. */
export function partFileName(entryPath: string): string {
  return `.sealdrop-${entryTag(entryPath)}.part`;
}

/**
 * With `--overwrite`, the name under which `commit` keeps the file it replaces until the landing
 * is durable (section 6: a failed commit puts it back). Fixed per path, like the part file's.
 */
export function replacedFileName(entryPath: string): string {
  return `.sealdrop-${entryTag(entryPath)}.replaced`;
}

/** Beside a part file: which offered entry its bytes belong to. */
const partRecordPath = (partPath: string) => `${partPath}.json`;

/** What createPart writes beside a part file: the entry it is for, and which file it is. */
type PartRecord = Pick<FileEntry, 'path' | 'size' | 'mtime'> & FileIdentity;

/** Whether `record` is that of a part file of `entry` that is the file `part` names. */
function recordNames(record: unknown, entry: FileEntry, part: FileIdentity): boolean {
  const r = record as Partial<PartRecord> | null;
  return r?.path === entry.path && r.size === entry.size && r.mtime === entry.mtime && r.device === part.device && r.inode === part.inode;
}

export class Destination {
  readonly #createdDirectories: string[] = [];
  /** Directories known to exist (checked again before each use: they could be swapped for links). */
  readonly #knownDirectories = new Set<string>();
  /** Directories that gained a name since `syncCommitted` last made them durable. */
  readonly #unsyncedDirectories = new Set<string>();
  /** Lock files this destination holds, until `release`. */
  readonly #locks: string[] = [];
  /** The digest of the admitted offer whose record (offer-record.ts) this transfer wrote, until it ends. */
  #recordedOffer: string | null = null;
  /** Kept part files findResumable opened that no createPart has taken yet; closed by `release`. */
  readonly #unusedKept = new Set<FileHandle>();
  /** Files `commit` replaced (with --overwrite), by final name: where each is kept, and what replaced it. */
  readonly #replaced = new Map<string, { keptPath: string; part: PartFile }>();

  private constructor(
    readonly root: string,
    private readonly overwrite: boolean,
  ) {}

  /**
   * A path as messages show it: relative to the destination, since messages also reach the peer
   * (sealed ERROR), which has no business learning this machine's directory layout.
   */
  #shown(target: string): string {
    return forDisplay(path.relative(this.root, target) || '.');
  }

  static async open(directory: string, overwrite: boolean): Promise<Destination> {
    const root = await realpath(directory).catch(() => {
      throw new SealdropError('E_USAGE', `the destination ${directory} does not exist`);
    });
    if (!lstatSync(root).isDirectory()) throw new SealdropError('E_USAGE', `the destination ${directory} is not a directory`);
    return new Destination(root, overwrite);
  }

  /**
   * Everything that can be known before data moves: no path goes through a symbolic link or a
   * non-directory, no target exists (unless overwriting a regular file), and the space is there.
   */
  async checkOffer(entries: readonly FileEntry[], totalBytes: number): Promise<void> {
    for (const entry of entries) this.#checkTarget(entry.path);
    // Part files kept for a resume already hold their bytes: only the rest needs room.
    let keptBytes = 0;
    for (const entry of entries) keptBytes += this.#keptPart(entry)?.bytes ?? 0;
    const neededBytes = totalBytes - keptBytes;
    const space = await statfs(this.root);
    const freeBytes = Number(space.bavail) * Number(space.bsize);
    if (neededBytes > freeBytes) {
      const kept = keptBytes > 0 ? ` (${keptBytes} of its ${totalBytes} are kept from an earlier transfer)` : '';
      throw new SealdropError('E_NO_SPACE', `the offer needs ${neededBytes} bytes${kept} but the destination has ${freeBytes} free`);
    }
  }

  /**
   * Claims the entries for this transfer, until `release`: throws E_EXISTS if another receiver
   * that still runs is receiving one of them into this directory.
   */
  async claim(entries: readonly FileEntry[]): Promise<void> {
    for (const entry of entries) this.#locks.push(lockEntry(this.root, entry.path));
  }

  /** Gives up the claims of `claim`, and closes the kept part files no resume went on in. */
  async release(): Promise<void> {
    for (const lockPath of this.#locks.splice(0)) unlockEntry(lockPath);
    for (const handle of this.#unusedKept) await handle.close().catch(() => undefined);
    this.#unusedKept.clear();
  }

  /**
   * Section 6 step 2: the offer's top-level entries, each with whether its name exists here and
   * whether it is a directory an earlier, broken-off attempt of this same offer created.
   */
  describeTopLevel(entries: readonly FileEntry[]): TopLevelFacts[] {
    const recorded = readOfferRecord(this.root, offerDigest(entries));
    return topLevelEntries(entries).map((entry) => {
      const stats = lstatOrNull(path.join(this.root, entry.name));
      const createdByEarlierAttempt = stats !== null && stats.isDirectory() && recorded.some((d) => d.name === entry.name && d.device === stats.dev && d.inode === stats.ino);
      return { ...entry, exists: stats !== null, createdByEarlierAttempt };
    });
  }

  /**
   * After the person's answer, before ACCEPT (section 6 step 2): unless `merge` (the person
   * allowed it), refuses an offer that creates a hidden top-level entry (E_BAD_PATH) or writes
   * into a directory that existed before it (E_EXISTS), judged afresh, since the question may
   * have waited long. Then creates the offer's new top-level directories, refusing one that
   * appeared meanwhile, and records them for a later attempt of the same offer.
   */
  async admit(entries: readonly FileEntry[], merge: boolean): Promise<void> {
    const topLevel = this.describeTopLevel(entries);
    if (!merge) {
      const { hidden, existingDirectories } = needingLeave(topLevel);
      if (hidden.length > 0) {
        throw new SealdropError('E_BAD_PATH', `the offer would create hidden ${shownNames(hidden)} in the destination; receive with --merge to allow that`);
      }
      if (existingDirectories.length > 0) {
        throw new SealdropError('E_EXISTS', `the offer would write into ${shownNames(existingDirectories)}, which existed before it; receive with --merge to allow that, or have the sender send them inside a new directory`);
      }
    }
    const own: RecordedDirectory[] = [];
    for (const entry of topLevel) {
      if (!entry.isDirectory) continue;
      const directory = path.join(this.root, entry.name);
      if (!entry.exists) {
        try {
          mkdirSync(directory, { mode: 0o755 });
          this.#createdDirectories.push(directory);
        } catch (error) {
          if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
          if (!merge) throw new SealdropError('E_EXISTS', `${shownNames([entry])} appeared in the destination while the offer waited; nothing was written`);
          continue;
        }
      } else if (!entry.createdByEarlierAttempt) {
        continue; // an existing directory the person let the offer merge into: not the offer's own
      }
      const stats = lstatSync(directory);
      if (stats.isDirectory()) own.push({ name: entry.name, ...identityOf(stats) });
    }
    const digest = offerDigest(entries);
    if (own.length > 0) {
      writeOfferRecord(this.root, identityOf(lstatSync(this.root)), digest, own);
      this.#recordedOffer = digest;
    }
  }

  /**
   * The transfer landed, and `syncCommitted` made it durable: its record of created directories
   * goes, and so do the files it replaced (only now: a crash before the sync must find either the
   * new file or the kept original).
   */
  complete(): void {
    this.#forgetOffer(true);
    for (const { keptPath } of this.#replaced.values()) attempt(() => unlinkSync(keptPath));
    this.#replaced.clear();
  }

  /** Ends this transfer's hold on the record of created directories, removing it or not. */
  #forgetOffer(remove: boolean): void {
    const digest = this.#recordedOffer;
    if (remove && digest !== null) attempt(() => removeOfferRecord(this.root, digest));
    this.#recordedOffer = null;
  }

  #checkTarget(entryPath: string): void {
    const segments = entryPath.split('/');
    let current = this.root;
    for (const [i, segment] of segments.entries()) {
      current = path.join(current, segment);
      const isLast = i === segments.length - 1;
      const stats = lstatOrNull(current);
      if (stats === null) return; // nothing below a missing directory can exist
      if (stats.isSymbolicLink()) {
        throw new SealdropError('E_BAD_PATH', `${forDisplay(entryPath)} would go through the symbolic link ${this.#shown(current)}; sealdrop never follows links`);
      }
      if (!isLast && !stats.isDirectory()) {
        throw new SealdropError('E_EXISTS', `${forDisplay(entryPath)} needs ${this.#shown(current)} to be a directory, but a file is there`);
      }
      if (isLast && !(this.overwrite && stats.isFile())) {
        const hint = stats.isFile() ? ' (use --overwrite to replace it)' : '';
        throw new SealdropError('E_EXISTS', `${this.#shown(current)} already exists${hint}`);
      }
      // Told now rather than after the data: commit could not keep the file it replaces (#replace).
      if (isLast && lstatOrNull(this.#keptPath(entryPath, current)) !== null) throw this.#keptNameTaken(entryPath, current);
    }
  }

  /** Where an entry's target and its part file go. */
  #locate(entry: FileEntry): { finalPath: string; partPath: string } {
    const segments = entry.path.split('/');
    const directory = path.join(this.root, ...segments.slice(0, -1));
    return { finalPath: path.join(directory, segments.at(-1)!), partPath: path.join(directory, partFileName(entry.path)) };
  }

  /**
   * A part file kept from an earlier transfer of the same entry (path, size, mtime), open, with
   * the hash of what it holds; null if there is none, it belongs to another entry, or it is not
   * private to this receiver or not the file its record names (see #keptPart). The caller passes
   * it to createPart, or leaves it to `release` to close.
   */
  async findResumable(entry: FileEntry): Promise<KeptPart | null> {
    const kept = this.#keptPart(entry);
    if (kept === null) return null;
    // Opened once, without following a link nor waiting on a FIFO, and checked again on this
    // descriptor (the name may have been swapped since the lstat); the same descriptor hashes the
    // prefix and takes the rest, so what was checked is what is written.
    const opened = await openRegularFile(kept.partPath, READ_AND_APPEND_EXISTING).catch(() => null);
    if (opened === null) return null;
    const { handle, stats } = opened;
    try {
      if (isPrivateFile(stats) && stats.dev === kept.device && stats.ino === kept.inode && stats.size === kept.bytes) {
        const prefix = await hashOpenFile(handle, kept.bytes);
        if (prefix.bytes === kept.bytes) {
          this.#unusedKept.add(handle);
          return { prefix, handle };
        }
      }
    } catch {
      // Unreadable: nothing to resume from.
    }
    await handle.close();
    return null;
  }

  /**
   * The part file kept for `entry`, its length and identity, or null: it must be private to this
   * receiver (isPrivateFile) and named, with the entry, by a record that is private too. Only
   * this receiver can make such a pair, so its bytes are the ones an earlier transfer wrote.
   */
  #keptPart(entry: FileEntry): ({ partPath: string; bytes: number } & FileIdentity) | null {
    const { partPath } = this.#locate(entry);
    let stats: Stats | undefined;
    try {
      stats = lstatSync(partPath, { throwIfNoEntry: false });
    } catch {
      return null; // unreadable: nothing to resume from
    }
    if (stats === undefined || !isPrivateFile(stats) || stats.size === 0 || stats.size > entry.size) return null;
    const identity = identityOf(stats);
    const record = parseRecord(readPrivateFileOrNull(partRecordPath(partPath)));
    return recordNames(record, entry, identity) ? { partPath, bytes: stats.size, ...identity } : null;
  }

  /**
   * Creates the parent directories (never through a link) and the part file, exclusively; or,
   * resuming, goes on in the kept part file findResumable opened (never reopened by name).
   */
  async createPart(entry: FileEntry, kept?: KeptPart): Promise<PartFile> {
    const { finalPath, partPath } = this.#locate(entry);
    // Each directory's identity is taken just before the open it vouches for: some file systems
    // (FAT, FUSE) number an inode anew once it has left the kernel's cache.
    let directory = identityOf(lstatSync(this.root));
    let current = this.root;
    for (const segment of entry.path.split('/').slice(0, -1)) {
      current = path.join(current, segment);
      directory = this.#ensureDirectory(current, entry.path);
    }
    if (kept !== undefined) {
      this.#unusedKept.delete(kept.handle);
      // It was opened by name: it must still lie in the directory checked just now.
      const handle = await checkedOpenedIn(kept.handle, directory, false);
      const stats = fstatSync(handle.fd);
      if (stats.size !== kept.prefix.bytes) {
        await handle.close();
        throw new SealdropError('E_INTERNAL', `${this.#shown(partPath)} changed since it was offered for resuming`);
      }
      return { entry, partPath, finalPath, handle, ...identityOf(stats) };
    }
    let handle = await openExclusive(partPath);
    if (handle === null) {
      // A part file of ours left by an earlier, different offer of this path is stale: start afresh.
      this.#removePartFiles(partPath);
      handle = await openExclusive(partPath);
      if (handle === null) throw new SealdropError('E_EXISTS', `${this.#shown(partPath)} appeared while preparing the transfer`);
    }
    await checkedOpenedIn(handle, directory, true);
    const identity = identityOf(fstatSync(handle.fd));
    const record: PartRecord = { path: entry.path, size: entry.size, mtime: entry.mtime, ...identity };
    try {
      // A record without its part file (deleted by hand) is stale too; this transfer holds the
      // path. It is removed and the new one created exclusively, never emptied by name.
      unlinkIfPresent(partRecordPath(partPath));
      createFileNoFollow(partRecordPath(partPath), directory, JSON.stringify(record));
    } catch (error) {
      // No record could be made (its name taken again meanwhile, say): leave no part file nobody tracks.
      await handle.close();
      unlinkSync(partPath);
      throw error;
    }
    return { entry, partPath, finalPath, handle, ...identity };
  }

  #removePartFiles(partPath: string): void {
    for (const file of [partPath, partRecordPath(partPath)]) {
      if (lstatOrNull(file) !== null) unlinkSync(file);
    }
  }

  /** Creates `directory` unless it exists, checks it is one (not a link), and says which it is. */
  #ensureDirectory(directory: string, entryPath: string): FileIdentity {
    // For the second file on, a directory this transfer has seen needs no mkdir, only the check.
    if (!this.#knownDirectories.has(directory)) {
      try {
        mkdirSync(directory, { mode: 0o755 });
        this.#createdDirectories.push(directory);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      }
    }
    const stats = lstatSync(directory);
    if (!stats.isDirectory()) {
      throw new SealdropError('E_BAD_PATH', `${forDisplay(entryPath)}: ${this.#shown(directory)} is not a directory (or is a link)`);
    }
    this.#knownDirectories.add(directory);
    return identityOf(stats);
  }

  /**
   * Gives a verified, closed part file its final name, mode and mtime (durable once
   * `syncCommitted` has run); unless the file under the part's name is no longer the one this
   * transfer wrote (E_INTERNAL, nothing lands).
   */
  async commit(part: PartFile): Promise<void> {
    const expected = { device: part.device, inode: part.inode, size: part.entry.size };
    if (!setModeAndMtimeIfSame(part.partPath, expected, receivedMode(part.entry.mode), part.entry.mtime)) {
      throw new SealdropError('E_INTERNAL', `${this.#shown(part.partPath)} was replaced or removed during the transfer; the file was not kept`);
    }
    if (!moveUnlessTaken(part.partPath, part.finalPath)) {
      if (!this.overwrite) throw new SealdropError('E_EXISTS', `${this.#shown(part.finalPath)} appeared during the transfer; it was left alone`);
      this.#replace(part);
    }
    unlinkSync(partRecordPath(part.partPath));
    this.#unsyncedDirectories.add(path.dirname(part.finalPath));
  }

  /**
   * With --overwrite: gives `part` the final name of a regular file that has it, by an atomic
   * rename, after keeping that file under a working name (keepUnderSecondName), so that `unland`
   * can put it back if a later commit fails. Anything but a regular file (a directory, a link, a
   * FIFO, or a file that vanished) is left alone, as #checkTarget decided before ACCEPT.
   */
  #replace(part: PartFile): void {
    const existing = lstatOrNull(part.finalPath);
    if (existing === null || !existing.isFile()) {
      throw new SealdropError('E_EXISTS', `${this.#shown(part.finalPath)} is no longer a regular file; it was left alone`);
    }
    const keptPath = this.#keptPath(part.entry.path, part.finalPath);
    if (!keepUnderSecondName(part.finalPath, keptPath)) throw this.#keptNameTaken(part.entry.path, part.finalPath);
    this.#replaced.set(part.finalPath, { keptPath, part });
    renameSync(part.partPath, part.finalPath);
  }

  /** Where #replace keeps the file at `finalPath`, the target of `entryPath`. */
  #keptPath(entryPath: string, finalPath: string): string {
    return path.join(path.dirname(finalPath), replacedFileName(entryPath));
  }

  #keptNameTaken(entryPath: string, finalPath: string): SealdropError {
    const kept = this.#shown(this.#keptPath(entryPath, finalPath));
    return new SealdropError('E_EXISTS', `${kept} exists: it may hold an earlier version of ${this.#shown(finalPath)}, kept by a sealdrop that stopped while replacing it; move it away, then receive again`);
  }

  /**
   * Makes the names given by `commit` durable: one fsync per directory, however many files it
   * received (POSIX: a link or rename is a write to its directory). Before the RECEIPT.
   */
  async syncCommitted(): Promise<void> {
    for (const directory of this.#unsyncedDirectories) await syncDirectory(directory);
    this.#unsyncedDirectories.clear();
  }

  /**
   * Takes back the final names `commit` gave, after a later commit failed (section 6: an
   * incomplete transfer keeps no file under its final name, and nothing the person had may be
   * lost): a file it replaced gets its name back, atomically; a name it created is removed. Only
   * while the name still leads to the very file this transfer wrote, or to nothing: someone may
   * have put a file of their own there since (a replaced file then stays under its working name).
   */
  unland(parts: readonly PartFile[]): void {
    // By device and size where inode numbers do not last (FAT: see isSameFile).
    const isOurs = (part: PartFile) => isStillSameFile(part.finalPath, { device: part.device, inode: part.inode, size: part.entry.size });
    for (const part of parts) {
      if (this.#replaced.has(part.finalPath)) continue;
      attempt(() => {
        if (isOurs(part)) unlinkSync(part.finalPath);
      });
    }
    for (const [finalPath, { keptPath, part }] of this.#replaced) {
      attempt(() => {
        const now = lstatOrNull(finalPath);
        const kept = lstatOrNull(keptPath);
        if (now === null || isOurs(part)) renameSync(keptPath, finalPath);
        // Its rename never came: the original still has its name (a link to the kept one).
        else if (kept !== null && now.dev === kept.dev && now.ino === kept.ino) unlinkSync(keptPath);
      });
    }
    this.#replaced.clear();
  }

  /** Removes part files and, if now empty, the directories this transfer created. */
  async discard(parts: readonly PartFile[]): Promise<void> {
    for (const part of parts) {
      await part.handle.close().catch(() => undefined);
      attempt(() => this.#removePartFiles(part.partPath));
    }
    // rmdir fails on a directory that is not empty: one holding anything but this transfer's files stays.
    // Forgotten once tried: a later transfer of the same receive must not remove a same-named
    // directory someone made since, nor skip creating one that is gone.
    for (const directory of this.#createdDirectories.splice(0).reverse()) attempt(() => rmdirSync(directory));
    this.#knownDirectories.clear();
    this.#forgetOffer(true);
  }

  /** Closes part files but keeps them (and their records) for a later resume. */
  async keep(parts: readonly PartFile[]): Promise<void> {
    for (const part of parts) await part.handle.close().catch(() => undefined);
    this.#forgetOffer(false);
  }
}

/** A part file's record as written by createPart; null if missing or unreadable (then not ours to resume). */
function parseRecord(text: string | null): unknown {
  try {
    return text === null ? null : JSON.parse(text);
  } catch {
    return null;
  }
}

/** Removes the name `file` (never what a link there points to); nothing there is fine. */
function unlinkIfPresent(file: string): void {
  try {
    unlinkSync(file);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
}

/** Cleaning up after a failure: what cannot be removed stays, and the failure reported is the first. */
function attempt(cleanUp: () => void): void {
  try {
    cleanUp();
  } catch {
    // Left in place.
  }
}

/**
 * Section 5: the sender's permission bits less those this process's umask removes, as `cp` does:
 * a receiver running with umask 077 gets no file others can read, whatever the sender's mode.
 * (Reading the umask without setting it is deprecated only because setting it races with threads.)
 */
function receivedMode(offeredMode: number): number {
  return offeredMode & 0o777 & ~process.umask();
}

const identityOf = (stats: Stats): FileIdentity => ({ device: stats.dev, inode: stats.ino });

/** `handle`, if it was opened in `directory` (see assertOpenedIn); else closed, and E_BAD_PATH. */
async function checkedOpenedIn(handle: FileHandle, directory: FileIdentity, createdHere: boolean): Promise<FileHandle> {
  try {
    assertOpenedIn(handle.fd, directory, createdHere);
    return handle;
  } catch (error) {
    await handle.close();
    throw error;
  }
}

/** Creates a file that must not exist yet; null if something has its name. */
async function openExclusive(file: string): Promise<FileHandle | null> {
  return open(file, CREATE_EXCLUSIVE, 0o600).catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'EEXIST') return null;
    throw error;
  });
}

/**
 * fsync on a directory makes the new name itself durable (POSIX: rename/link are directory
 * writes). O_DIRECTORY: a FIFO put in the directory's place fails the open instead of holding it.
 */
async function syncDirectory(directory: string): Promise<void> {
  const handle = await open(directory, constants.O_RDONLY | constants.O_DIRECTORY);
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}
