/**
 * Section 6 step 2 below the CLI: the top-level entries of an offer (pure), and what the
 * destination admits without the person's leave, including the record that lets a resumed
 * transfer count the directories its own earlier attempt created.
 */
import { chmodSync, chownSync, linkSync, mkdirSync, readdirSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import tmp from 'tmp';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { needingLeave, topLevelEntries } from '../../src/protocol/top-level.js';
import { Destination } from '../../src/files/destination.js';
import { offerDigest, offerRecordName } from '../../src/files/offer-record.js';

let dir: tmp.DirResult;
let root: string;
beforeEach(() => {
  dir = tmp.dirSync({ unsafeCleanup: true });
  root = dir.name;
});
afterEach(() => dir.removeCallback());

const entry = (p: string, size = 3) => ({ path: p, size, mode: 0o644, mtime: 1_700_000_000_000 });
const isRoot = process.getuid?.() === 0;

describe('topLevelEntries', () => {
  it('groups paths by their first segment, in order of first appearance, counting files and bytes', () => {
    const files = [entry('holiday/a.jpg', 10), entry('.bashrc', 5), entry('holiday/sub/b.jpg', 20), entry('.ssh/authorized_keys', 7)];
    expect(topLevelEntries(files)).toEqual([
      { name: 'holiday', isDirectory: true, fileCount: 2, totalBytes: 30 },
      { name: '.bashrc', isDirectory: false, fileCount: 1, totalBytes: 5 },
      { name: '.ssh', isDirectory: true, fileCount: 1, totalBytes: 7 },
    ]);
  });
});

describe('Destination: what an offer may do without leave', () => {
  it('describes each top-level entry and whether it exists; admits a new directory and a new file', async () => {
    mkdirSync(path.join(root, 'bin'));
    const destination = await Destination.open(root, false);
    const files = [entry('bin/ls'), entry('.ssh/authorized_keys'), entry('new/x'), entry('y.txt')];
    const facts = destination.describeTopLevel(files);
    expect(facts.map(({ name, exists }) => [name, exists])).toEqual([['bin', true], ['.ssh', false], ['new', false], ['y.txt', false]]);
    expect(needingLeave(facts)).toEqual({ hidden: [facts[1]], existingDirectories: [facts[0]] });
    await expect(destination.admit([entry('new/x'), entry('y.txt')], false)).resolves.toBeUndefined();
  });

  it('refuses a hidden top-level name (E_BAD_PATH) and an existing directory (E_EXISTS) unless merging', async () => {
    mkdirSync(path.join(root, 'bin'));
    const destination = await Destination.open(root, false);
    await expect(destination.admit([entry('.bashrc')], false)).rejects.toMatchObject({ code: 'E_BAD_PATH' });
    await expect(destination.admit([entry('bin/ls')], false)).rejects.toMatchObject({ code: 'E_EXISTS' });
    await expect(destination.admit([entry('bin/ls'), entry('.bashrc')], true)).resolves.toBeUndefined();
    expect(readdirSync(root)).toEqual(['bin']); // a merge records nothing: bin/ is not the offer's own
  });

  it('counts a directory an earlier attempt of the same offer created, by its record, and no other', async () => {
    const files = [entry('photos/a.jpg'), entry('photos/b.jpg')];
    const first = await Destination.open(root, false);
    await first.admit(files, false);
    await first.keep([]); // broke off: the record stays
    expect(readdirSync(root).sort()).toEqual([offerRecordName(offerDigest(files)), 'photos']);

    const again = await Destination.open(root, false);
    expect(again.describeTopLevel(files)[0]).toMatchObject({ exists: true, createdByEarlierAttempt: true });
    await expect(again.admit(files, false)).resolves.toBeUndefined();
    // Another offer (one mtime differs) into the same directory is not the same transfer.
    const other = [entry('photos/a.jpg'), { ...entry('photos/b.jpg'), mtime: 1 }];
    await expect(again.admit(other, false)).rejects.toMatchObject({ code: 'E_EXISTS' });

    // A directory put in its place since is not the one the record names.
    renameSync(path.join(root, 'photos'), path.join(root, 'old-photos'));
    mkdirSync(path.join(root, 'photos'));
    expect(again.describeTopLevel(files)[0]).toMatchObject({ exists: true, createdByEarlierAttempt: false });
  });

  it('removes the record when the transfer is discarded', async () => {
    const files = [entry('photos/a.jpg')];
    const destination = await Destination.open(root, false);
    await destination.admit(files, false);
    await destination.discard([]);
    expect(readdirSync(root)).toEqual([]);
  });

  describe('a record counts only if no one else could have written it', () => {
    const files = [entry('photos/a.jpg')];
    async function recordThen(change: (record: string) => void): Promise<boolean> {
      const first = await Destination.open(root, false);
      await first.admit(files, false);
      await first.keep([]);
      change(path.join(root, offerRecordName(offerDigest(files))));
      return (await Destination.open(root, false)).describeTopLevel(files)[0]!.createdByEarlierAttempt;
    }

    it('as written: counts', async () => expect(await recordThen(() => undefined)).toBe(true));
    it('readable by others (0644): does not count', async () => expect(await recordThen((r) => chmodSync(r, 0o644))).toBe(false));
    it('with a second link: does not count', async () => expect(await recordThen((r) => linkSync(r, path.join(root, 'elsewhere')))).toBe(false));
    it('rewritten by hand with another directory: does not count', async () =>
      expect(await recordThen((r) => { writeFileSync(r, '{"offer":"x","directories":[]}'); chmodSync(r, 0o600); })).toBe(false));
    it.runIf(isRoot)('owned by another user (uid 1001; needs root to chown): does not count', async () =>
      expect(await recordThen((r) => chownSync(r, 1001, 1001))).toBe(false));
  });
});
