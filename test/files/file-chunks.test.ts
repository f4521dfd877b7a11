import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import path from 'node:path';
import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import tmp from 'tmp';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FrameDecoder } from '../../src/protocol/frames.js';
import { RecordOpener, RecordSealer } from '../../src/protocol/records.js';
import { BufferPool, readChunks } from '../../src/files/file-chunks.js';
import { DataSealer } from '../../src/channel/record-streams.js';

let dir: tmp.DirResult;
const handles: FileHandle[] = [];
beforeEach(() => {
  dir = tmp.dirSync({ unsafeCleanup: true });
});
afterEach(async () => {
  await Promise.all(handles.splice(0).map((handle) => handle.close()));
  dir.removeCallback();
});

/** `data` written to a file in the test directory, opened for reading. */
async function fileWith(data: Buffer): Promise<FileHandle> {
  const file = path.join(dir.name, 'data.bin');
  writeFileSync(file, data);
  const handle = await open(file, 'r');
  handles.push(handle);
  return handle;
}

async function collect(chunks: AsyncIterable<Buffer>): Promise<Buffer[]> {
  const copies = [];
  for await (const chunk of chunks) copies.push(Buffer.from(chunk)); // copied: the buffers are reused
  return copies;
}

describe('BufferPool', () => {
  it('hands a released buffer out again and keeps no more than it may', () => {
    const pool = new BufferPool(8, 1);
    const a = pool.acquire();
    const b = pool.acquire();
    expect(a.buffer).not.toBe(b.buffer);
    pool.release(a.subarray(0, 3));
    pool.release(b);
    expect(pool.acquire().buffer).toBe(a.buffer);
    expect(pool.acquire().buffer).not.toBe(b.buffer); // b was one too many to keep
  });

  it('ignores chunks that are not views of one of its buffers from the start', () => {
    const pool = new BufferPool(8, 4);
    const foreign = Buffer.alloc(16);
    pool.release(foreign.subarray(0, 8));
    pool.release(pool.acquire().subarray(2));
    expect(pool.acquire().buffer).not.toBe(foreign.buffer);
  });
});

describe('readChunks', () => {
  it('reads the range in chunks of at most the buffer size', async () => {
    const data = randomBytes(100);
    const chunks = await collect(readChunks(await fileWith(data), 10, 95, new BufferPool(32, 2)));
    expect(chunks.map((c) => c.length)).toEqual([32, 32, 21]);
    expect(Buffer.concat(chunks)).toEqual(data.subarray(10, 95));
  });

  it('reads to the end of the file when the end is Infinity', async () => {
    const data = randomBytes(70);
    expect(Buffer.concat(await collect(readChunks(await fileWith(data), 5, Infinity, new BufferPool(32, 2))))).toEqual(data.subarray(5));
  });

  it('stops where a file that shrank ends', async () => {
    const chunks = await collect(readChunks(await fileWith(randomBytes(40)), 0, 100, new BufferPool(32, 2)));
    expect(chunks.map((c) => c.length)).toEqual([32, 8]);
  });
});

describe('DataSealer with a pool', () => {
  it('releases each chunk only after sealing it, so reusing the buffer changes nothing sent', async () => {
    const data = randomBytes(5000);
    const source = await fileWith(data);
    const pool = new BufferPool(1024, 2);
    const key = Buffer.alloc(32, 3);
    const sent: Buffer[] = [];
    await pipeline(
      Readable.from(readChunks(source, 0, data.length, pool), { objectMode: true, highWaterMark: 1 }),
      new DataSealer(new RecordSealer(key), (chunk) => {
        pool.release(chunk);
        pool.acquire().fill(0xee); // scribble over the buffer as the next read would
      }),
      new Writable({ write: (piece: Buffer, _encoding, done) => void (sent.push(piece), done()) }),
    );
    const opener = new RecordOpener(key);
    const frames = new FrameDecoder(0).push(Buffer.concat(sent));
    const bodies = frames.map((frame) => (frame.kind === 'record' ? opener.open(frame).body : Buffer.alloc(0)));
    expect(Buffer.concat(bodies)).toEqual(data);
  });
});
