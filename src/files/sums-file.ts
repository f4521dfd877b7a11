/**
 * `receive --sums FILE`: the received files' sha256sum lines, for `sealdrop hash --check FILE`
 * where they came from. The file is created before the receiver listens, exclusively and without
 * following a link (O_EXCL, O_NOFOLLOW): it never replaces anything, even with --overwrite (which
 * is about received files), and nobody can put a link in its place during the transfer. It is
 * removed again if no files arrive, so it exists exactly when a list was written.
 */
import { fstatSync, unlinkSync } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import { SealdropError } from '../errors.js';
import { CREATE_EXCLUSIVE, lstatOrNull } from './safe-fs.js';

export class SumsFile {
  #handle: FileHandle | null;

  private constructor(
    readonly path: string,
    handle: FileHandle,
  ) {
    this.#handle = handle;
  }

  /** Creates `file`; E_USAGE (before anything is received) if something has that name. */
  static async create(file: string): Promise<SumsFile> {
    const handle = await open(file, CREATE_EXCLUSIVE, 0o666).catch((error: NodeJS.ErrnoException) => {
      const reason = error.code === 'EEXIST' ? 'it already exists, and sealdrop never writes over it: give a new name or remove it' : error.message;
      throw new SealdropError('E_USAGE', `cannot create the --sums list ${file}: ${reason}`, { cause: error });
    });
    return new SumsFile(file, handle);
  }

  /** Writes `lines`, each ended by a line feed, makes them durable and closes the file. */
  async write(lines: readonly string[]): Promise<void> {
    const handle = this.#take();
    try {
      await handle.writeFile(lines.map((line) => `${line}\n`).join(''));
      await handle.sync();
    } finally {
      await handle.close();
    }
  }

  /** Closes and removes the file, if its name still leads to it; does nothing after `write`. */
  async abandon(): Promise<void> {
    if (this.#handle === null) return;
    const handle = this.#take();
    const identity = fstatSync(handle.fd);
    await handle.close();
    const now = lstatOrNull(this.path);
    if (now !== null && now.dev === identity.dev && now.ino === identity.ino) unlinkSync(this.path);
  }

  #take(): FileHandle {
    const handle = this.#handle;
    if (handle === null) throw new SealdropError('E_INTERNAL', 'the --sums list was already written');
    this.#handle = null;
    return handle;
  }
}
