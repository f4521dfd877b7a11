import { createHash } from 'node:crypto';
import { appendFileSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import tmp from 'tmp';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { collectLocalFiles } from '../../src/files/local-files.js';
import { LocalFilesSource } from '../../src/files/local-source.js';
import { setMtimeExactMs } from '../support/files.js';

let dir: tmp.DirResult;
beforeEach(() => (dir = tmp.dirSync({ unsafeCleanup: true })));
afterEach(() => dir.removeCallback());

/** A source of the files `contents` names, written first, read `chunkBytes` at a time. */
async function sourceOf(contents: Record<string, string>, chunkBytes?: number): Promise<LocalFilesSource> {
  for (const [name, content] of Object.entries(contents)) writeFileSync(path.join(dir.name, name), content);
  const selection = await collectLocalFiles(Object.keys(contents).map((name) => path.join(dir.name, name)), () => undefined);
  return new LocalFilesSource(selection, chunkBytes);
}

async function readAll(chunks: AsyncIterable<Buffer>, release: (chunk: Buffer) => void): Promise<{ text: string; buffers: Set<ArrayBufferLike>; count: number }> {
  let text = '';
  const buffers = new Set<ArrayBufferLike>();
  let count = 0;
  for await (const chunk of chunks) {
    text += chunk.toString();
    buffers.add(chunk.buffer);
    count += 1;
    release(chunk);
  }
  return { text, buffers, count };
}

describe('LocalFilesSource', () => {
  it('offers the selection: its name and entries, in order', async () => {
    const source = await sourceOf({ 'a.txt': 'abc', 'b.txt': 'hello' });
    expect(source.name).toBe('2 items');
    expect(source.entries.map(({ path: p, size }) => [p, size])).toEqual([['a.txt', 3], ['b.txt', 5]]);
  });

  it('reads an entry from an offset in chunks of the read size, into buffers given back and used again', async () => {
    const source = await sourceOf({ 'a.txt': 'abcdefghijklmnopqrstuvwxyz' }, 4);
    const opened = await source.open(0);
    try {
      const { text, buffers, count } = await readAll(opened.read(2), (chunk) => opened.release(chunk));
      expect(text).toBe('cdefghijklmnopqrstuvwxyz');
      expect(count).toBe(6);
      expect(buffers.size).toBeLessThan(count); // released buffers came back for later reads
      await expect(opened.checkUnchanged(26)).resolves.toBeUndefined();
    } finally {
      await opened.close();
    }
  });

  it('hashes a prefix (to prove a resume), and says how much it found', async () => {
    const source = await sourceOf({ 'a.txt': 'abcdef' });
    const opened = await source.open(0);
    const prefix = await opened.hashPrefix(3);
    expect(prefix.bytes).toBe(3);
    expect(prefix.hash.copy().digest('hex')).toBe(createHash('sha256').update('abc').digest('hex'));
    expect((await opened.hashPrefix(10)).bytes).toBe(6);
    await opened.close();
  });

  it('reads no further than the offered size, and calls a file that grew, shrank or was rewritten changed', async () => {
    const source = await sourceOf({ 'a.txt': 'abc' });
    const file = source.entries[0]!.sourcePath;
    const opened = await source.open(0);
    try {
      appendFileSync(file, 'more');
      setMtimeExactMs(file, source.entries[0]!.mtime);
      expect((await readAll(opened.read(0), () => undefined)).text).toBe('abc');
      await expect(opened.checkUnchanged(3)).rejects.toMatchObject({ code: 'E_INTERNAL', message: expect.stringContaining(`${file} changed while it was being sent`) });
      writeFileSync(file, 'xyz');
      setMtimeExactMs(file, source.entries[0]!.mtime);
      await expect(opened.checkUnchanged(3)).resolves.toBeUndefined();
      await expect(opened.checkUnchanged(2)).rejects.toMatchObject({ code: 'E_INTERNAL', message: expect.stringContaining('(2 of 3 bytes read)') });
      setMtimeExactMs(file, source.entries[0]!.mtime + 1);
      await expect(opened.checkUnchanged(3)).rejects.toMatchObject({ code: 'E_INTERNAL' });
    } finally {
      await opened.close();
    }
  });

  it('opens only the file that was offered', async () => {
    const source = await sourceOf({ 'a.txt': 'abc' });
    writeFileSync(path.join(dir.name, 'b.txt'), 'abc');
    renameSync(path.join(dir.name, 'b.txt'), source.entries[0]!.sourcePath);
    await expect(source.open(0)).rejects.toMatchObject({ code: 'E_INTERNAL', message: expect.stringContaining('is no longer the file that was offered') });
  });
});
