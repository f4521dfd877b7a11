/**
 * File-system calls as sealdrop uses them where others may write: the receiver in its
 * destination, the sender in the directories it sends. Never through a symbolic link (O_NOFOLLOW,
 * lstat), never waiting on a FIFO put where a file was, and never replacing what is there
 * (O_EXCL, link); and on file systems that lack hard links or mode bits, such as the FAT and
 * exFAT of USB sticks.
 *
 * Calls on names and metadata are synchronous: these, those in destination.ts and
 * entry-lock.ts, and on the sending side local-files.ts and the check after each file. Each
 * asynchronous call costs a round trip through libuv's thread pool, several times the cost of
 * the system call itself. A receiver makes about twenty of them per file, and for a directory of
 * small files they were most of its time. Calls that can wait
 * on the disk (reading and writing file data, fsync, the free-space statfs) stay asynchronous.
 */
import {
  closeSync,
  constants,
  fchmodSync,
  fstatSync,
  futimesSync,
  linkSync,
  lstatSync,
  openSync,
  readFileSync,
  readlinkSync,
  renameSync,
  statfsSync,
  unlinkSync,
  writeSync,
  type Stats,
} from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import path from 'node:path';
import { SealdropError } from '../errors.js';

/**
 * Opening a FIFO waits for its other end, forever if none comes. With O_NONBLOCK, opening one
 * for reading returns at once and for writing fails (ENXIO); for a regular file nothing changes.
 */
const NO_LINK_NO_WAIT = constants.O_NOFOLLOW | constants.O_NONBLOCK;
export const CREATE_EXCLUSIVE = constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | NO_LINK_NO_WAIT;
/** A kept part file (destination.ts): its prefix is read to hash it, then the rest appended. */
export const READ_AND_APPEND_EXISTING = constants.O_RDWR | constants.O_APPEND | NO_LINK_NO_WAIT;
export const READ_EXISTING = constants.O_RDONLY | NO_LINK_NO_WAIT;

/** Which file or directory something is: its device and inode, as stat gives them. */
export interface FileIdentity {
  readonly device: number;
  readonly inode: number;
}

/**
 * File systems whose inode numbers last only while the kernel caches the inode: the FAT and exFAT
 * drivers number an inode as they load it, and a FUSE daemon may number one anew once the kernel
 * has forgotten it (on exfat-fuse, a file's st_ino went from 275 to 277 across a drop_caches).
 * statfs types: MSDOS_SUPER_MAGIC (vfat too), EXFAT_SUPER_MAGIC, FUSE_SUPER_MAGIC.
 */
const RENUMBERING_FILE_SYSTEMS = new Set([0x4d44, 0x2011bab0, 0x65735546]);
/**
 * Per device, whether its file system renumbers inodes: asked once (synchronously, as calls on
 * metadata are), since it cannot change while mounted.
 */
const renumberingByDevice = new Map<number, boolean>();

/** Whether the file system of the file open as `fd` (by the name `file`), on `device`, renumbers inodes. */
function renumbersInodes(fd: number, device: number, file: string): boolean {
  let renumbers = renumberingByDevice.get(device);
  if (renumbers === undefined) {
    let type: number;
    try {
      type = Number(statfsSync(`/proc/self/fd/${fd}`).type); // the open file itself, not what its name leads to now
    } catch {
      type = Number(statfsSync(file).type);
    }
    renumbers = RENUMBERING_FILE_SYSTEMS.has(type);
    renumberingByDevice.set(device, renumbers);
  }
  return renumbers;
}

/**
 * Whether `stats`, an fstat of `fd` opened by the name `file`, are of the regular file `expected`
 * names. Where inode numbers do not last (see RENUMBERING_FILE_SYSTEMS), the same device and the
 * expected size have to do: a large transfer from or to a USB stick would otherwise find its
 * files "replaced" once the page cache had pushed their inodes out.
 */
export function isSameFile(fd: number, file: string, stats: Stats, expected: FileIdentity & { readonly size: number }): boolean {
  if (!stats.isFile() || stats.dev !== expected.device) return false;
  return stats.ino === expected.inode || (stats.size === expected.size && renumbersInodes(fd, stats.dev, file));
}

/** lstat, or null if nothing is there. */
export const lstatOrNull = (target: string): Stats | null => lstatSync(target, { throwIfNoEntry: false }) ?? null;

