import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import tmp from 'tmp';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { moveUnlessTaken } from '../../src/transport/safe-fs.js';

let dir: tmp.DirResult;
beforeEach(() => {
  dir = tmp.dirSync({ unsafeCleanup: true });
});
afterEach(() => dir.removeCallback());

describe('moveUnlessTaken', () => {
  it('gives a file its new name and drops the old one', async () => {
    const from = path.join(dir.name, 'part');
    const to = path.join(dir.name, 'final');
    writeFileSync(from, 'new');
    expect(await moveUnlessTaken(from, to)).toBe(true);
    expect(readFileSync(to, 'utf8')).toBe('new');
    expect(existsSync(from)).toBe(false);
  });

  it('never replaces what has the name already', async () => {
    const from = path.join(dir.name, 'part');
    const to = path.join(dir.name, 'final');
    writeFileSync(from, 'new');
    writeFileSync(to, 'keep me');
    expect(await moveUnlessTaken(from, to)).toBe(false);
    expect(readFileSync(to, 'utf8')).toBe('keep me');
    expect(readFileSync(from, 'utf8')).toBe('new');
  });

  // link() of a directory fails with EPERM, as link() of anything does on FAT and exFAT: this
  // takes the path those file systems take, on any file system.
  it('falls back to a check and a rename where link() is refused', async () => {
    const from = path.join(dir.name, 'part.d');
    mkdirSync(from);
    writeFileSync(path.join(from, 'inside'), 'data');
    const taken = path.join(dir.name, 'taken');
    writeFileSync(taken, 'keep me');
    expect(await moveUnlessTaken(from, taken)).toBe(false);
    expect(readFileSync(taken, 'utf8')).toBe('keep me');

    const to = path.join(dir.name, 'final.d');
    expect(await moveUnlessTaken(from, to)).toBe(true);
    expect(readFileSync(path.join(to, 'inside'), 'utf8')).toBe('data');
    expect(existsSync(from)).toBe(false);
  });
});
