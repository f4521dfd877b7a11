/** Temporary directories and file checks for the end-to-end tests. */
import { createHash } from 'node:crypto';
import { createReadStream, mkdirSync, readdirSync, readFileSync, utimesSync } from 'node:fs';
import path from 'node:path';
import tmp from 'tmp';

export interface Workspace {
  /** The temporary root. */
  readonly root: string;
  /** An empty directory for the sender's files. */
  readonly src: string;
  /** An empty directory given to the receiver as --out. */
  readonly out: string;
  readonly cleanup: () => void;
}

/** A fresh temporary directory with empty `src/` and `out/`, removed (with its contents) by `cleanup`. */
export function makeWorkspace(): Workspace {
  const dir = tmp.dirSync({ unsafeCleanup: true, prefix: 'sealdrop-e2e-' });
  const src = path.join(dir.name, 'src');
  const out = path.join(dir.name, 'out');
  mkdirSync(src);
  mkdirSync(out);
  return { root: dir.name, src, out, cleanup: () => dir.removeCallback() };
}

export function sha256Hex(data: Buffer | string): string {
  return createHash('sha256').update(data).digest('hex');
}

export function sha256OfFile(file: string): string {
  return sha256Hex(readFileSync(file));
}

/** The hex SHA-256 of a file read as a stream, for files too large to hold in a test's memory. */
export async function sha256OfLargeFile(file: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/** Every entry below `directory` (files, directories, links, hidden ones too), as sorted relative paths. */
export function listTree(directory: string): string[] {
  const found: string[] = [];
  const walk = (relative: string) => {
    for (const entry of readdirSync(path.join(directory, relative), { withFileTypes: true })) {
      const child = relative === '' ? entry.name : `${relative}/${entry.name}`;
      found.push(entry.isDirectory() ? `${child}/` : child);
      if (entry.isDirectory()) walk(child);
    }
  };
  walk('');
  return found.sort();
}

/** Part files (`.sealdrop-<hex>.part`) and their resume records (`….part.json`) anywhere below `directory`. */
export function partFilesIn(directory: string): string[] {
  return listTree(directory).filter((entry) => /(^|\/)\.sealdrop-[0-9a-f]+\.part(\.json)?$/.test(entry));
}

/**
 * Sets a file's mtime to exactly `epochMs` milliseconds (no sub-millisecond rest). Node passes
 * times as a double of seconds and libuv truncates it to microseconds, so the half microsecond
 * added here makes the stored time land on the millisecond instead of 1 µs before it.
 */
export function setMtimeExactMs(file: string, epochMs: number): void {
  const seconds = (epochMs * 1000 + 0.5) / 1e6;
  utimesSync(file, seconds, seconds);
}