/**
 * What link() and chmod() fail with where the file system cannot do what they ask: no hard links
 * (FAT, exFAT, SMB shares), or no mode bits beyond what the mount gives every file (FAT and exFAT
 * mounted by the kernel refuse such a chmod unless mounted with `quiet`).
 */
const NOT_SUPPORTED_HERE = new Set(['EPERM', 'ENOTSUP', 'EOPNOTSUPP']);

/**
 * Gives the file at `from` the second name `to`, unless something has that name ('taken'). A hard
 * link refuses to replace anything, and `from` keeps its name ('linked'). Where the file system
 * has no hard links, a check and a rename do the same ('moved': `from` has gone), except that a
 * file appearing between the two calls would be replaced.
 */
function linkOrMove(from: string, to: string): 'linked' | 'moved' | 'taken' {
  try {
    linkSync(from, to);
    return 'linked';
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? '';
    if (code === 'EEXIST') return 'taken';
    if (!NOT_SUPPORTED_HERE.has(code)) throw error;
    if (lstatOrNull(to) !== null) return 'taken';
    renameSync(from, to);
    return 'moved';
  }
}

/** Gives the file at `from` the name `to`, unless something has that name: false then, and `from` stays (see linkOrMove). */
export function moveUnlessTaken(from: string, to: string): boolean {
  const how = linkOrMove(from, to);
  if (how === 'linked') unlinkSync(from);
  return how !== 'taken';
}

/**
 * Gives the file at `file` the second name `keptName`, so that it outlives a rename of another
 * file over `file`; false if something has the name `keptName`. A hard link: `file` keeps its
 * name meanwhile, so it never disappears. Where the file system has no hard links (FAT, exFAT,
 * SMB shares, or Linux's protected_hardlinks refusing a file of another user), the file is moved
 * to `keptName` after a check: `file` then has no name until the caller's rename gives it one. A
 * copy would keep the name but cost the file's size in time and space, on the USB sticks where
 * space is short; a move never rewrites the file's bytes, and a crash between the two renames
 * leaves it whole under `keptName`.
 */
export function keepUnderSecondName(file: string, keptName: string): boolean {
  return linkOrMove(file, keptName) !== 'taken';
}

/**
 * fchmod() of a file of the receiver's own, open as `fd`, where the file system can hold the mode;
 * where it cannot, the file keeps the mode the file system gives every file.
 */
function chmodWhereSupported(fd: number, mode: number): void {
  try {
    fchmodSync(fd, mode);
  } catch (error) {
    if (!NOT_SUPPORTED_HERE.has((error as NodeJS.ErrnoException).code ?? '')) throw error;
  }
}

/**
 * `file` opened for reading (or as `flags` say), with its fstat, if it is a regular file; null if
 * nothing is there, if it is a link, or anything but a regular file. The caller closes the handle.
 */
export async function openRegularFile(file: string, flags = READ_EXISTING): Promise<{ handle: FileHandle; stats: Stats } | null> {
  let handle: FileHandle;
  try {
    handle = await open(file, flags);
  } catch (error) {
    if (['ENOENT', 'ELOOP', 'ENOTDIR'].includes((error as NodeJS.ErrnoException).code ?? '')) return null;
    throw error;
  }
  const stats = fstatSync(handle.fd);
  if (stats.isFile()) return { handle, stats };
  await handle.close();
  return null;
}

/** `file` opened for reading (READ_EXISTING), or null if it cannot be. The caller closes it. */
function openExistingOrNull(file: string): number | null {
  try {
    return openSync(file, READ_EXISTING);
  } catch {
    return null;
  }
}

/** Whether `file` is still the regular file `expected` names (see isSameFile); never through a link. */
export function isStillSameFile(file: string, expected: FileIdentity & { readonly size: number }): boolean {
  const fd = openExistingOrNull(file);
  if (fd === null) return false;
  try {
    return isSameFile(fd, file, fstatSync(fd), expected);
  } finally {
    closeSync(fd);
  }
}

/**
 * Gives `file` the mode (where the file system can hold it) and the mtime, if it is still the
 * regular file that `expected` names (see isSameFile); false if not. Checked and changed through a
 * descriptor, never by name: between a check by name and a chmod or utimes by name, whoever can
 * write in the directory could swap the name for a link, and both follow links (the sender's mode
 * would land on a file of ours elsewhere, a private key say).
 */
