/**
 * Turns the paths given to `sealdrop send` into the entries of an OFFER: files as they are,
 * directories recursively with their relative paths, modes and mtimes. Symbolic links are never
 * followed (a link could point anywhere on this machine); they are skipped with a warning.
 */
import { lstat, readdir } from 'node:fs/promises';
import path from 'node:path';
import { SealdropError } from '../errors.js';
import type { FileEntry } from '../protocol/messages.js';

export interface LocalFile extends FileEntry {
  /** Where to read it on this machine. */
  readonly sourcePath: string;
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
    const stats = await lstat(input).catch((error: NodeJS.ErrnoException) => {
      throw new SealdropError('E_USAGE', `cannot read ${input}: ${error.code === 'ENOENT' ? 'no such file or directory' : error.message}`);
    });
    // The entry is named by its last component: `send ../photos` offers "photos/…".
    const base = path.basename(path.resolve(input));
    await collect(input, base, stats, files, warn);
  }
  if (files.length === 0) throw new SealdropError('E_USAGE', 'nothing to send: no regular files among the given paths (empty directories are not sent)');
  const name = inputs.length === 1 ? path.basename(path.resolve(inputs[0]!)) : `${inputs.length} items`;
  return { name, files, totalBytes: files.reduce((sum, f) => sum + f.size, 0) };
}

async function collect(
  sourcePath: string,
  relativePath: string,
  stats: Awaited<ReturnType<typeof lstat>>,
  into: LocalFile[],
  warn: (message: string) => void,
): Promise<void> {
  if (stats.isSymbolicLink()) {
    warn(`skipping symbolic link ${sourcePath}`);
  } else if (stats.isFile()) {
    into.push({ sourcePath, path: relativePath, size: Number(stats.size), mode: Number(stats.mode) & 0o777, mtime: Math.trunc(Number(stats.mtimeMs)) });
  } else if (stats.isDirectory()) {
    const names = (await readdir(sourcePath)).sort();
    for (const name of names) {
      const child = path.join(sourcePath, name);
      await collect(child, `${relativePath}/${name}`, await lstat(child), into, warn);
    }
  } else {
    warn(`skipping ${sourcePath}: not a regular file or directory`);
  }
}
