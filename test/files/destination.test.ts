import { spawnSync } from 'node:child_process';
import { chmodSync, chownSync, existsSync, linkSync, lstatSync, mkdirSync, readdirSync, readFileSync, renameSync, statfsSync, statSync, symlinkSync, unlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import tmp from 'tmp';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Destination, partFileName, replacedFileName } from '../../src/files/destination.js';
import { lockFileName } from '../../src/files/entry-lock.js';
import { startLinkSwapper } from '../support/link-swapper.js';
import { overwriteAndComplete, overwriteThenFail } from '../support/overwrite.js';

let dir: tmp.DirResult;
let root: string;
beforeEach(() => {
  dir = tmp.dirSync({ unsafeCleanup: true });
  root = dir.name;
});
afterEach(() => dir.removeCallback());

const entry = (p: string, size = 3) => ({ path: p, size, mode: 0o640, mtime: 1_700_000_000_123 });

async function land(destination: Destination, p: string, content: string) {
  const part = await destination.createPart(entry(p, content.length));
  await part.handle.write(content);
  await part.handle.close();
  await destination.commit(part);
  await destination.syncCommitted();
  return part;
}

describe('Destination.checkOffer', () => {
  it('accepts new paths, including under directories that do not exist yet', async () => {
    const destination = await Destination.open(root, false);
    await expect(destination.checkOffer([entry('a.txt'), entry('new/dir/b.txt')], 6)).resolves.toBeUndefined();
  });

  it('refuses an existing file without overwrite, and allows a regular one with it', async () => {
    writeFileSync(path.join(root, 'a.txt'), 'old');
    // The message names the path inside the destination only: it is also sent to the peer.
    await expect((await Destination.open(root, false)).checkOffer([entry('a.txt')], 3)).rejects.toMatchObject({
      code: 'E_EXISTS',
      message: 'a.txt already exists (use --overwrite to replace it)',
    });
    await expect((await Destination.open(root, true)).checkOffer([entry('a.txt')], 3)).resolves.toBeUndefined();
  });

  it('refuses a directory where a file should go, even with overwrite', async () => {
    mkdirSync(path.join(root, 'a.txt'));
    await expect((await Destination.open(root, true)).checkOffer([entry('a.txt')], 3)).rejects.toMatchObject({ code: 'E_EXISTS' });
  });

  it('refuses paths through or onto symbolic links, even pointing inside', async () => {
    const outside = tmp.dirSync({ unsafeCleanup: true });
    symlinkSync(outside.name, path.join(root, 'escape'));
    symlinkSync(path.join(root, 'target'), path.join(root, 'link.txt'));
    const destination = await Destination.open(root, true);
    await expect(destination.checkOffer([entry('escape/x')], 3)).rejects.toMatchObject({ code: 'E_BAD_PATH' });
    await expect(destination.checkOffer([entry('link.txt')], 3)).rejects.toMatchObject({ code: 'E_BAD_PATH' });
    expect(readdirSync(outside.name)).toEqual([]);
    outside.removeCallback();
  });

  it('refuses an offer larger than the free space', async () => {
    const destination = await Destination.open(root, false);
    await expect(destination.checkOffer([entry('huge', 2 ** 52)], 2 ** 52)).rejects.toMatchObject({ code: 'E_NO_SPACE' });
  });

  it('counts the bytes a kept part file already holds against the free space', async () => {
    const space = statfsSync(root);
    const free = space.bavail * space.bsize;
    const big = entry('big.bin', free + 2 ** 30);
    const destination = await Destination.open(root, false);
    await expect(destination.checkOffer([big], big.size)).rejects.toMatchObject({ code: 'E_NO_SPACE' });

    // A kept part of all but 1 GiB (sparse: it takes no room itself) for this very entry.
    const part = await destination.createPart(big);
    await part.handle.truncate(free);
    await destination.keep([part]);
    await expect(destination.checkOffer([big], big.size)).resolves.toBeUndefined();
    // For another version of the file (another mtime), the part counts for nothing.
    await expect(destination.checkOffer([{ ...big, mtime: 1 }], big.size)).rejects.toMatchObject({
      code: 'E_NO_SPACE',
      message: expect.not.stringContaining('kept'),
    });
  });
});

