/**
 * Local files as the session's source of entries (session/source.ts): each opened as the very
 * file that was offered (openLocalFile), read chunk by chunk into a few recycled buffers
 * (file-chunks.ts), and checked after sending to be unchanged.
 */
import { fstatSync } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { SealdropError } from '../errors.js';
import type { HashedPrefix } from '../protocol/hashed-prefix.js';
import type { EntrySource, OpenedEntry } from '../session/source.js';
import { BufferPool, readChunks } from './file-chunks.js';
import { hashOpenFile } from './file-hash.js';
import { openLocalFile, type LocalFile, type LocalSelection } from './local-files.js';

/** Bytes per file read, and so per DATA record: one full record, to amortise the per-record cost. */
export const READ_CHUNK_BYTES = 1024 * 1024;

/**
 * Read buffers kept for reuse: enough for every chunk a file's pipeline holds at once (one being
 * read, one waiting in each stage), so that in the steady state no read allocates.
 */
const KEPT_READ_BUFFERS = 6;

export class LocalFilesSource implements EntrySource {
  /** Shared by the files of one transfer, which are sent one after another. */
  readonly #buffers: BufferPool;

  constructor(
    private readonly selection: LocalSelection,
    readChunkBytes: number = READ_CHUNK_BYTES,
  ) {
    this.#buffers = new BufferPool(readChunkBytes, KEPT_READ_BUFFERS);
  }

  get name(): string {
    return this.selection.name;
  }

  get entries(): readonly LocalFile[] {
    return this.selection.files;
  }

  async open(index: number): Promise<OpenedEntry> {
    const file = this.selection.files[index];
    if (file === undefined) throw new SealdropError('E_INTERNAL', `no file at index ${index} of the selection`);
    return new OpenedLocalFile(file, await openLocalFile(file), this.#buffers);
  }
}

class OpenedLocalFile implements OpenedEntry {
  constructor(
    private readonly file: LocalFile,
    private readonly handle: FileHandle,
    private readonly buffers: BufferPool,
  ) {}

  hashPrefix(bytes: number): Promise<HashedPrefix> {
    return hashOpenFile(this.handle, bytes);
  }

  read(offset: number): Readable {
    // Reading stops at the offered size even if the file grows meanwhile; a shrink shows in the
    // count (checkUnchanged). One chunk read ahead.
    return Readable.from(readChunks(this.handle, offset, this.file.size, this.buffers), { objectMode: true, highWaterMark: 1 });
  }

  release(chunk: Buffer): void {
    this.buffers.release(chunk);
  }

  /**
   * Cut short (fewer bytes read than offered), or rewritten in place, which keeps the size but
   * not the mtime. (A synchronous stat, as calls on metadata are: see safe-fs.ts.)
   */
  async checkUnchanged(bytesRead: number): Promise<void> {
    const { file } = this;
    const now = fstatSync(this.handle.fd);
    if (bytesRead !== file.size || now.size !== file.size || Math.trunc(now.mtimeMs) !== file.mtime) {
      throw new SealdropError('E_INTERNAL', `${file.sourcePath} changed while it was being sent (${bytesRead} of ${file.size} bytes read); send it again`);
    }
  }

  close(): Promise<void> {
    return this.handle.close();
  }
}
