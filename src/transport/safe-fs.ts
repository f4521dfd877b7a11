/**
 * File-system calls as the receiver uses them in a directory others may write to: never through
 * a symbolic link (O_NOFOLLOW, lstat) and never replacing what is there (O_EXCL, link); and on
 * file systems that lack hard links or mode bits, such as the FAT and exFAT of USB sticks.
 */
import { constants, type Stats } from 'node:fs';
import { chmod, link, lstat, rename, unlink } from 'node:fs/promises';

export const CREATE_EXCLUSIVE = constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW;
export const CREATE_OR_TRUNCATE = constants.O_WRONLY | constants.O_CREAT | constants.O_TRUNC | constants.O_NOFOLLOW;
export const APPEND_EXISTING = constants.O_WRONLY | constants.O_APPEND | constants.O_NOFOLLOW;
export const READ_EXISTING = constants.O_RDONLY | constants.O_NOFOLLOW;

/** lstat, or null if nothing is there. */
export const lstatOrNull = (target: string): Promise<Stats | null> =>
  lstat(target).catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') return null;
    throw error;
  });

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
export async function moveUnlessTaken(from: string, to: string): Promise<boolean> {
  try {
    await link(from, to);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? '';
    if (code === 'EEXIST') return false;
    if (!NOT_SUPPORTED_HERE.has(code)) throw error;
    if ((await lstatOrNull(to)) !== null) return false;
    await rename(from, to);
    return true;
  }
  await unlink(from);
  return true;
}

/**
 * chmod() of a file of the receiver's own, where the file system can hold the mode; where it
 * cannot, the file keeps the mode the file system gives every file.
 */
export async function chmodWhereSupported(file: string, mode: number): Promise<void> {
  await chmod(file, mode).catch((error: NodeJS.ErrnoException) => {
    if (!NOT_SUPPORTED_HERE.has(error.code ?? '')) throw error;
  });
}
