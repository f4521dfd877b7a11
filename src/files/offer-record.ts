/**
 * Which top-level directories an accepted offer created (PROTOCOL.md section 6, step 2:
 * "Directories an earlier, broken-off transfer of the same offer created count as its own").
 * Without it, a transfer that broke off after creating `holiday/` would find `holiday/` "already
 * there" when the same send is run again, and need the person's leave to write into its own
 * directory.
 *
 * The record is a working file in the destination's root, named after the offer (a SHA-256 over
 * its list of path, size and mtime, the facts a resume compares too), naming each directory by
 * device and inode, so that a directory someone put in its place since does not count. It decides
 * where files may go without asking, so it counts only if no one else could have written it
 * (safe-fs.ts isPrivateFile, as for a part file and its record). It is created exclusively and
 * never rewritten in place, and goes when the transfer completes or is discarded.
 */
import { createHash } from 'node:crypto';
import { unlinkSync } from 'node:fs';
import path from 'node:path';
import type { FileEntry } from '../protocol/messages.js';
import { WORKING_NAME_PREFIX } from '../protocol/paths.js';
import { createFileNoFollow, readPrivateFileOrNull, type FileIdentity } from './safe-fs.js';

export interface RecordedDirectory extends FileIdentity {
  /** The top-level name, as the offer has it. */
  readonly name: string;
}

/** The offer's identity: SHA-256 over its entries' (path, size, mtime), in offer order, as hex. */
export function offerDigest(entries: readonly FileEntry[]): string {
  const hash = createHash('sha256');
  // One JSON array per line: unambiguous, whatever a path holds.
  for (const entry of entries) hash.update(`${JSON.stringify([entry.path, entry.size, entry.mtime])}\n`);
  return hash.digest('hex');
}

/** The record's name in the destination's root: a working name (section 5 keeps offers off it). */
export const offerRecordName = (digest: string) => `${WORKING_NAME_PREFIX}${digest.slice(0, 16)}.dirs`;

/** The directories the record of this offer names; none if there is no record or it does not count. */
export function readOfferRecord(root: string, digest: string): RecordedDirectory[] {
  const text = readPrivateFileOrNull(path.join(root, offerRecordName(digest)));
  if (text === null) return [];
  try {
    const record = JSON.parse(text) as { offer?: unknown; directories?: unknown };
    if (record.offer !== digest || !Array.isArray(record.directories)) return [];
    return record.directories.filter(isRecordedDirectory);
  } catch {
    return [];
  }
}

/** Replaces the record of this offer with one naming `directories`, in the root `rootIdentity` names. */
export function writeOfferRecord(root: string, rootIdentity: FileIdentity, digest: string, directories: readonly RecordedDirectory[]): void {
  removeOfferRecord(root, digest);
  createFileNoFollow(path.join(root, offerRecordName(digest)), rootIdentity, JSON.stringify({ offer: digest, directories }));
}

export function removeOfferRecord(root: string, digest: string): void {
  try {
    unlinkSync(path.join(root, offerRecordName(digest)));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
}

function isRecordedDirectory(value: unknown): value is RecordedDirectory {
  const v = value as Partial<RecordedDirectory> | null;
  return typeof v?.name === 'string' && Number.isSafeInteger(v.device) && Number.isSafeInteger(v.inode);
}
