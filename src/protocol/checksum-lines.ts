/**
 * The text format of GNU `sha256sum` (coreutils 9): one line per file, `<64 hex>  <name>`, or
 * `<64 hex> *<name>` for its binary mode (the same digest on every system sealdrop runs on). A
 * name holding a backslash, a line feed or a carriage return is written escaped (`\\`, `\n`,
 * `\r`) and the line starts with a backslash, so one line is always one file. `hash`, `send`,
 * `receive` and `receive --sums` write these lines; `hash --check` reads them. Pure: text in,
 * entries out, never throws.
 */

export const SHA256_HEX_LENGTH = 64;

/** One line to check: the digest (lower-case hex) a file named `name` must have. */
export interface ChecksumEntry {
  /** 1-based line number in the list, for messages. */
  readonly line: number;
  readonly sha256: string;
  readonly name: string;
}

export interface ChecksumList {
  readonly entries: readonly ChecksumEntry[];
  /** 1-based numbers of the lines that are neither a checksum line, a blank line nor a `#` comment. */
  readonly malformedLines: readonly number[];
}

/** The characters a name is escaped for, and their escapes (as sha256sum writes them). */
const ESCAPES: ReadonlyArray<readonly [string, string]> = [
  ['\\', '\\\\'],
  ['\n', '\\n'],
  ['\r', '\\r'],
];

const NEEDS_ESCAPE = /[\\\n\r]/;

/** The line sha256sum prints for a file: digest, two spaces, name; escaped as above if need be. */
export function formatChecksumLine(sha256: string, name: string): string {
  if (!NEEDS_ESCAPE.test(name)) return `${sha256}  ${name}`;
  return `\\${sha256}  ${escapeName(name)}`;
}

/** `name` with its backslashes, line feeds and carriage returns written as sha256sum escapes them. */
export function escapeName(name: string): string {
  return name.replace(/[\\\n\r]/g, (character) => ESCAPES.find(([plain]) => plain === character)![1]);
}

// Leading blanks, the escape marker, the digest, one space, the mode (' ' text, '*' binary), the name.
const CHECKSUM_LINE = new RegExp(`^[ \\t]*(\\\\?)([0-9a-fA-F]{${SHA256_HEX_LENGTH}}) [ *]?(.+)$`, 's');

/**
 * Reads a list in sha256sum's format. Like `sha256sum -c`, it skips blank lines and `#` comments,
 * takes CRLF line ends, upper-case digits and a single space before the name, and counts every
 * other line as malformed: so is a line whose name is empty, holds a NUL (no file has it) or, on
 * an escaped line, an escape other than `\\`, `\n` and `\r`. The BSD form (`SHA256 (name) = …`)
 * is not read: nothing of sealdrop's writes it.
 */
export function parseChecksumList(text: string): ChecksumList {
  const entries: ChecksumEntry[] = [];
  const malformedLines: number[] = [];
  const lines = text.split('\n');
  if (lines.at(-1) === '') lines.pop(); // the final line feed ends the last line, it starts none
  for (const [index, raw] of lines.entries()) {
    const line = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
    if (/^[ \t]*(#|$)/.test(line)) continue;
    const entry = parseChecksumLine(line, index + 1);
    if (entry === null) malformedLines.push(index + 1);
    else entries.push(entry);
  }
  return { entries, malformedLines };
}

function parseChecksumLine(line: string, lineNumber: number): ChecksumEntry | null {
  const match = CHECKSUM_LINE.exec(line);
  if (match === null) return null;
  const [, escaped, sha256, written] = match as unknown as [string, string, string, string];
  const name = escaped === '\\' ? unescapeName(written) : written;
  if (name === null || name.includes('\0')) return null;
  return { line: lineNumber, sha256: sha256.toLowerCase(), name };
}

/** The name an escaped line stands for, or null if it holds an escape sha256sum never writes. */
export function unescapeName(written: string): string | null {
  let name = '';
  for (let i = 0; i < written.length; i += 1) {
    if (written[i] !== '\\') {
      name += written[i];
      continue;
    }
    const escape = ESCAPES.find(([, text]) => text === written.slice(i, i + 2));
    if (escape === undefined) return null;
    name += escape[0];
    i += 1;
  }
  return name;
}
