/**
 * File-system calls as the receiver uses them in a directory others may write to: never through
 * a symbolic link (O_NOFOLLOW, lstat) and never replacing what is there (O_EXCL, link).
 */
import { constants, type Stats } from 'node:fs';
import { link, lstat } from 'node:fs/promises';

export const CREATE_EXCLUSIVE = constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW;
export const APPEND_EXISTING = constants.O_WRONLY | constants.O_APPEND | constants.O_NOFOLLOW;
export const READ_EXISTING = constants.O_RDONLY | constants.O_NOFOLLOW;

/** lstat, or null if nothing is there. */
export const lstatOrNull = (target: string): Promise<Stats | null> =>
  lstat(target).catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') return null;
    throw error;
  });

/** link(), which refuses to replace anything: false if `newPath` exists. */
export const linkUnlessTaken = (existingPath: string, newPath: string): Promise<boolean> =>
  link(existingPath, newPath).then(
    () => true,
    (error: NodeJS.ErrnoException) => {
      if (error.code !== 'EEXIST') throw error;
      return false;
    },
  );
