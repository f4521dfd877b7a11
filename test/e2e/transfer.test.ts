// End to end: the real `bin/sealdrop` as receiver and sender on 127.0.0.1, transfers that succeed.
// Each test has its own temporary directories and processes (see test/support/e2e.ts), so the
// tests of a group run concurrently.

import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, lstatSync, mkdirSync, readFileSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe } from 'vitest';
import { killLeftovers } from '../support/cli.js';
import { e2e, type E2EScope, E2E_TIMEOUT_MS } from '../support/e2e.js';
import { listTree, partFilesIn, setMtimeExactMs, sha256Hex, sha256OfFile } from '../support/files.js';
import { parseJsonLines } from '../support/json-lines.js';

const MiB = 1024 * 1024;

afterAll(killLeftovers); // a safety net: each test already kills its own processes

describe.concurrent('sealdrop transfers between two processes on 127.0.0.1', { timeout: E2E_TIMEOUT_MS }, () => {
  e2e('sends a 20 MiB random file: same bytes, sha256sum lines on both sides, mode and mtime kept, no .part left', async ({ sd, expect }) => {
    const source = path.join(sd.ws.src, 'big.bin');
    const content = randomBytes(20 * MiB);
    writeFileSync(source, content);
    chmodSync(source, 0o640);
    // A fixed time in the past, with a millisecond part, so "kept" cannot mean "set to now".
    setMtimeExactMs(source, Date.UTC(2021, 4, 6, 7, 8, 9, 123));
    const digest = sha256Hex(content);

    const receiver = await sd.startReceiver({ out: sd.ws.out, args: ['--yes'] });
    const sender = sd.startSender({ to: receiver.address, code: receiver.code, paths: [source] });

    await sender.expectExit(0);
    await receiver.process.expectExit(0);

    const received = path.join(sd.ws.out, 'big.bin');
    expect(sha256OfFile(received)).toBe(digest);
    expect(readFileSync(received).equals(content)).toBe(true);
    expect(receiver.process.stdout).toBe(`${digest}  big.bin\n`);
    expect(sender.stdout).toBe(`${digest}  big.bin\n`);
    expect(receiver.process.stderr).toMatch(/^Received and verified 1 file \(20\.0 MiB\)/m);
    expect(sender.stderr).toMatch(/^Sent 1 file \(20\.0 MiB\); the receiver verified every SHA-256\.$/m);
    const fingerprint = /Session fingerprint: (\S+)/;
    const shownByReceiver = fingerprint.exec(receiver.process.stderr)?.[1];
    expect(shownByReceiver).toMatch(/^[0-9a-f]{4}(-[0-9a-f]{4}){3}$/);
    expect(fingerprint.exec(sender.stderr)?.[1]).toBe(shownByReceiver);

    const sourceStats = statSync(source);
    const receivedStats = statSync(received);
    expect(receivedStats.mode & 0o777).toBe(0o640);
    expect(receivedStats.size).toBe(20 * MiB);
    expect(Math.trunc(receivedStats.mtimeMs)).toBe(Math.trunc(sourceStats.mtimeMs));
    expect(Math.abs(receivedStats.mtimeMs - sourceStats.mtimeMs)).toBeLessThan(1);
    expect(partFilesIn(sd.ws.out)).toEqual([]);
    expect(listTree(sd.ws.out)).toEqual(['big.bin']);
  });

  e2e('sends a directory tree with an empty file; a symbolic link in it is skipped with a warning', async ({ sd, expect }) => {
    const dir = path.join(sd.ws.src, 'dir');
    mkdirSync(path.join(dir, 'a', 'b'), { recursive: true });
    const files: Record<string, Buffer> = {
      'dir/a/b/c.txt': Buffer.from('deep down\n'),
      'dir/empty.txt': Buffer.alloc(0),
      'dir/x.bin': randomBytes(100_000),
    };
    for (const [name, data] of Object.entries(files)) writeFileSync(path.join(sd.ws.src, name), data);
    symlinkSync('x.bin', path.join(dir, 'link'));

    const receiver = await sd.startReceiver({ out: sd.ws.out, args: ['--yes'] });
    const sender = sd.startSender({ to: receiver.address, code: receiver.code, paths: [dir] });
    await sender.expectExit(0);
    await receiver.process.expectExit(0);

    expect(sender.stderr).toContain(`sealdrop: warning: skipping symbolic link ${path.join(dir, 'link')}\n`);
    const expectedLines = Object.entries(files).map(([name, data]) => `${sha256Hex(data)}  ${name}`);
    expect(receiver.process.stdout.split('\n').filter(Boolean)).toEqual(expectedLines);
    expect(sender.stdout.split('\n').filter(Boolean)).toEqual(expectedLines);
    for (const [name, data] of Object.entries(files)) {
      expect(readFileSync(path.join(sd.ws.out, name)).equals(data), name).toBe(true);
    }
    expect(statSync(path.join(sd.ws.out, 'dir/empty.txt')).size).toBe(0);
    expect(existsSync(path.join(sd.ws.out, 'dir/link'))).toBe(false);
    expect(() => lstatSync(path.join(sd.ws.out, 'dir/link'))).toThrow(/ENOENT/);
    expect(listTree(sd.ws.out)).toEqual(['dir/', 'dir/a/', 'dir/a/b/', 'dir/a/b/c.txt', 'dir/empty.txt', 'dir/x.bin']);
  });

  e2e('sends several paths at once, with the code given by --code (which warns); mtimes exact to the ms', async ({ sd, expect }) => {
    writeFileSync(path.join(sd.ws.src, 'one.txt'), 'one\n');
    writeFileSync(path.join(sd.ws.src, 'two.txt'), 'two\n');
    // Regression: utimes takes float seconds and libuv truncates them to microseconds, so a naive
    // `utimes(file, ms / 1000)` stores …000.999 ms for these two (fixed in a99d30c).
    setMtimeExactMs(path.join(sd.ws.src, 'one.txt'), 1_732_253_456_001);
    setMtimeExactMs(path.join(sd.ws.src, 'two.txt'), 1_700_000_000_123);
    const receiver = await sd.startReceiver({ out: sd.ws.out, code: '42-Alpha-Bravo-Charlie', codeVia: 'flag', args: ['--yes'] });
    expect(receiver.code).toBe('42-Alpha-Bravo-Charlie');
    expect(receiver.process.stderr).toMatch(/^sealdrop: warning: --code is visible to other users/m);

    // Letter case and surrounding spaces do not matter.
    const sender = sd.startSender({ to: receiver.address, code: '  42-alpha-bravo-CHARLIE ', codeVia: 'flag', paths: ['one.txt', 'two.txt'], cwd: sd.ws.src });
    await sender.expectExit(0);
    await receiver.process.expectExit(0);
    expect(sender.stderr).toMatch(/^sealdrop: warning: --code is visible to other users/m);
    expect(receiver.process.stderr).toMatch(/^Incoming: 2 items \(2 files, 8 B\)$/m);
    expect(receiver.process.stdout).toBe(`${sha256Hex('one\n')}  one.txt\n${sha256Hex('two\n')}  two.txt\n`);
    expect(listTree(sd.ws.out)).toEqual(['one.txt', 'two.txt']);
    expect(Math.trunc(statSync(path.join(sd.ws.out, 'one.txt')).mtimeMs)).toBe(1_732_253_456_001);
    expect(Math.trunc(statSync(path.join(sd.ws.out, 'two.txt')).mtimeMs)).toBe(1_700_000_000_123);
  });

  e2e('delivers --text to the receiver, which prints it on stdout and writes no file', async ({ sd, expect }) => {
    // No --yes: a text is shown, never saved, so there is nothing to accept.
    const { receiver, sender } = await deliverText(sd, 'hello, world');
    expect(receiver.process.stdout).toBe('hello, world\n');
    expect(sender.stdout).toBe('');
    expect(sender.stderr).toMatch(/^Text delivered\.$/m);
    expect(listTree(sd.ws.out)).toEqual([]);
  });

  e2e('replaces control characters of a text (an ANSI escape) with U+FFFD on the receiver', async ({ sd, expect }) => {
    const { receiver } = await deliverText(sd, '\x1b[31mred');
    expect(receiver.process.stdout).toBe('\uFFFD[31mred\n');
    expect(receiver.process.stdout).not.toContain('\x1b');
    expect(listTree(sd.ws.out)).toEqual([]);
  });

  e2e('keeps the lines of a multi-line text, replacing the other controls in them', async ({ sd, expect }) => {
    const { receiver } = await deliverText(sd, 'first\r\nsecond\tcolumn\nthird');
    expect(receiver.process.stdout).toBe('first\nsecond\uFFFDcolumn\nthird\n');
  });
});

