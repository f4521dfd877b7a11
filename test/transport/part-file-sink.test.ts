import { constants, readFileSync, writeFileSync } from 'node:fs';
import { open } from 'node:fs/promises';
import path from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import tmp from 'tmp';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { PartFileSink } from '../../src/transport/part-file-sink.js';

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

  it('closes the file when the pipeline fails', async () => {
    const handle = await open(path.join(dir.name, 'c.part'), 'wx');
    const failing = new Readable({ objectMode: true, read() { this.destroy(new Error('the peer went away')); } });
    await expect(pipeline(failing, new PartFileSink(handle))).rejects.toThrow('the peer went away');
    await expect(handle.stat()).rejects.toMatchObject({ code: 'EBADF' });
  });
});