describe('Destination: landing files', () => {
  it('gives a committed file its name, mode and mtime, and leaves no part file', async () => {
    const destination = await Destination.open(root, false);
    await land(destination, 'sub/dir/a.txt', 'abc');
    const final = path.join(root, 'sub/dir/a.txt');
    expect(readFileSync(final, 'utf8')).toBe('abc');
    expect(statSync(final).mode & 0o777).toBe(0o640);
    expect(Math.trunc(statSync(final).mtimeMs)).toBe(1_700_000_000_123);
    expect(readdirSync(path.join(root, 'sub/dir'))).toEqual(['a.txt']);
  });

  it('a discard forgets the directories it removed: a later transfer\'s discard leaves a same-named one alone', async () => {
    const destination = await Destination.open(root, false);
    const first = await destination.createPart(entry('new/a.txt'));
    await destination.discard([first]);
    expect(existsSync(path.join(root, 'new'))).toBe(false);
    mkdirSync(path.join(root, 'new')); // someone else's, empty
    const second = await destination.createPart(entry('other/b.txt'));
    await destination.discard([second]);
    expect(existsSync(path.join(root, 'new'))).toBe(true);
  });

  it('writes a part file private to the user while data arrives', async () => {
    const destination = await Destination.open(root, false);
    const part = await destination.createPart(entry('a.txt'));
    expect(path.basename(part.partPath)).toBe(partFileName('a.txt'));
    expect(lstatSync(part.partPath).mode & 0o777).toBe(0o600);
    expect(existsSync(path.join(root, 'a.txt'))).toBe(false);
    await destination.discard([part]);
  });

  it('never replaces a file that appeared during the transfer (no overwrite)', async () => {
    const destination = await Destination.open(root, false);
    const part = await destination.createPart(entry('a.txt'));
    await part.handle.close();
    writeFileSync(path.join(root, 'a.txt'), 'theirs');
    await expect(destination.commit(part)).rejects.toMatchObject({ code: 'E_EXISTS' });
    expect(readFileSync(path.join(root, 'a.txt'), 'utf8')).toBe('theirs');
  });

  it('replaces an existing file atomically with overwrite', async () => {
    writeFileSync(path.join(root, 'a.txt'), 'old');
    await land(await Destination.open(root, true), 'a.txt', 'new');
    expect(readFileSync(path.join(root, 'a.txt'), 'utf8')).toBe('new');
  });

  // Section 6: an incomplete transfer keeps no file under its final name, and nothing the person had is lost.
  it('with overwrite, a later failed commit puts back the very file the first replaced, and leaves no working file', async () => {
    const outcome = await overwriteThenFail(root);
    expect(outcome.landedContent).toBe('new');
    expect(outcome.failure).toMatchObject({ code: 'E_EXISTS', message: 'b.txt is no longer a regular file; it was left alone' });
    expect(outcome).toMatchObject({ names: ['a.txt', 'b.txt'], content: 'old', sameInode: true });
  });

  it('with overwrite, lets go of the replaced file once the landing is durable and complete; another name of it keeps it', async () => {
    writeFileSync(path.join(root, 'elsewhere'), 'old');
    linkSync(path.join(root, 'elsewhere'), path.join(root, 'a.txt'));
    const { names, content } = await overwriteAndComplete(root);
    expect(names).toEqual(['a.txt', 'elsewhere']);
    expect(content).toBe('new');
    expect(readFileSync(path.join(root, 'elsewhere'), 'utf8')).toBe('old');
  });

  it('with overwrite, refuses to replace a file while its working name is taken (by a crashed receiver, say), and keeps both', async () => {
    writeFileSync(path.join(root, 'a.txt'), 'old');
    writeFileSync(path.join(root, replacedFileName('a.txt')), 'older');
    const destination = await Destination.open(root, true);
    const part = await destination.createPart(entry('a.txt'));
    await part.handle.write('new');
    await part.handle.close();
    const taken = { code: 'E_EXISTS', message: expect.stringMatching(/^\.sealdrop-\w+\.replaced exists: it may hold an earlier version of a\.txt, kept by a sealdrop/) };
    await expect(destination.checkOffer([entry('a.txt')], 3)).rejects.toMatchObject(taken);
    await expect(destination.commit(part)).rejects.toMatchObject(taken);
    expect(readFileSync(path.join(root, 'a.txt'), 'utf8')).toBe('old');
    expect(readFileSync(path.join(root, replacedFileName('a.txt')), 'utf8')).toBe('older');
  });

  it('never writes through a link planted where the part file goes', async () => {
    const outside = tmp.fileSync();
    symlinkSync(outside.name, path.join(root, partFileName('a.txt')));
    const destination = await Destination.open(root, false);
    expect(await destination.findResumable(entry('a.txt'))).toBeNull();
    const part = await destination.createPart(entry('a.txt'));
    await part.handle.write('abc');
    await part.handle.close();
    expect(readFileSync(outside.name, 'utf8')).toBe('');
    expect(lstatSync(part.partPath).isFile()).toBe(true);
    outside.removeCallback();
  });

  it('never waits on a FIFO planted where the resume record goes: no resume, and a record of its own replaces it', async () => {
    const partPath = path.join(root, partFileName('a.txt'));
    spawnSync('mkfifo', [`${partPath}.json`]);
    writeFileSync(partPath, 'abc', { mode: 0o600 });
    const destination = await Destination.open(root, false);
    expect(await destination.findResumable(entry('a.txt', 6))).toBeNull();
    const part = await destination.createPart(entry('a.txt', 6));
    expect(lstatSync(`${partPath}.json`).isFile()).toBe(true);
    await destination.discard([part]);
  });

  it('never waits on a FIFO put in place of a directory it is to fsync', async () => {
    const destination = await Destination.open(root, false);
    const part = await destination.createPart(entry('d/a.txt'));
    await part.handle.write('abc');
    await part.handle.close();
    await destination.commit(part);
    renameSync(path.join(root, 'd'), path.join(root, 'd-moved'));
    spawnSync('mkfifo', [path.join(root, 'd')]);
    await expect(destination.syncCommitted()).rejects.toMatchObject({ code: 'ENOTDIR' });
  });

  it('keeps a part file for the same entry and resumes it from its length, through the descriptor it hashed', async () => {
    const destination = await Destination.open(root, false);
    const first = await destination.createPart(entry('a.txt', 6));
    await first.handle.write('abc');
    await destination.keep([first]);
    const kept = await destination.findResumable(entry('a.txt', 6));
    expect(kept?.prefix.bytes).toBe(3);
    expect(kept?.prefix.hash.copy().digest('hex')).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
    expect(await destination.findResumable({ ...entry('a.txt', 6), mtime: 1 })).toBeNull(); // another version
    const resumed = await destination.createPart(entry('a.txt', 6), kept!);
    expect(resumed.handle).toBe(kept!.handle); // opened once: never reopened by name
    expect(resumed.inode).toBe(first.inode);
    await resumed.handle.write('def');
    await resumed.handle.close();
    await destination.commit(resumed);
    expect(readFileSync(path.join(root, 'a.txt'), 'utf8')).toBe('abcdef');
    expect(readdirSync(root)).toEqual(['a.txt']);
  });

  it('checks again, for every file, that a directory it has already used is not now a link', async () => {
    const outside = tmp.dirSync({ unsafeCleanup: true });
    const destination = await Destination.open(root, false);
    await land(destination, 'd/a.txt', 'abc');
    renameSync(path.join(root, 'd'), path.join(root, 'd-moved'));
    symlinkSync(outside.name, path.join(root, 'd'));
    await expect(destination.createPart(entry('d/b.txt'))).rejects.toMatchObject({ code: 'E_BAD_PATH' });
    expect(readdirSync(outside.name)).toEqual([]);
    outside.removeCallback();
  });

  // Node has no openat(): the part file is opened by name, after its directory was checked. This
  // swapper puts a link to a directory outside where `d` was, for an instant at a time; with
  // nothing but the checks, about one file in twenty landed outside.
  it('never creates a part file or its record through a directory swapped for a link', async () => {
    const outside = tmp.dirSync({ unsafeCleanup: true });
    mkdirSync(path.join(root, 'd'));
    const destination = await Destination.open(root, false);
    const swapper = await startLinkSwapper(path.join(root, 'd'), outside.name);
    let created = 0;
    try {
      // Most attempts meet the link or no directory at all; go on until some have got through.
      for (let i = 0; created < 20 && i < 20_000; i++) {
        const part = await destination.createPart(entry(`d/f${i}`)).catch(() => null);
        if (part !== null) {
          created++;
          await part.handle.close();
        }
        expect(readdirSync(outside.name)).toEqual([]);
      }
    } finally {
      await swapper.stop();
    }
    expect(created).toBeGreaterThan(0);
    outside.removeCallback();
  }, 60_000);

  it('starts afresh over a stale part file, or a resume record whose part file is gone', async () => {
    const destination = await Destination.open(root, false);
    writeFileSync(path.join(root, partFileName('a.txt')), 'stale bytes');
    writeFileSync(path.join(root, `${partFileName('b.txt')}.json`), '{"stale": true}');
    for (const name of ['a.txt', 'b.txt']) {
      const part = await destination.createPart(entry(name));
      expect(statSync(part.partPath).size).toBe(0);
      // The record names the part file itself (device and inode), and is private like it.
      expect(JSON.parse(readFileSync(`${part.partPath}.json`, 'utf8'))).toEqual({ path: name, size: 3, mtime: 1_700_000_000_123, device: part.device, inode: part.inode });
      expect(lstatSync(`${part.partPath}.json`).mode & 0o777).toBe(0o600);
      await part.handle.close();
    }
  });

  it('discards part files and the directories it created', async () => {
    const destination = await Destination.open(root, false);
    const part = await destination.createPart(entry('x/y/z.txt'));
    await destination.discard([part]);
    expect(readdirSync(root)).toEqual([]);
  });
});

