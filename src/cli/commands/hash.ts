/**
 * `sealdrop hash FILE...`: SHA-256 in the format of sha256sum, to check a received file anywhere;
 * `sealdrop hash --check LIST`: checks the files a list in that format names, as `sha256sum -c`.
 */
import { readFile } from 'node:fs/promises';
import { SealdropError } from '../../errors.js';
import { hashFile } from '../../files/file-hash.js';
import { escapeName, parseChecksumList, type ChecksumEntry } from '../../protocol/checksum-lines.js';
import { forDisplay } from '../../protocol/display.js';
import { plural, sha256sumLine } from '../format.js';
import type { Output } from '../output.js';

export async function runHash(files: readonly string[], output: Output): Promise<void> {
  const results: Array<{ path: string; sha256: string }> = [];
  for (const file of files) {
    const { hash } = await hashFile(file).catch((error: NodeJS.ErrnoException) => {
      throw new SealdropError('E_USAGE', `cannot read ${file}: ${describeReadError(error)}`);
    });
    const sha256 = hash.digest('hex');
    results.push({ path: file, sha256 });
    output.result(sha256sumLine(sha256, file));
  }
  output.jsonResult({ ok: true, files: results });
}

/** How one listed file fared: its digest matched, did not, or the file could not be read. */
export type CheckResult = 'ok' | 'failed' | 'unreadable';

/** What `sha256sum -c` prints after the name for each result. */
const RESULT_WORDS: Readonly<Record<CheckResult, string>> = { ok: 'OK', failed: 'FAILED', unreadable: 'FAILED open or read' };

/**
 * Checks every file `listPath` names (`-`: standard input) against its digest, printing
 * `NAME: OK` or `NAME: FAILED` as it goes. Ends with E_INTEGRITY (exit status 1, as sha256sum)
 * if any file failed or could not be read, and with E_USAGE if no line of the list was a
 * checksum line; malformed lines among good ones are counted in a warning, as sha256sum does.
 */
export async function runHashCheck(listPath: string, output: Output): Promise<void> {
  const { entries, malformedLines } = parseChecksumList(await readList(listPath));
  if (entries.length === 0) {
    throw new SealdropError('E_USAGE', `${forDisplay(listPath)}: no properly formatted checksum lines found (expected lines of \`sha256sum\` or \`sealdrop hash\`: 64 hex digits, two spaces, a file name)`);
  }
  const counts: Record<CheckResult, number> = { ok: 0, failed: 0, unreadable: 0 };
  const files: Array<{ path: string; sha256: string; result: CheckResult }> = [];
  for (const entry of entries) {
    const result = await checkEntry(entry, output);
    counts[result] += 1;
    files.push({ path: entry.name, sha256: entry.sha256, result });
    output.result(`${shownName(entry.name)}: ${RESULT_WORDS[result]}`);
    output.event('checked', { line: entry.line, path: entry.name, sha256: entry.sha256, result });
  }
  if (malformedLines.length > 0) {
    const count = malformedLines.length;
    output.warn(`${plural(count, 'line')} ${count === 1 ? 'is' : 'are'} improperly formatted (line ${malformedLines.join(', ')} of ${listPath})`);
  }
  const problems = [
    counts.unreadable > 0 ? `${plural(counts.unreadable, 'listed file')} could not be read` : '',
    counts.failed > 0 ? `${plural(counts.failed, 'computed checksum')} did NOT match` : '',
  ].filter(Boolean);
  if (problems.length > 0) throw new SealdropError('E_INTEGRITY', `${problems.join(', ')} (${counts.ok} of ${entries.length} OK)`);
  output.jsonResult({ ok: true, files, malformedLines });
}

async function readList(listPath: string): Promise<string> {
  try {
    return listPath === '-' ? await readStream(process.stdin) : await readFile(listPath, 'utf8');
  } catch (error) {
    throw new SealdropError('E_USAGE', `cannot read the list ${listPath}: ${describeReadError(error as NodeJS.ErrnoException)}`);
  }
}

async function readStream(stream: NodeJS.ReadableStream): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(Buffer.from(chunk as Buffer));
  return Buffer.concat(chunks).toString('utf8');
}

async function checkEntry(entry: ChecksumEntry, output: Output): Promise<CheckResult> {
  try {
    const { hash } = await hashFile(entry.name);
    return hash.digest('hex') === entry.sha256 ? 'ok' : 'failed';
  } catch (error) {
    output.warn(`cannot read ${entry.name}: ${describeReadError(error as NodeJS.ErrnoException)}`);
    return 'unreadable';
  }
}

/**
 * A listed name as `sha256sum -c` shows it: escaped behind a backslash if it holds a line break,
 * so one line stays one file; then without any character a terminal would obey (the list may
 * come from another machine).
 */
function shownName(name: string): string {
  return forDisplay(/[\n\r]/.test(name) ? `\\${escapeName(name)}` : name);
}

function describeReadError(error: NodeJS.ErrnoException): string {
  switch (error.code) {
    case 'ENOENT':
      return 'no such file';
    case 'EISDIR':
      return 'is a directory';
    case 'EACCES':
      return 'permission denied';
    default:
      return error.message;
  }
}
