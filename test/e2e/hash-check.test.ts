// `sealdrop hash --check LIST` with the real bin/sealdrop, side by side with GNU `sha256sum -c` on
// the same list: the same lines on stdout and the same exit status, for a good list, a changed
// file, a missing file and malformed lines (issue 14).

import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe } from 'vitest';
import { killLeftovers, SEALDROP_BIN } from '../support/cli.js';
import { e2e, type E2EScope, E2E_TIMEOUT_MS } from '../support/e2e.js';
import { sha256Hex } from '../support/files.js';

afterAll(killLeftovers);

const HAVE_SHA256SUM = spawnSync('sha256sum', ['--version']).status === 0;

/** `sha256sum -c LIST` in `cwd`: its stdout and exit status. */
function sha256sumCheck(list: string, cwd: string): { stdout: string; status: number | null } {
  const run = spawnSync('sha256sum', ['-c', list], { cwd, encoding: 'utf8' });
  return { stdout: run.stdout, status: run.status };
}

/** Writes a.txt, b.bin and `dir/c d.txt` into the workspace's src/, and their list as sha256sum writes it. */
function writeFiles(sd: E2EScope): string {
  const files: Record<string, string> = { 'a.txt': 'alpha\n', 'b.bin': 'bravo', 'dir/c d.txt': '' };
  mkdirSync(path.join(sd.ws.src, 'dir'));
  for (const [name, content] of Object.entries(files)) writeFileSync(path.join(sd.ws.src, name), content);
  return Object.entries(files).map(([name, content]) => `${sha256Hex(content)}  ${name}\n`).join('');
}

describe.concurrent('sealdrop hash --check', { timeout: E2E_TIMEOUT_MS }, () => {
  e2e('a good list: every file OK, exit 0, the same lines as sha256sum -c', async ({ sd, expect }) => {
    writeFileSync(path.join(sd.ws.root, 'good.sha256'), writeFiles(sd));
    const { code, stdout, stderr } = await sd.runToEnd(['hash', '--check', '../good.sha256'], { cwd: sd.ws.src });
    expect(code, stderr).toBe(0);
    expect(stdout).toBe('a.txt: OK\nb.bin: OK\ndir/c d.txt: OK\n');
    expect(stderr).toBe('');
    if (HAVE_SHA256SUM) expect(sha256sumCheck('../good.sha256', sd.ws.src)).toEqual({ stdout, status: 0 });
  });

  e2e('a changed file, a missing file and malformed lines: FAILED lines, warnings, exit 1, as sha256sum -c', async ({ sd, expect }) => {
    const list = `${writeFiles(sd)}${sha256Hex('x')}  missing.txt\nnot a checksum line\n# a comment\n\n${sha256Hex('alpha\n').toUpperCase()} *a.txt\n`;
    writeFileSync(path.join(sd.ws.root, 'list'), list);
    writeFileSync(path.join(sd.ws.src, 'b.bin'), 'bravo, changed');
    const { code, stdout, stderr } = await sd.runToEnd(['hash', '--check', '../list'], { cwd: sd.ws.src });
    expect(code).toBe(1);
    expect(stdout).toBe('a.txt: OK\nb.bin: FAILED\ndir/c d.txt: OK\nmissing.txt: FAILED open or read\na.txt: OK\n');
    expect(stderr).toContain('sealdrop: warning: cannot read missing.txt: no such file\n');
    expect(stderr).toContain('sealdrop: warning: 1 line is improperly formatted (line 5 of ../list)\n');
    expect(stderr).toMatch(/^sealdrop: E_INTEGRITY: 1 listed file could not be read, 1 computed checksum did NOT match \(3 of 5 OK\)$/m);
    if (HAVE_SHA256SUM) expect(sha256sumCheck('../list', sd.ws.src)).toEqual({ stdout, status: 1 });
  });

  e2e('a list with no checksum line at all fails (E_USAGE, exit 2; sha256sum -c exits 1)', async ({ sd, expect }) => {
    writeFileSync(path.join(sd.ws.root, 'junk'), 'junk\n\n# nothing here\n');
    const { code, stdout, stderr } = await sd.runToEnd(['hash', '--check', 'junk'], { cwd: sd.ws.root });
    expect(code).toBe(2);
    expect(stdout).toBe('');
    expect(stderr).toMatch(/^sealdrop: E_USAGE: junk: no properly formatted checksum lines found/);
    if (HAVE_SHA256SUM) expect(sha256sumCheck('junk', sd.ws.root)).toEqual({ stdout: '', status: 1 });
  });

  e2e('--json: one "checked" event per file, then the result', async ({ sd, expect }) => {
    const list = writeFiles(sd);
    writeFileSync(path.join(sd.ws.root, 'good.sha256'), `${list}oops\n`);
    const { code, stdout } = await sd.runToEnd(['hash', '--json', '--check', '../good.sha256'], { cwd: sd.ws.src });
    expect(code).toBe(0);
    const lines = stdout.trimEnd().split('\n').map((line) => JSON.parse(line) as Record<string, unknown>);
    const digests = list.trimEnd().split('\n').map((line) => line.slice(0, 64));
    const files = ['a.txt', 'b.bin', 'dir/c d.txt'].map((name, i) => ({ path: name, sha256: digests[i], result: 'ok' }));
    expect(lines).toEqual([...files.map((file, i) => ({ event: 'checked', line: i + 1, ...file })), { ok: true, files, malformedLines: [4] }]);
  });

  e2e.runIf(HAVE_SHA256SUM)('names sha256sum escaped (a backslash, a line feed) are read back and shown as sha256sum -c shows them', async ({ sd, expect }) => {
    const names = ['back\\slash', 'line\nfeed', 'plain'];
    for (const name of names) writeFileSync(path.join(sd.ws.src, name), name);
    const list = spawnSync('sha256sum', names, { cwd: sd.ws.src, encoding: 'utf8' }).stdout;
    expect(list).toMatch(/^\\[0-9a-f]{64} {2}back\\\\slash$/m); // sha256sum escaped it
    writeFileSync(path.join(sd.ws.root, 'escaped'), list);
    const ours = await sd.runToEnd(['hash', ...names], { cwd: sd.ws.src });
    expect(ours.stdout).toBe(list); // `sealdrop hash` writes the same lines
    const { code, stdout, stderr } = await sd.runToEnd(['hash', '--check', '../escaped'], { cwd: sd.ws.src });
    expect(code, stderr).toBe(0);
    expect(stdout).toBe('back\\slash: OK\n\\line\\nfeed: OK\nplain: OK\n');
    expect(sha256sumCheck('../escaped', sd.ws.src)).toEqual({ stdout, status: 0 });
  });

  e2e('reads the list from standard input with -', async ({ sd, expect }) => {
    const list = writeFiles(sd);
    const run = spawnSync(process.execPath, [SEALDROP_BIN, 'hash', '-c', '-'], { cwd: sd.ws.src, input: list, encoding: 'utf8' });
    expect(run.status, run.stderr).toBe(0);
    expect(run.stdout).toBe('a.txt: OK\nb.bin: OK\ndir/c d.txt: OK\n');
  });
});
