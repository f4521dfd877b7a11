import { constants, readFileSync, writeFileSync } from 'node:fs';
import { open } from 'node:fs/promises';
import path from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import tmp from 'tmp';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { PartFileSink } from '../../src/files/part-file-sink.js';

let dir: tmp.DirResult;
beforeEach(() => {
  dir = tmp.dirSync({ unsafeCleanup: true });
});
afterEach(() => dir.removeCallback());

const records = (...bodies: string[][]) => Readable.from(bodies.map((pieces) => pieces.map((piece) => Buffer.from(piece))));

describe('PartFileSink', () => {
  it('writes each record’s pieces in order, then closes the file', async () => {
    const file = path.join(dir.name, 'a.part');
    const handle = await open(file, 'wx');
    await pipeline(records(['al', 'pha '], [], ['beta'], ['', ' gamma']), new PartFileSink(handle));
    expect(readFileSync(file, 'utf8')).toBe('alpha beta gamma');
    await expect(handle.stat()).rejects.toMatchObject({ code: 'EBADF' }); // closed
  });

  it('appends to a kept part file opened for a resume', async () => {
    const file = path.join(dir.name, 'b.part');
    writeFileSync(file, 'kept prefix|');
    const handle = await open(file, constants.O_WRONLY | constants.O_APPEND);
    await pipeline(records(['the ', 'rest']), new PartFileSink(handle));
    expect(readFileSync(file, 'utf8')).toBe('kept prefix|the rest');
  });

  it('flushes to the disk in the background every so many bytes, and fsyncs at the end', async () => {
    const handle = await open(path.join(dir.name, 'd.part'), 'wx');
    const datasync = vi.spyOn(handle, 'datasync');
    const sync = vi.spyOn(handle, 'sync');
    await pipeline(records(['0123456789'], ['0123456789'], ['0123456789'], ['0123456789'], ['01234']), new PartFileSink(handle, 20));
    // After 20 bytes, and after 40 unless the first flush was still running; never more often.
    expect(datasync.mock.calls.length).toBeGreaterThanOrEqual(1);
    expect(datasync.mock.calls.length).toBeLessThanOrEqual(2);
    expect(sync).toHaveBeenCalledTimes(1);
  });

  it('leaves less than the interval to the final fsync alone', async () => {
    const handle = await open(path.join(dir.name, 'f.part'), 'wx');
    const datasync = vi.spyOn(handle, 'datasync');
    await pipeline(records(['0123456789'], ['01234']), new PartFileSink(handle, 20));
    expect(datasync).not.toHaveBeenCalled();
  });

  it('reports a failed background flush instead of finishing as if the data were safe', async () => {
    const handle = await open(path.join(dir.name, 'e.part'), 'wx');
    vi.spyOn(handle, 'datasync').mockRejectedValue(Object.assign(new Error('EIO: i/o error, fdatasync'), { code: 'EIO' }));
    const sink = new PartFileSink(handle, 1);
    await expect(pipeline(records(['one']), sink)).rejects.toMatchObject({ code: 'EIO' });
  });

  it('closes the file when the pipeline fails', async () => {
    const handle = await open(path.join(dir.name, 'c.part'), 'wx');
    const failing = new Readable({ objectMode: true, read() { this.destroy(new Error('the peer went away')); } });
    await expect(pipeline(failing, new PartFileSink(handle))).rejects.toThrow('the peer went away');
    await expect(handle.stat()).rejects.toMatchObject({ code: 'EBADF' });
  });
});
