import { execFileSync } from 'node:child_process';
import { chmodSync, chownSync, closeSync, existsSync, linkSync, mkdirSync, openSync, readdirSync, readFileSync, renameSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import tmp from 'tmp';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { assertOpenedIn, createFileNoFollow, isPrivateFile, moveUnlessTaken, openRegularFile, readFileOrNull, readPrivateFileOrNull, setModeAndMtimeIfSame } from '../../src/files/safe-fs.js';
import { startLinkSwapper } from '../support/link-swapper.js';

let dir: tmp.DirResult;
beforeEach(() => {
  dir = tmp.dirSync({ unsafeCleanup: true });
});
afterEach(() => dir.removeCallback());

describe('moveUnlessTaken', () => {
  it('gives a file its new name and drops the old one', () => {
    const from = path.join(dir.name, 'part');
    const to = path.join(dir.name, 'final');
    writeFileSync(from, 'new');
    expect(moveUnlessTaken(from, to)).toBe(true);
    expect(readFileSync(to, 'utf8')).toBe('new');
    expect(existsSync(from)).toBe(false);
  });

  it('never replaces what has the name already', () => {
    const from = path.join(dir.name, 'part');
    const to = path.join(dir.name, 'final');
    writeFileSync(from, 'new');
    writeFileSync(to, 'keep me');
    expect(moveUnlessTaken(from, to)).toBe(false);
    expect(readFileSync(to, 'utf8')).toBe('keep me');
    expect(readFileSync(from, 'utf8')).toBe('new');
  });

  // link() of a directory fails with EPERM, as link() of anything does on FAT and exFAT: this
  // takes the path those file systems take, on any file system.
  it('falls back to a check and a rename where link() is refused', () => {
    const from = path.join(dir.name, 'part.d');
    mkdirSync(from);
    writeFileSync(path.join(from, 'inside'), 'data');
    const taken = path.join(dir.name, 'taken');
    writeFileSync(taken, 'keep me');
    expect(moveUnlessTaken(from, taken)).toBe(false);
    expect(readFileSync(taken, 'utf8')).toBe('keep me');

    const to = path.join(dir.name, 'final.d');
    expect(moveUnlessTaken(from, to)).toBe(true);
    expect(readFileSync(path.join(to, 'inside'), 'utf8')).toBe('data');
    expect(existsSync(from)).toBe(false);
  });
});

// Where the file system refuses the mode (EPERM), the end-to-end test on a FAT-like file system
// covers it (test/e2e/file-systems.test.ts).
describe('setModeAndMtimeIfSame', () => {
  it('sets the mode and the mtime (to the millisecond) of the same file, and of nothing else', () => {
    const file = path.join(dir.name, 'f');
    writeFileSync(file, 'ours');
    const { dev, ino } = statSync(file);
    const identity = { device: dev, inode: ino, size: 4 };
    expect(setModeAndMtimeIfSame(file, identity, 0o640, 1_700_000_000_123)).toBe(true);
    expect(statSync(file).mode & 0o777).toBe(0o640);
    expect(statSync(file).mtimeMs).toBeCloseTo(1_700_000_000_123.5, 3);

    renameSync(file, `${file}.moved`);
    symlinkSync(`${file}.moved`, file); // the same inode, but behind a link
    expect(setModeAndMtimeIfSame(file, identity, 0o600, 0)).toBe(false);
    rmSync(file);
    writeFileSync(file, 'them'); // the same size: here inode numbers last, and tell them apart
    expect(setModeAndMtimeIfSame(file, identity, 0o600, 0)).toBe(false);
    rmSync(file);
    expect(setModeAndMtimeIfSame(file, identity, 0o600, 0)).toBe(false);
    expect(statSync(`${file}.moved`).mode & 0o777).toBe(0o640);
  });

  // A check by name and then chmod by name lose this race a few times in ten thousand: the
  // swapper puts a link to another file where the checked file was, for an instant at a time.
  it('never changes another file while its name is swapped for a link to that file', async () => {
    const file = path.join(dir.name, 'part');
    const other = path.join(dir.name, 'private-key');
    writeFileSync(file, 'ours');
    writeFileSync(other, 'secret', { mode: 0o600 });
    const { dev, ino } = statSync(file);
    const swapper = await startLinkSwapper(file, other);
    let applied = 0;
    try {
      for (let i = 0; i < 20_000; i++) {
        if (setModeAndMtimeIfSame(file, { device: dev, inode: ino, size: 4 }, 0o644, 1_700_000_000_000)) applied++;
        expect(statSync(other).mode & 0o777).toBe(0o600);
      }
    } finally {
      await swapper.stop();
    }
    expect(applied).toBeGreaterThan(0);
    expect(statSync(other).mtimeMs).not.toBeCloseTo(1_700_000_000_000.5, 0);
  }, 60_000);
});

describe('assertOpenedIn', () => {
  it('passes a file opened in the directory, by whatever name, and refuses one opened elsewhere, removing it if created', () => {
    const checked = path.join(dir.name, 'checked');
    const elsewhere = path.join(dir.name, 'elsewhere');
    mkdirSync(checked);
    mkdirSync(elsewhere);
    writeFileSync(path.join(elsewhere, 'kept'), 'not ours');
    const { dev, ino } = statSync(checked);
    const directory = { device: dev, inode: ino };
    const opened = (file: string, flags: string) => openSync(path.join(dir.name, file), flags);

    // The kernel may name the directory otherwise (a link to it here; another case, on FAT).
    symlinkSync(checked, path.join(dir.name, 'alias'));
    for (const name of ['checked/a', 'alias/b']) {
      const fd = opened(name, 'w');
      expect(() => assertOpenedIn(fd, directory, true)).not.toThrow();
      closeSync(fd);
    }

    symlinkSync(elsewhere, path.join(dir.name, 'swapped'));
    const created = opened('swapped/c', 'w');
    expect(() => assertOpenedIn(created, directory, true)).toThrow(expect.objectContaining({ code: 'E_BAD_PATH' }));
    closeSync(created);
    const existing = opened('swapped/kept', 'r');
    expect(() => assertOpenedIn(existing, directory, false)).toThrow(expect.objectContaining({ code: 'E_BAD_PATH' }));
    closeSync(existing);
    expect(readdirSync(elsewhere)).toEqual(['kept']); // what it created there is gone, the rest left alone
    expect(readdirSync(checked).sort()).toEqual(['a', 'b']);
  });
});

/** The test directory's identity, as the directory files are written in. */
function here(): { device: number; inode: number } {
  const { dev, ino } = statSync(dir.name);
  return { device: dev, inode: ino };
}

// A FIFO with nobody at its other end: opening it the ordinary way would wait forever, and these
// tests with it (a synchronous open would freeze the whole process).
function fifo(name: string): string {
  const file = path.join(dir.name, name);
  execFileSync('mkfifo', [file]);
  return file;
}

describe('openRegularFile', () => {
  it('opens a regular file, with its fstat', async () => {
    const file = path.join(dir.name, 'f');
    writeFileSync(file, 'abc');
    const opened = await openRegularFile(file);
    expect(opened?.stats.ino).toBe(statSync(file).ino);
    expect((await opened!.handle.readFile()).toString()).toBe('abc');
    await opened!.handle.close();
  });

  it('gives null for nothing, a link, a directory or a FIFO, without waiting on the FIFO', async () => {
    const target = path.join(dir.name, 'target');
    writeFileSync(target, 'abc');
    symlinkSync(target, path.join(dir.name, 'link'));
    mkdirSync(path.join(dir.name, 'directory'));
    for (const name of ['missing', 'link', 'directory', 'missing/below']) expect(await openRegularFile(path.join(dir.name, name))).toBeNull();
    expect(await openRegularFile(fifo('fifo'))).toBeNull();
    expect(await openRegularFile(path.join(target, 'below'))).toBeNull(); // ENOTDIR
  });
});

describe('reading and writing small files by name', () => {
  it('neither waits on a FIFO nor writes into one', () => {
    expect(readFileOrNull(fifo('read-me'))).toBeNull();
    expect(readPrivateFileOrNull(fifo('read-me-too'))).toBeNull();
    expect(() => createFileNoFollow(fifo('write-me'), here(), 'text')).toThrow(expect.objectContaining({ code: 'EEXIST' }));
  });

  it('never follows a link', () => {
    const target = path.join(dir.name, 'target');
    writeFileSync(target, 'keep me', { mode: 0o600 });
    symlinkSync(target, path.join(dir.name, 'link'));
    expect(readFileOrNull(path.join(dir.name, 'link'))).toBeNull();
    expect(readPrivateFileOrNull(path.join(dir.name, 'link'))).toBeNull();
    expect(() => createFileNoFollow(path.join(dir.name, 'link'), here(), 'text')).toThrow(expect.objectContaining({ code: 'EEXIST' }));
    expect(readFileSync(target, 'utf8')).toBe('keep me');
  });

  it('creates a file 0600, and never writes into one that has the name, as a hard link of a file elsewhere would', () => {
    const file = path.join(dir.name, 'record');
    createFileNoFollow(file, here(), 'text');
    expect(readFileSync(file, 'utf8')).toBe('text');
    expect(statSync(file).mode & 0o777).toBe(0o600);
    const elsewhere = path.join(dir.name, 'elsewhere');
    writeFileSync(elsewhere, 'keep me');
    rmSync(file);
    linkSync(elsewhere, file);
    expect(() => createFileNoFollow(file, here(), 'text')).toThrow(expect.objectContaining({ code: 'EEXIST' }));
    expect(readFileSync(elsewhere, 'utf8')).toBe('keep me');
  });

  it('reads a file as private only if it is ours, has one link and mode 0600', () => {
    const file = path.join(dir.name, 'private');
    writeFileSync(file, 'mine', { mode: 0o600 });
    expect(isPrivateFile(statSync(file))).toBe(true);
    expect(readPrivateFileOrNull(file)).toBe('mine');
    for (const mode of [0o666, 0o644, 0o640, 0o604, 0o400, 0o700]) {
      chmodSync(file, mode);
      expect(readPrivateFileOrNull(file), mode.toString(8)).toBeNull();
    }
    chmodSync(file, 0o600);
    linkSync(file, `${file}-link`);
    expect(readPrivateFileOrNull(file)).toBeNull();
    rmSync(`${file}-link`);
    expect(readPrivateFileOrNull(file)).toBe('mine');
    mkdirSync(path.join(dir.name, 'directory'), { mode: 0o600 });
    expect(isPrivateFile(statSync(path.join(dir.name, 'directory')))).toBe(false);
  });

  it.skipIf(process.geteuid?.() !== 0)('reads a file as private only if this user owns it (needs root to give it another owner)', () => {
    const file = path.join(dir.name, 'theirs');
    writeFileSync(file, 'theirs', { mode: 0o600 });
    chownSync(file, 1001, 1001);
    expect(readPrivateFileOrNull(file)).toBeNull();
  });
});
