/**
 * File-system calls as the receiver uses them in a directory others may write to: never through
 * a symbolic link (O_NOFOLLOW, lstat) and never replacing what is there (O_EXCL, link); and on
 * file systems that lack hard links or mode bits, such as the FAT and exFAT of USB sticks.
 *
 * Calls on names and metadata are synchronous: these, those in destination.ts and
 * entry-lock.ts, and on the sending side local-files.ts and the check after each file. Each
 * asynchronous call costs a round trip through libuv's thread pool: about 40 µs of CPU on the
 * development VM, against 4 µs for the system call itself. A receiver makes about twenty of them
 * per file, and for a directory of small files they were most of its time. Calls that can wait
 * on the disk (reading and writing file data, fsync, statfs) stay asynchronous.
 */
import { chmodSync, closeSync, constants, linkSync, lstatSync, openSync, readFileSync, renameSync, unlinkSync, writeSync, type Stats } from 'node:fs';

export const CREATE_EXCLUSIVE = constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW;
export const CREATE_OR_TRUNCATE = constants.O_WRONLY | constants.O_CREAT | constants.O_TRUNC | constants.O_NOFOLLOW;
export const APPEND_EXISTING = constants.O_WRONLY | constants.O_APPEND | constants.O_NOFOLLOW;
export const READ_EXISTING = constants.O_RDONLY | constants.O_NOFOLLOW;

/** lstat, or null if nothing is there. */
export const lstatOrNull = (target: string): Stats | null => lstatSync(target, { throwIfNoEntry: false }) ?? null;

/**
 * What link() and chmod() fail with where the file system cannot do what they ask: no hard links
 * (FAT, exFAT, SMB shares), or no mode bits beyond what the mount gives every file (FAT and exFAT
 * mounted by the kernel refuse such a chmod unless mounted with `quiet`).
 */
const NOT_SUPPORTED_HERE = new Set(['EPERM', 'ENOTSUP', 'EOPNOTSUPP']);

/**
 * Gives the file at `from` the name `to`, unless something has that name: false then, and `from`
 * stays. A hard link refuses to replace anything, and the old name is removed after it. Where the
 * file system has no hard links, a check and a rename do the same, except that a file appearing
 * between the two calls would be replaced.
 */
export function moveUnlessTaken(from: string, to: string): boolean {
  try {
    linkSync(from, to);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? '';
    if (code === 'EEXIST') return false;
    if (!NOT_SUPPORTED_HERE.has(code)) throw error;
    if (lstatOrNull(to) !== null) return false;
    renameSync(from, to);
    return true;
  }
  unlinkSync(from);
  return true;
}

/**
 * chmod() of a file of the receiver's own, where the file system can hold the mode; where it
 * cannot, the file keeps the mode the file system gives every file.
 */
export function chmodWhereSupported(file: string, mode: number): void {
  try {
    chmodSync(file, mode);
  } catch (error) {
    if (!NOT_SUPPORTED_HERE.has((error as NodeJS.ErrnoException).code ?? '')) throw error;
  }
}

/** Writes `text` to `file`, created (0600) or emptied first; never through a link. */
export function writeFileNoFollow(file: string, text: string): void {
  const fd = openSync(file, CREATE_OR_TRUNCATE, 0o600);
  try {
    writeSync(fd, text);
  } finally {
    closeSync(fd);
  }
}

/** The text of `file`, or null if it cannot be read; never through a link. */
export function readFileOrNull(file: string): string | null {
  let fd: number;
  try {
    fd = openSync(file, READ_EXISTING);
  } catch {
    return null;
  }
  try {
    return readFileSync(fd, 'utf8');
  } catch {
    return null;
  } finally {
    closeSync(fd);
  }
}
