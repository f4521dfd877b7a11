import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import tmp from 'tmp';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { chmodWhereSupported, moveUnlessTaken } from '../../src/transport/safe-fs.js';

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
