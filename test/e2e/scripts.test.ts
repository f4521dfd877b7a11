// For scripts (issue 14), with the real bin/sealdrop on 127.0.0.1: `receive --sums FILE` writes
// the list that `hash --check FILE` checks the originals with, and never writes over a file.

import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe } from 'vitest';
import { killLeftovers } from '../support/cli.js';
import { e2e } from '../support/e2e.js';
import { sha256Hex } from '../support/files.js';

afterAll(killLeftovers);

describe.concurrent('receive --sums FILE', { timeout: 20_000 }, () => {
  e2e('writes the received files\' lines, and hash --check FILE on the sending side checks the originals', async ({ sd, expect }) => {
    mkdirSync(path.join(sd.ws.src, 'docs'));
    const files = { 'docs/a.txt': 'alpha\n', 'docs/b.bin': randomBytes(70_000) };
    for (const [name, content] of Object.entries(files)) writeFileSync(path.join(sd.ws.src, name), content);
    const sums = path.join(sd.ws.root, 'got.sha256');
    const receiver = await sd.startReceiver({ out: sd.ws.out, args: ['--yes', '--sums', sums] });
    const sender = sd.startSender({ to: receiver.address, code: receiver.code, paths: ['docs'], cwd: sd.ws.src });
    await sender.expectExit(0);
    await receiver.process.expectExit(0);

    const list = Object.entries(files).map(([name, content]) => `${sha256Hex(content)}  ${name}\n`).join('');
    expect(readFileSync(sums, 'utf8')).toBe(list);
    expect(receiver.process.stdout).toBe(list); // the same lines as on stdout
    const check = await sd.runToEnd(['hash', '--check', sums], { cwd: sd.ws.src });
    expect(check.code, check.stderr).toBe(0);
    expect(check.stdout).toBe('docs/a.txt: OK\ndocs/b.bin: OK\n');
    writeFileSync(path.join(sd.ws.src, 'docs/a.txt'), 'changed since\n');
    const recheck = await sd.runToEnd(['hash', '--check', sums], { cwd: sd.ws.src });
    expect(recheck.code).toBe(1);
    expect(recheck.stdout).toBe('docs/a.txt: FAILED\ndocs/b.bin: OK\n');
  });

  e2e('refuses a FILE that exists (E_USAGE, exit 2) before listening, and leaves it as it was', async ({ sd, expect }) => {
    const sums = path.join(sd.ws.root, 'mine.txt');
    writeFileSync(sums, 'keep me\n');
    const run = await sd.runToEnd(['receive', '--host', '127.0.0.1', '--port', '0', '--out', sd.ws.out, '--yes', '--sums', sums]);
    expect(run.code, run.stderr).toBe(2);
    expect(run.stderr).toMatch(/^sealdrop: E_USAGE: cannot create the --sums list .*mine\.txt: it already exists, and sealdrop never writes over it/m);
    expect(run.stderr).not.toMatch(/^Code: /m);
    expect(readFileSync(sums, 'utf8')).toBe('keep me\n');
  });

  e2e('removes FILE again when no files arrived (a text)', async ({ sd, expect }) => {
    const sums = path.join(sd.ws.root, 'got.sha256');
    const receiver = await sd.startReceiver({ out: sd.ws.out, args: ['--sums', sums] });
    expect(existsSync(sums)).toBe(true); // claimed before the code is shown
    const sender = sd.startSender({ to: receiver.address, code: receiver.code, text: 'no files' });
    await sender.expectExit(0);
    await receiver.process.expectExit(0);
    expect(existsSync(sums)).toBe(false);
    expect(receiver.process.stderr).toContain('a text arrived, not files: no list written to');
  });
});
