/**
 * Turns the paths given to `sealdrop send` into the entries of an OFFER: files as they are,
 * directories recursively with their relative paths, modes and mtimes. Symbolic links are never
 * followed (a link could point anywhere on this machine); they are skipped with a warning. Each
 * file is opened later as the very file that was offered, or not at all.
 */
import { lstatSync, readdirSync, statSync, type Stats } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import path from 'node:path';
import { SealdropError } from '../errors.js';
import type { FileEntry } from '../protocol/messages.js';
import { isOpenedIn, isSameFile, openRegularFile, type FileIdentity } from './safe-fs.js';

export interface LocalFile extends FileEntry {
  /** Where to read it on this machine. */
  readonly sourcePath: string;
  /** Which file that was when it was offered (lstat's st_dev and st_ino). */
  readonly device: number;
  readonly inode: number;
  /** The directory the walk found it in. */
  readonly directory: FileIdentity;
}

/** One place the walk visits: its path here, its path in the offer, and the directory it is in. */
interface Place {
  readonly sourcePath: string;
  readonly relativePath: string;
  readonly directory: FileIdentity;
}

export interface LocalSelection {
  /** What the receiver is shown: the single item's name, or "N items". */
  readonly name: string;
  readonly files: LocalFile[];
  readonly totalBytes: number;
}

export async function collectLocalFiles(inputs: readonly string[], warn: (message: string) => void): Promise<LocalSelection> {
  const files: LocalFile[] = [];
  for (const input of inputs) {
    let stats: Stats;
    try {
      stats = lstatSync(input);
    } catch (error) {
      const { code, message } = error as NodeJS.ErrnoException;
      throw new SealdropError('E_USAGE', `cannot read ${input}: ${code === 'ENOENT' ? 'no such file or directory' : message}`);
    }
    // The entry is named by its last component: `send ../photos` offers "photos/…". Its directory
    // is found as the kernel finds it (`link/../a` is beside the link's target, not beside the
    // link), so not from path.resolve, which drops `link/..` before any link is followed.
    const parent = statSync(path.dirname(input));
    const place = { sourcePath: input, relativePath: path.basename(path.resolve(input)), directory: { device: parent.dev, inode: parent.ino } };
    collect(place, stats, files, warn);
  }
  if (files.length === 0) throw new SealdropError('E_USAGE', 'nothing to send: no regular files among the given paths (empty directories are not sent)');
  const name = inputs.length === 1 ? path.basename(path.resolve(inputs[0]!)) : `${inputs.length} items`;
  return { name, files, totalBytes: files.reduce((sum, f) => sum + f.size, 0) };
}

/** Synchronous, as calls on names and metadata are (see safe-fs.ts): one lstat per file. */
function collect(place: Place, stats: Stats, into: LocalFile[], warn: (message: string) => void): void {
  const { sourcePath, relativePath, directory } = place;
  if (stats.isSymbolicLink()) {
    warn(`skipping symbolic link ${sourcePath}`);
  } else if (stats.isFile()) {
    into.push({
      sourcePath,
      path: relativePath,
      size: Number(stats.size),
      mode: Number(stats.mode) & 0o777,
      mtime: Math.trunc(Number(stats.mtimeMs)),
      device: Number(stats.dev),
      inode: Number(stats.ino),
      directory,
    });
  } else if (stats.isDirectory()) {
    const names = readdirSync(sourcePath).sort();
    const here = { device: stats.dev, inode: stats.ino };
    for (const name of names) {
      const child = { sourcePath: path.join(sourcePath, name), relativePath: `${relativePath}/${name}`, directory: here };
      collect(child, lstatSync(child.sourcePath), into, warn);
    }
  } else {
    warn(`skipping ${sourcePath}: not a regular file or directory`);
  }
}

/**
 * Opens `file` to send it, if its path still leads to the file that was offered. Between the
 * offer and the read, whoever can write in a directory being sent could put a link to any file
 * of ours (a key, say) or a FIFO in its place; opening that would send the other file's bytes,
 * which the receiver keeps in its part file, or wait forever. A directory on the way swapped for
 * a link, during the walk or since, shows in the directory the file was opened in (isOpenedIn).
 */
export async function openLocalFile(file: LocalFile): Promise<FileHandle> {
  const opened = await openRegularFile(file.sourcePath);
  if (opened !== null) {
    const { fd } = opened.handle;
    if (isSameFile(fd, file.sourcePath, opened.stats, file) && isOpenedIn(fd, file.directory)) return opened.handle;
    await opened.handle.close();
  }
  throw new SealdropError('E_INTERNAL', `${file.sourcePath} is no longer the file that was offered (removed, replaced or made a link); send it again`);
}
