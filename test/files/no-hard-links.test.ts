/**
 * The receiver on a file system without hard links (FAT, exFAT; link() fails with EPERM there),
 * on any file system: link() is made to fail that way. With --overwrite, the file replaced is
 * moved aside instead of linked, and put back all the same when a later commit fails.
 */
import { linkSync } from 'node:fs';
import path from 'node:path';
import tmp from 'tmp';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { overwriteAndComplete, overwriteThenFail } from '../support/overwrite.js';

vi.mock('node:fs', async (importOriginal) => {
  const fs = await importOriginal<typeof import('node:fs')>();
  const linkSync = (): never => {
    throw Object.assign(new Error('EPERM: operation not permitted, link'), { code: 'EPERM' });
  };
  return { ...fs, default: { ...fs, linkSync }, linkSync };
});

let dir: tmp.DirResult;
beforeEach(() => (dir = tmp.dirSync({ unsafeCleanup: true })));
afterEach(() => dir.removeCallback());

describe('Destination where link() is refused', () => {
  it('(here link() is refused, as on FAT)', () => {
    expect(() => linkSync(path.join(dir.name, 'a'), path.join(dir.name, 'b'))).toThrow(expect.objectContaining({ code: 'EPERM' }));
  });

  it('with overwrite, a later failed commit puts back the file the first replaced, and leaves no working file', async () => {
    const outcome = await overwriteThenFail(dir.name);
    expect(outcome.landedContent).toBe('new');
    expect(outcome.failure).toMatchObject({ code: 'E_EXISTS' });
    expect(outcome).toMatchObject({ names: ['a.txt', 'b.txt'], content: 'old', sameInode: true });
  });

  it('with overwrite, lets go of the replaced file once the landing is durable and complete', async () => {
    expect(await overwriteAndComplete(dir.name)).toEqual({ names: ['a.txt'], content: 'new' });
  });
});
