import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import tmp from 'tmp';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DirectorySink } from '../../src/files/directory-sink.js';
import { partFileName } from '../../src/files/destination.js';
import type { FileEntry } from '../../src/protocol/messages.js';
import { listTree } from '../support/files.js';

let dir: tmp.DirResult;
beforeEach(() => (dir = tmp.dirSync({ unsafeCleanup: true })));
afterEach(() => dir.removeCallback());

const entry = (p: string, size: number): FileEntry => ({ path: p, size, mode: 0o644, mtime: 1_700_000_000_000 });
const part = (p: string) => [partFileName(p), `${partFileName(p)}.json`];

/** What the session does up to the data: claim and admit the entries. */
async function accepted(entries: readonly FileEntry[]): Promise<DirectorySink> {
  const sink = await DirectorySink.open(dir.name, false);
  await sink.checkOffer(entries, entries.reduce((sum, e) => sum + e.size, 0));
  await sink.claim(entries);
  await sink.admit(entries, false);
  return sink;
}

/** Writes `text` into the entry as one DATA record's body would come, in two pieces. */
async function write(sink: DirectorySink, e: FileEntry, offset: number, text: string): Promise<void> {
  const half = Math.floor(text.length / 2);
  const record = [Buffer.from(text.slice(0, half)), Buffer.from(text.slice(half))];
  await pipeline(Readable.from([record], { objectMode: true }), await sink.start(e, offset));
}

/** A transfer of `e` that broke off after `text`: the session keeps what came, then lets go. */
async function breakOffAfter(e: FileEntry, text: string): Promise<void> {
  const first = await accepted([e]);
  await write(first, e, 0, text);
  await first.keep();
  await first.release();
}

describe('DirectorySink', () => {
  it('takes each entry into its part file and lands them all at commitAll; release leaves no lock', async () => {
    const entries = [entry('a.txt', 3), entry('d/b.txt', 5)];
    const sink = await accepted(entries);
    await write(sink, entries[0]!, 0, 'abc');
    await write(sink, entries[1]!, 0, 'hello');
    expect(listTree(dir.name)).toEqual(expect.arrayContaining(part('a.txt')));
    await sink.commitAll();
    await sink.release();
    expect(listTree(dir.name)).toEqual(['a.txt', 'd/', 'd/b.txt']);
    expect(readFileSync(path.join(dir.name, 'd/b.txt'), 'utf8')).toBe('hello');
  });

  it('lands none if one cannot land: what landed is taken back, and discard removes the rest', async () => {
    const entries = [entry('a.txt', 3), entry('b.txt', 3)];
    const sink = await accepted(entries);
    await write(sink, entries[0]!, 0, 'abc');
    await write(sink, entries[1]!, 0, 'xyz');
    mkdirSync(path.join(dir.name, 'b.txt')); // the name appears during the transfer
    await expect(sink.commitAll()).rejects.toMatchObject({ code: 'E_EXISTS' });
    expect(listTree(dir.name)).not.toContain('a.txt');
    await sink.discard();
    await sink.release();
    expect(listTree(dir.name)).toEqual(['b.txt/']);
  });

  it('keeps what a broken-off transfer wrote, and a later transfer resumes after the prefix it proves', async () => {
    const e = entry('a.txt', 6);
    await breakOffAfter(e, 'abc');
    expect(listTree(dir.name)).toEqual(part('a.txt').sort());

    const again = await accepted([e]);
    const prefix = await again.findResumable(e);
    expect(prefix?.bytes).toBe(3);
    expect(prefix?.hash.copy().digest('hex')).toBe(createHash('sha256').update('abc').digest('hex'));
    await write(again, e, 3, 'def');
    await again.commitAll();
    await again.release();
    expect(readFileSync(path.join(dir.name, 'a.txt'), 'utf8')).toBe('abcdef');
    expect(listTree(dir.name)).toEqual(['a.txt']);
  });

  it('starts afresh from 0 though a prefix was kept', async () => {
    const e = entry('a.txt', 6);
    await breakOffAfter(e, 'abc');
    const again = await accepted([e]);
    expect(await again.findResumable(e)).not.toBeNull();
    await write(again, e, 0, 'xyzdef');
    await again.commitAll();
    await again.release();
    expect(readFileSync(path.join(dir.name, 'a.txt'), 'utf8')).toBe('xyzdef');
  });

  it('resumes only from the prefix findResumable reported, at its length', async () => {
    const e = entry('a.txt', 6);
    await breakOffAfter(e, 'abc');
    const again = await accepted([e]);
    await expect(again.start(e, 3)).rejects.toMatchObject({ code: 'E_INTERNAL' }); // not asked yet
    await again.findResumable(e);
    await expect(again.start(e, 2)).rejects.toMatchObject({ code: 'E_INTERNAL' });
    await again.discard();
    await again.release();
  });
});
