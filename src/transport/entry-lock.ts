/**
 * One receiver per entry path in a destination at a time. A transfer holds, for each path it
 * receives, a lock file in the destination's root that contains its process id. Another receiver
 * is refused (E_EXISTS) while that process runs, and takes over the lock of one that has died
 * (a crash or SIGKILL leaves it behind).
 */
import { createHash, randomBytes } from 'node:crypto';
import { readFile, unlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { SealdropError } from '../errors.js';
import { forDisplay } from '../protocol/display.js';
import { CREATE_EXCLUSIVE, linkUnlessTaken, READ_EXISTING } from './safe-fs.js';

/** Short and fixed per entry path: the receiver's part and lock files are named after it. */
export const entryTag = (entryPath: string) => createHash('sha256').update(entryPath).digest('hex').slice(0, 16);

/** The name, in the destination's root, of the lock a transfer holds on an entry path. */
export function lockFileName(entryPath: string): string {
  return `.sealdrop-${entryTag(entryPath)}.lock`;
}

/**
 * Takes the lock on `entryPath` in `root` and returns its path, for `unlockEntry`.
 *
 * The lock file appears whole or not at all: written under a unique name, then linked to its
 * own, which fails if that exists. A lock whose process is gone is removed and taken over. (Two
 * receivers that find the same dead lock at the same instant could both take it: that needs a
 * crash and then a tie, and the destination would still refuse to land a part file one of them
 * replaced.)
 */
export async function lockEntry(root: string, entryPath: string): Promise<string> {
  const lockPath = path.join(root, lockFileName(entryPath));
  const draft = `${lockPath}.${randomBytes(6).toString('hex')}`;
  const busy = () => new SealdropError('E_EXISTS', `${forDisplay(entryPath)} is being received into this directory by another sealdrop (its lock: ${lockFileName(entryPath)})`);
  await writeFile(draft, `${process.pid}\n`, { flag: CREATE_EXCLUSIVE, mode: 0o600 });
  try {
    if (!(await linkUnlessTaken(draft, lockPath))) {
      if (await lockHolderRuns(lockPath)) throw busy();
      await unlink(lockPath).catch(() => undefined); // left by a receiver that died
      if (!(await linkUnlessTaken(draft, lockPath))) throw busy(); // another receiver was quicker
    }
    return lockPath;
  } finally {
    await unlink(draft);
  }
}

export async function unlockEntry(lockPath: string): Promise<void> {
  await unlink(lockPath).catch(() => undefined);
}

/** Whether the process a lock file names still runs (EPERM: it does, under another user). */
async function lockHolderRuns(lockPath: string): Promise<boolean> {
  const pid = Number.parseInt(await readFile(lockPath, { encoding: 'utf8', flag: READ_EXISTING }).catch(() => ''), 10);
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
