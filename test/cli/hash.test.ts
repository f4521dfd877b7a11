/** `sealdrop hash`: sha256sum lines, or with --json {"ok":true,"files":[{path,sha256}]}. */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import tmp from 'tmp';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runHash } from '../../src/cli/commands/hash.js';
import { Output } from '../../src/cli/output.js';
import { sha256Hex } from '../support/files.js';
import { stdioOfEachTest } from '../support/stdio.js';

let dir: tmp.DirResult;
const stdio = stdioOfEachTest();
let files: string[];
beforeEach(() => {
  dir = tmp.dirSync({ unsafeCleanup: true });
  files = [path.join(dir.name, 'a.txt'), path.join(dir.name, 'empty')];
  writeFileSync(files[0]!, 'abc\n');
  writeFileSync(files[1]!, '');
});
afterEach(() => dir.removeCallback());

describe('sealdrop hash', () => {
  it('prints a sha256sum line per file', async () => {
    await runHash(files, await Output.create({ quiet: false, json: false }));
    expect(stdio.stdout).toBe(`${sha256Hex('abc\n')}  ${files[0]}\n${sha256Hex('')}  ${files[1]}\n`);
  });

  it('with --json prints one object with every file, in order, and no sha256sum line', async () => {
    await runHash(files, await Output.create({ quiet: false, json: true }));
    const expected = { ok: true, files: [{ path: files[0], sha256: sha256Hex('abc\n') }, { path: files[1], sha256: sha256Hex('') }] };
    expect(stdio.stdout).toBe(`${JSON.stringify(expected)}\n`);
  });

  it('refuses a missing file with E_USAGE, naming it', async () => {
    const missing = path.join(dir.name, 'nope');
    await expect(runHash([missing], await Output.create({ quiet: false, json: true }))).rejects.toMatchObject({ code: 'E_USAGE', message: `cannot read ${missing}: no such file` });
    expect(stdio.stdout).toBe('');
  });
});