// Issue 10, item 1: whoever else can write the destination could put a file of their own where a
// part file was kept, and the sender's remaining bytes would go into it. A kept part counts only
// if it is a regular file this user owns, with one link and mode 0600, and the very file its
// record (itself private) names.
describe('Destination: which kept part files count for a resume', () => {
  const big = entry('a.txt', 6);
  const partPath = () => path.join(root, partFileName('a.txt'));
  const recordPath = () => `${partPath()}.json`;

  /** A part file of `big` holding 'abc', kept as a transfer that broke off leaves it. */
  async function keptAbc(): Promise<Destination> {
    const destination = await Destination.open(root, false);
    const part = await destination.createPart(big);
    await part.handle.write('abc');
    await destination.keep([part]);
    return destination;
  }

  /** Puts another file holding 'abc', mode 0600, where the part file was (made first, so its inode differs). */
  function replacePart(): void {
    writeFileSync(`${partPath()}.new`, 'abc', { mode: 0o600 });
    renameSync(`${partPath()}.new`, partPath());
  }

  it('counts the part file it wrote itself', async () => {
    const destination = await keptAbc();
    const kept = await destination.findResumable(big);
    expect(kept?.prefix.bytes).toBe(3);
    await destination.release();
    expect(kept!.handle.fd).toBe(-1); // closed by release when no resume took it
  });

  const refusals: Array<[string, () => void]> = [
    ['mode 0666 (anyone could have written it)', () => chmodSync(partPath(), 0o666)],
    ['mode 0644 (others can read it)', () => chmodSync(partPath(), 0o644)],
    ['2 links (another name leads to it)', () => linkSync(partPath(), path.join(root, 'other-name'))],
    ['another file than the record names (wrong inode), even one of ours, 0600', () => replacePart()],
    ['a symbolic link to the part file', () => {
      renameSync(partPath(), path.join(root, 'moved'));
      symlinkSync(path.join(root, 'moved'), partPath());
    }],
    ['a record hard-linked elsewhere (2 links)', () => linkSync(recordPath(), path.join(root, 'record-elsewhere'))],
    ['a record others can write (mode 0666)', () => chmodSync(recordPath(), 0o666)],
    ['a record that names no device and inode (written before they were recorded)', () => {
      const { path: p, size, mtime } = JSON.parse(readFileSync(recordPath(), 'utf8'));
      unlinkSync(recordPath());
      writeFileSync(recordPath(), JSON.stringify({ path: p, size, mtime }), { mode: 0o600 });
    }],
  ];
  it.each(refusals)('refuses a part file with %s, and starts afresh in a new one', async (_, plant) => {
    const destination = await keptAbc();
    plant();
    expect(await destination.findResumable(big)).toBeNull();
    await expect(destination.checkOffer([big], big.size)).resolves.toBeUndefined();
    const fresh = await destination.createPart(big);
    expect(fresh.handle.fd).not.toBe(-1);
    expect(statSync(fresh.partPath).size).toBe(0);
    expect(lstatSync(fresh.partPath).isFile()).toBe(true);
    await destination.discard([fresh]);
    await destination.release();
  });

  it.skipIf(process.geteuid?.() !== 0)('refuses a part file another user owns (needs root to give it another owner)', async () => {
    const destination = await keptAbc();
    chownSync(partPath(), 1001, 1001);
    expect(await destination.findResumable(big)).toBeNull();
    chownSync(partPath(), 0, 0);
    chownSync(recordPath(), 1001, 1001);
    expect(await destination.findResumable(big)).toBeNull();
  });

  it('never writes into a file hard-linked where the record goes: it is removed, and a new record created', async () => {
    const elsewhere = path.join(root, 'precious');
    writeFileSync(elsewhere, 'keep me', { mode: 0o600 });
    linkSync(elsewhere, recordPath());
    const destination = await Destination.open(root, false);
    const part = await destination.createPart(big);
    expect(readFileSync(elsewhere, 'utf8')).toBe('keep me');
    expect(lstatSync(recordPath()).nlink).toBe(1);
    await destination.discard([part]);
  });
});

