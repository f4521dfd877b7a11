import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import tmp from 'tmp';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { chmodWhereSupported, moveUnlessTaken, openRegularFile, readFileOrNull, writeFileNoFollow } from '../../src/transport/safe-fs.js';

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
// covers it (test/e2e/file-systems.test.ts); here, that every other failure still counts.
describe('chmodWhereSupported', () => {
  it('sets the mode, and still fails on anything but a file system that cannot hold it', () => {
    const file = path.join(dir.name, 'f');
    writeFileSync(file, '');
    chmodWhereSupported(file, 0o640);
    expect(statSync(file).mode & 0o777).toBe(0o640);
    expect(() => chmodWhereSupported(path.join(dir.name, 'missing'), 0o640)).toThrow(expect.objectContaining({ code: 'ENOENT' }));
  });
});

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
    expect(() => writeFileNoFollow(fifo('write-me'), 'text')).toThrow(expect.objectContaining({ code: 'ENXIO' }));
  });

  it('never follows a link', () => {
    const target = path.join(dir.name, 'target');
    writeFileSync(target, 'keep me');
    symlinkSync(target, path.join(dir.name, 'link'));
    expect(readFileOrNull(path.join(dir.name, 'link'))).toBeNull();
    expect(() => writeFileNoFollow(path.join(dir.name, 'link'), 'text')).toThrow(expect.objectContaining({ code: 'ELOOP' }));
    expect(readFileSync(target, 'utf8')).toBe('keep me');
  });
});