export function setModeAndMtimeIfSame(file: string, expected: FileIdentity & { readonly size: number }, mode: number, mtimeMs: number): boolean {
  const fd = openExistingOrNull(file);
  if (fd === null) return false;
  try {
    if (!isSameFile(fd, file, fstatSync(fd), expected)) return false;
    chmodWhereSupported(fd, mode);
    // utimes takes float seconds; aim half a millisecond in, so the float's rounding error cannot
    // pull the stored time below the millisecond (1700000000.123 would read back as .122).
    const mtimeSeconds = (mtimeMs + 0.5) / 1000;
    futimesSync(fd, mtimeSeconds, mtimeSeconds);
    return true;
  } finally {
    closeSync(fd);
  }
}

/**
 * Where the file open as `fd` really is, or null where the system cannot tell. Node has no
 * openat(), so files are opened by name, and a directory on the way could have been swapped for
 * a link between its check and the open: the file would then be opened, or created, wherever the
 * link points. Linux tells (/proc/self/fd); elsewhere this is null.
 */
function whereOpened(fd: number): string | null {
  try {
    return readlinkSync(`/proc/self/fd/${fd}`);
  } catch {
    return null;
  }
}

/**
 * Whether the file open as `fd` lies in `directory` (see whereOpened); true where the system
 * cannot tell. Identities are compared, not names: a case-insensitive file system (FAT, say) may
 * name a directory in the case the kernel first saw, not the case it was given here. Where inode
 * numbers do not last, the same device has to do (FAT and exFAT cannot even hold a link).
 */
export function isOpenedIn(fd: number, directory: FileIdentity): boolean {
  const actual = whereOpened(fd);
  if (actual === null) return true;
  const parent = lstatOrNull(path.dirname(actual));
  if (parent === null || parent.dev !== directory.device) return false;
  return parent.ino === directory.inode || renumbersInodes(fd, parent.dev, actual);
}

/**
 * Throws E_BAD_PATH unless the file open as `fd` lies in `directory` (see isOpenedIn), first
 * removing it if the caller created it.
 */
export function assertOpenedIn(fd: number, directory: FileIdentity, createdHere: boolean): void {
  if (isOpenedIn(fd, directory)) return;
  const actual = whereOpened(fd);
  if (createdHere && actual !== null) {
    try {
      unlinkSync(actual);
    } catch {
      // Gone already, or its directory swapped again: nothing of ours to remove there now.
    }
  }
  // No path in the message: it also reaches the peer, which has no business learning this machine's layout.
  throw new SealdropError('E_BAD_PATH', 'a directory on the way to a file being received was swapped for a symbolic link; sealdrop never follows links');
}

/**
 * Creates `file` in `directory` (0600) holding `text`; EEXIST if anything has its name. Never
 * through a link (see assertOpenedIn), and never into an existing file: emptying one by name
 * would empty whatever file of ours someone had hard-linked to that name.
 */
export function createFileNoFollow(file: string, directory: FileIdentity, text: string): void {
  const fd = openSync(file, CREATE_EXCLUSIVE, 0o600);
  try {
    assertOpenedIn(fd, directory, true);
    writeSync(fd, text);
  } finally {
    closeSync(fd);
  }
}

/**
 * Whether `stats` are of a file that nobody but this user can have written or read: a regular
 * file owned by the effective user, with one link (no other name leads to it) and mode 0600.
 * A file system that cannot hold owners or modes (FAT, exFAT) shows every file with those of its
 * mount options: usually none is private then, but where they say this user and 0600, all are,
 * whoever wrote them.
 */
export function isPrivateFile(stats: Stats): boolean {
  return stats.isFile() && stats.uid === process.geteuid?.() && stats.nlink === 1 && (stats.mode & 0o777) === 0o600;
}

/** The text of `file`, or null if it is not a regular file that can be read; never through a link. */
export function readFileOrNull(file: string): string | null {
  return readCheckedFileOrNull(file, (stats) => stats.isFile());
}

/** The text of `file`, or null unless it is private to this user (isPrivateFile); never through a link. */
export function readPrivateFileOrNull(file: string): string | null {
  return readCheckedFileOrNull(file, isPrivateFile);
}

/** The text of `file`, or null if it cannot be read or its fstat fails `check`; never through a link. */
function readCheckedFileOrNull(file: string, check: (stats: Stats) => boolean): string | null {
  const fd = openExistingOrNull(file);
  if (fd === null) return null;
  try {
    return check(fstatSync(fd)) ? readFileSync(fd, 'utf8') : null;
  } catch {
    return null;
  } finally {
    closeSync(fd);
  }
}