/** Sends `text` to a fresh receiver; both must exit 0. */
async function deliverText(sd: E2EScope, text: string) {
  const receiver = await sd.startReceiver({ out: sd.ws.out });
  const sender = sd.startSender({ to: receiver.address, code: receiver.code, text });
  await sender.expectExit(0);
  await receiver.process.expectExit(0);
  return { receiver, sender };
}

/** The result of --json: the last line on stdout, after the events (test/support/json-lines.ts). */
function parseSingleJson(stdout: string): Record<string, unknown> {
  return parseJsonLines(stdout).result;
}

describe.concurrent('--json', { timeout: E2E_TIMEOUT_MS }, () => {
  e2e('receiver and sender each print the result as the last JSON line on stdout', async ({ sd, expect }) => {
    const source = path.join(sd.ws.src, 'data.bin');
    const content = randomBytes(70_000);
    writeFileSync(source, content);
    const started = await sd.startReceiver({ out: sd.ws.out, args: ['--yes', '--json'] });
    const receiver = started.process;
    const sender = sd.startSender({ to: started.address, code: started.code, paths: [source], args: ['--json'] });
    await sender.expectExit(0);
    await receiver.expectExit(0);

    const file = { path: 'data.bin', size: content.length, sha256: sha256Hex(content) };
    expect(parseSingleJson(receiver.stdout)).toMatchObject({ ok: true, kind: 'files', totalBytes: content.length, files: [file] });
    expect(parseSingleJson(sender.stdout)).toMatchObject({ ok: true, kind: 'files', totalBytes: content.length, files: [file] });
    expect(sender.stderr).not.toMatch(/^Sent /m); // --json hides notes
    expect(readFileSync(path.join(sd.ws.out, 'data.bin')).equals(content)).toBe(true);
  });

  e2e('prints the result of a received text as the last JSON line', async ({ sd, expect }) => {
    const started = await sd.startReceiver({ out: sd.ws.out, args: ['--json'] });
    const receiver = started.process;
    const sender = sd.startSender({ to: started.address, code: started.code, text: 'hi there', args: ['--json'] });
    await sender.expectExit(0);
    await receiver.expectExit(0);
    expect(parseSingleJson(receiver.stdout)).toEqual({ ok: true, kind: 'text', text: 'hi there' });
    expect(parseSingleJson(sender.stdout)).toEqual({ ok: true, kind: 'text' });
  });

  // Issue 10, item 4: the mode used to be the sender's `mode & 0o777` whatever the umask (0777 under umask 077).
  e2e('applies the receiver\'s umask to the sender\'s mode, as cp does', async ({ sd, expect }) => {
    const names = ['open.sh', 'group.txt'];
    writeFileSync(path.join(sd.ws.src, 'open.sh'), '#!/bin/sh\n');
    chmodSync(path.join(sd.ws.src, 'open.sh'), 0o777);
    writeFileSync(path.join(sd.ws.src, 'group.txt'), 'g\n');
    chmodSync(path.join(sd.ws.src, 'group.txt'), 0o664);
    const receiver = await sd.startReceiver({ out: sd.ws.out, args: ['--yes'], umask: 0o027 });
    const sender = sd.startSender({ to: receiver.address, code: receiver.code, paths: names, cwd: sd.ws.src });
    await sender.expectExit(0);
    await receiver.process.expectExit(0);
    expect(statSync(path.join(sd.ws.out, 'open.sh')).mode & 0o777).toBe(0o750);
    expect(statSync(path.join(sd.ws.out, 'group.txt')).mode & 0o777).toBe(0o640);
  });

  // Issue 10, item 8: JSON.stringify left C1 and bidi controls raw in --json output.
  e2e('--json writes a peer\'s DEL, C1 and bidi controls as \\u escapes, and the exact text parses back', async ({ sd, expect }) => {
    const text = 'pay \u202eexe.txt\u202c now\u009b2J\u007f';
    const started = await sd.startReceiver({ out: sd.ws.out, args: ['--json'] });
    const sender = sd.startSender({ to: started.address, code: started.code, text });
    await sender.expectExit(0);
    await started.process.expectExit(0);
    const stdout = started.process.stdout;
    expect(stdout).not.toMatch(/[\u007f-\u009f\u202a-\u202e\u2066-\u2069]/u);
    expect(stdout).toContain('pay \\u202eexe.txt\\u202c now\\u009b2J\\u007f');
    expect(parseSingleJson(stdout)).toEqual({ ok: true, kind: 'text', text });
  });

  // Issue 10, item 9: the command used to carry `--code CODE`, which a person pastes into the sender's process list.
  e2e('prints the code, and a command for the sender without it', async ({ sd, expect }) => {
    const receiver = await sd.startReceiver({ out: sd.ws.out, args: ['--yes'] });
    const commands = receiver.process.lines('stderr').filter((line) => line.includes('sealdrop send'));
    expect(commands).toEqual([`  sealdrop send FILE... --to ${receiver.address}`]);
    expect(receiver.process.stderr).toMatch(/type the code when asked \(or set SEALDROP_CODE\)/);
    expect(receiver.process.stderr.split(receiver.code)).toHaveLength(2); // on the Code line alone
  });

  // Regression: `receive --json` and `receive --quiet` used to print neither the code nor the
  // address anywhere (the announcement was a note, which both hide), so no sender could reach a
  // receiver with a generated code or --port 0. Fixed in eb3680b; stdout keeps only the result.
  for (const flag of ['--json', '--quiet']) {
    e2e(`still tells the person the code and the address (on stderr) with ${flag}`, async ({ sd, expect }) => {
      const receiver = await sd.startReceiver({ out: sd.ws.out, args: ['--yes', flag] });
      // With --json stdout is a script's: the code event may be there; the person's lines are on stderr.
      if (flag === '--quiet') expect(receiver.process.stdout).toBe('');
      const sender = sd.startSender({ to: receiver.address, code: receiver.code, text: 'found you' });
      await sender.expectExit(0);
      await receiver.process.expectExit(0);
      if (flag === '--json') expect(parseSingleJson(receiver.process.stdout)).toEqual({ ok: true, kind: 'text', text: 'found you' });
      else expect(receiver.process.stdout).toBe('found you\n');
    });
  }
});
