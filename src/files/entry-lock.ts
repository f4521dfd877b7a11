/**
 * One receiver per entry path in a destination at a time. A transfer holds, for each path it
 * receives, a lock file in the destination's root that contains its process id. Another receiver
 * is refused (E_EXISTS) while that process runs, and takes over the lock of one that has died
 * (a crash or SIGKILL leaves it behind).
 */
import { createHash } from 'node:crypto';
import { closeSync, openSync, unlinkSync, writeSync } from 'node:fs';
import path from 'node:path';
import { SealdropError } from '../errors.js';
import { forDisplay } from '../protocol/display.js';
import { CREATE_EXCLUSIVE, readFileOrNull } from './safe-fs.js';

/**
 * The locks this process holds. A process that exits holding any (process.exit on a second
 * Ctrl-C, or once the cleanups of the first took too long) removes them as it goes: left behind,
 * each would name a process that has ended, which the next receiver takes over, unless the
 * system has meanwhile given that process id to another process, and the lock then looks held.
 */
const heldLocks = new Set<string>();
let releasesOnExit = false;

/** Short and fixed per entry path: the receiver's part and lock files are named after it. */
export const entryTag = (entryPath: string) => createHash('sha256').update(entryPath).digest('hex').slice(0, 16);

/** The name, in the destination's root, of the lock a transfer holds on an entry path. */
export function lockFileName(entryPath: string): string {
  return `.sealdrop-${entryTag(entryPath)}.lock`;
}

/**
 * Takes the lock on `entryPath` in `root` and returns its path, for `unlockEntry`.
 *
 * The lock is created exclusively (O_EXCL, which FAT and exFAT support too, unlike hard links),
 * then given the process id. A lock whose process has ended is removed and taken over. One that
 * names no process is left alone: it may be one being written this instant. (Two receivers that
 * find the same dead lock at the same instant could both take it: that needs a crash and then a
 * tie, and the destination would still refuse to land a part file one of them replaced.)
 */
export function lockEntry(root: string, entryPath: string): string {
  const lockPath = path.join(root, lockFileName(entryPath));
  if (createLock(lockPath)) return held(lockPath);
  const busy = new SealdropError('E_EXISTS', `${forDisplay(entryPath)} is being received into this directory by another sealdrop (if not, remove ${lockFileName(entryPath)})`);
  if (!lockHolderEnded(lockPath)) throw busy;
  unlinkQuietly(lockPath); // left by a receiver that died
  if (createLock(lockPath)) return held(lockPath);
  throw busy; // another receiver was quicker
}

export function unlockEntry(lockPath: string): void {
  heldLocks.delete(lockPath);
  unlinkQuietly(lockPath);
}

function held(lockPath: string): string {
  heldLocks.add(lockPath);
  if (!releasesOnExit) {
    releasesOnExit = true;
    process.on('exit', () => heldLocks.forEach(unlinkQuietly));
  }
  return lockPath;
}

function unlinkQuietly(file: string): void {
  try {
    unlinkSync(file);
  } catch {
    // Gone already, or not ours to remove: either way not this lock's business.
  }
}

/** Creates the lock file with this process's id in it; false if it exists. */
function createLock(lockPath: string): boolean {
  let fd: number;
  try {
    fd = openSync(lockPath, CREATE_EXCLUSIVE, 0o600);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw error;
  }
  try {
    writeSync(fd, `${process.pid}\n`);
  } catch (error) {
    closeSync(fd);
    unlinkQuietly(lockPath);
    throw error;
  }
  closeSync(fd);
  return true;
}

/** True only for a lock naming a process that no longer exists (EPERM: it runs, as another user). */
function lockHolderEnded(lockPath: string): boolean {
  const pid = Number.parseInt(readFileOrNull(lockPath) ?? '', 10);
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return false;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'ESRCH';
  }
}
