// The sha256sum text format (src/protocol/checksum-lines.ts): what `hash --check` reads and every
// command writes. The expected readings were taken from GNU coreutils 9.1 `sha256sum -c`.

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { escapeName, formatChecksumLine, parseChecksumList, unescapeName } from '../../src/protocol/checksum-lines.js';

const A = 'edeaaff3f1774ad2888673770c6d64097e391bc362d7d6fb34982ddf0efd18cb';

describe('parseChecksumList', () => {
  it('reads text-mode and binary-mode lines, upper-case digits, CRLF, a single space and leading blanks', () => {
    const text = `${A}  a.txt\n${A} *bin/b.iso\r\n${A.toUpperCase()}  C\n${A} single\n  ${A}  indented\n${A}   lead space`;
    expect(parseChecksumList(text)).toEqual({
      entries: [
        { line: 1, sha256: A, name: 'a.txt' },
        { line: 2, sha256: A, name: 'bin/b.iso' },
        { line: 3, sha256: A, name: 'C' },
        { line: 4, sha256: A, name: 'single' },
        { line: 5, sha256: A, name: 'indented' },
        { line: 6, sha256: A, name: ' lead space' },
      ],
      malformedLines: [],
    });
  });

  it('skips blank lines and # comments, and counts every other odd line as malformed', () => {
    const text = ['', '# made by hand', 'garbage line', `${A.slice(1)}  short`, `${A}x  long`, `${A}  `.trimEnd(), `${A}\tname`, `${A}  ok`, '   '].join('\n');
    expect(parseChecksumList(`${text}\n`)).toEqual({ entries: [{ line: 8, sha256: A, name: 'ok' }], malformedLines: [3, 4, 5, 6, 7] });
  });

  it('unescapes the names of lines that start with a backslash, and refuses an escape sha256sum never writes', () => {
    const text = `\\${A}  a\\\\b\n\\${A}  n\\nl\\r\n\\${A}  a\\qb\n\\${A}  trailing\\\n${A}  a\\nb\n`;
    expect(parseChecksumList(text)).toEqual({
      entries: [
        { line: 1, sha256: A, name: 'a\\b' },
        { line: 2, sha256: A, name: 'n\nl\r' },
        { line: 5, sha256: A, name: 'a\\nb' }, // not escaped: taken as written, as sha256sum does
      ],
      malformedLines: [3, 4],
    });
  });

  it('counts a name with a NUL as malformed: no file can have it', () => {
    expect(parseChecksumList(`${A}  a\0b\n`)).toEqual({ entries: [], malformedLines: [1] });
  });

  it('reads back every line formatChecksumLine writes, whatever the name', () => {
    const name = fc.string({ unit: fc.constantFrom('a', 'é', ' ', '*', '\\', '\n', '\r', '#', '\t'), minLength: 1 });
    const hex = fc.stringMatching(/^[0-9a-f]{64}$/);
    fc.assert(
      fc.property(fc.array(fc.tuple(hex, name), { maxLength: 5 }), (files) => {
        const text = files.map(([sha256, n]) => `${formatChecksumLine(sha256, n)}\n`).join('');
        const { entries, malformedLines } = parseChecksumList(text);
        expect(malformedLines).toEqual([]);
        expect(entries.map(({ sha256, name: n }) => [sha256, n])).toEqual(files);
      }),
    );
  });

  it('never throws, and accounts for every line that is not blank or a comment, whatever the text', () => {
    const unit = fc.oneof(fc.constantFrom('\\', '\n', '\r', ' ', '*', '#', '\t', '\0', 'a', 'F', '0', A), fc.string({ maxLength: 3 }));
    fc.assert(
      fc.property(fc.array(unit, { maxLength: 40 }).map((parts) => parts.join('')), (text) => {
        const { entries, malformedLines } = parseChecksumList(text);
        const counted = text.split('\n').filter((line, i, all) => !(i === all.length - 1 && line === '')).filter((line) => !/^[ \t]*(#|$)/.test(line.replace(/\r$/, ''))).length;
        expect(entries.length + malformedLines.length).toBe(counted);
        for (const entry of entries) expect(entry.sha256).toMatch(/^[0-9a-f]{64}$/);
      }),
    );
  });
});

describe('formatChecksumLine', () => {
  it('writes `<hex>  <name>`, and escapes a name with a backslash, LF or CR behind a leading backslash, as sha256sum does', () => {
    expect(formatChecksumLine(A, 'dir/a b.txt')).toBe(`${A}  dir/a b.txt`);
    // `sha256sum 'a\b' $'n\nl'` on coreutils 9.1
    expect(formatChecksumLine(A, 'a\\b')).toBe(`\\${A}  a\\\\b`);
    expect(formatChecksumLine(A, 'n\nl')).toBe(`\\${A}  n\\nl`);
    expect(formatChecksumLine(A, 'c\r')).toBe(`\\${A}  c\\r`);
  });

  it('escapeName and unescapeName are inverses', () => {
    fc.assert(
      fc.property(fc.string({ unit: fc.constantFrom('a', '\\', 'n', 'r', '\n', '\r') }), (name) => {
        expect(unescapeName(escapeName(name))).toBe(name);
      }),
    );
  });
});