describe('Destination: one receiver per entry at a time', () => {
  it('refuses an entry another destination has claimed, until it releases it', async () => {
    const first = await Destination.open(root, false);
    const second = await Destination.open(root, false);
    await first.claim([entry('a.txt'), entry('dir/b.txt')]);
    expect(readFileSync(path.join(root, lockFileName('dir/b.txt')), 'utf8')).toBe(`${process.pid}\n`);

    await expect(second.claim([entry('c.txt'), entry('dir/b.txt')])).rejects.toMatchObject({
      code: 'E_EXISTS',
      message: `dir/b.txt is being received into this directory by another sealdrop (if not, remove ${lockFileName('dir/b.txt')})`,
    });
    await second.release(); // gives up c.txt, and leaves the first's locks alone
    expect(readdirSync(root).sort()).toEqual([lockFileName('a.txt'), lockFileName('dir/b.txt')].sort());

    await first.release();
    expect(readdirSync(root)).toEqual([]);
    await second.claim([entry('dir/b.txt')]);
    await second.release();
  });

  it('takes over a lock left by a process that has ended', async () => {
    const ended = spawnSync(process.execPath, ['-e', '']).pid!;
    writeFileSync(path.join(root, lockFileName('a.txt')), `${ended}\n`);
    const destination = await Destination.open(root, false);
    await destination.claim([entry('a.txt')]);
    expect(readFileSync(path.join(root, lockFileName('a.txt')), 'utf8')).toBe(`${process.pid}\n`);
    await destination.release();
    expect(readdirSync(root)).toEqual([]);
  });

  // A second Ctrl-C exits at once (src/cli/interrupt.ts), past every finally. Runs the built module (dist/).
  it('a process that exits holding locks, by process.exit, removes them', () => {
    const entryLock = new URL('../../dist/files/entry-lock.js', import.meta.url).href;
    const script = `import { lockEntry } from ${JSON.stringify(entryLock)}; lockEntry(process.argv[1], 'a.txt'); lockEntry(process.argv[1], 'b.txt'); process.exit(130);`;
    const child = spawnSync(process.execPath, ['--input-type=module', '-e', script, root], { encoding: 'utf8' });
    expect(child.status, child.stderr).toBe(130);
    expect(readdirSync(root)).toEqual([]);
  });

  it('leaves alone a lock that names no process (one being written looks like that)', async () => {
    for (const content of ['', 'not a process id']) {
      writeFileSync(path.join(root, lockFileName('a.txt')), content);
      await expect((await Destination.open(root, false)).claim([entry('a.txt')])).rejects.toMatchObject({ code: 'E_EXISTS' });
      expect(readFileSync(path.join(root, lockFileName('a.txt')), 'utf8')).toBe(content);
    }
  });

  it('never lands a part file that is not the one it wrote', async () => {
    const destination = await Destination.open(root, false);
    const part = await destination.createPart(entry('a.txt'));
    await part.handle.write('abc');
    // Another writer replaced the part file meanwhile (same name, another file) ...
    unlinkSync(part.partPath);
    writeFileSync(part.partPath, 'xyz');
    await part.handle.close(); // ... while this transfer still had its own open.
    await expect(destination.commit(part)).rejects.toMatchObject({ code: 'E_INTERNAL', message: expect.stringMatching(/was replaced or removed during the transfer/) });
    expect(existsSync(path.join(root, 'a.txt'))).toBe(false);
  });
});
