// For scripts (issue 14), with the real bin/sealdrop on 127.0.0.1: `receive --sums FILE` writes
// the list that `hash --check FILE` checks the originals with, and never writes over a file; with
// --json both sides write their events one JSON object a line, the result last.

import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe } from 'vitest';
import { killLeftovers } from '../support/cli.js';
import { e2e, E2E_TIMEOUT_MS } from '../support/e2e.js';
import { sha256Hex } from '../support/files.js';
import { parseJsonLines } from '../support/json-lines.js';

afterAll(killLeftovers);

describe.concurrent('receive --sums FILE', { timeout: E2E_TIMEOUT_MS }, () => {
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

describe.concurrent('--json event stream', { timeout: E2E_TIMEOUT_MS }, () => {
  e2e('a whole transfer, parsed line by line on both sides: the events as they happen, then the result', async ({ sd, expect }) => {
    mkdirSync(path.join(sd.ws.src, 'set'));
    const files = { 'set/big.bin': randomBytes(3 * 1024 * 1024), 'set/small.txt': Buffer.from('small\n') };
    for (const [name, content] of Object.entries(files)) writeFileSync(path.join(sd.ws.src, name), content);
    const totalBytes = Object.values(files).reduce((sum, content) => sum + content.length, 0);
    const verified = Object.entries(files).map(([name, content]) => ({ event: 'verified', path: name, size: content.length, sha256: sha256Hex(content) }));

    const receiver = await sd.startReceiver({ out: sd.ws.out, args: ['--yes', '--json'] });
    // The code is the first line, there before any sender: a script can read it and pass it on.
    await receiver.process.waitForLine('stdout', /^\{"event":"code"/);
    const sender = sd.startSender({ to: receiver.address, code: receiver.code, paths: ['set'], cwd: sd.ws.src, args: ['--json'] });
    await sender.expectExit(0);
    await receiver.process.expectExit(0);

    const received = parseJsonLines(receiver.process.stdout);
    const sent = parseJsonLines(sender.stdout);
    const names = (events: typeof received.events) => events.map((e) => e.event).join(' ');
    expect(names(received.events)).toMatch(/^code route connection secured offer (progress )+verified verified$/);
    expect(names(sent.events)).toMatch(/^route secured accepted (progress )+verified verified$/);

    const [code, route, connection, secured, offer] = received.events;
    expect(route).toEqual({ event: 'route', via: 'direct' });
    expect(sent.events[0]).toEqual(route); // both sides say how they meet
    expect(code).toEqual({ event: 'code', code: receiver.code, addresses: [receiver.address] });
    expect(connection).toEqual({ event: 'connection', remote: expect.stringMatching(/^127\.0\.0\.1:\d+$/) });
    expect(secured).toEqual({ event: 'secured', fingerprint: expect.any(String) });
    expect(sent.events[1]).toEqual(secured); // both sides see the same fingerprint
    expect(sent.events[2]).toEqual({ event: 'accepted' });
    expect(offer).toEqual({ event: 'offer', name: 'set', fileCount: 2, totalBytes, topLevel: [{ name: 'set', isDirectory: true, fileCount: 2, totalBytes, existed: false }] });

    for (const { events } of [received, sent]) {
      const progress = events.filter((e) => e.event === 'progress');
      for (const [i, p] of progress.entries()) {
        expect(p).toEqual({ event: 'progress', index: expect.any(Number), path: expect.stringMatching(/^set\//), fileSize: expect.any(Number), doneBytes: expect.any(Number), totalBytes });
        expect(p.doneBytes as number).toBeLessThanOrEqual(totalBytes);
        if (i > 0) expect(p.doneBytes as number).toBeGreaterThan(progress[i - 1]!.doneBytes as number);
      }
      expect(events.slice(-2)).toEqual(verified);
    }
    const resultFiles = verified.map(({ event: _, ...file }) => file);
    expect(received.result).toMatchObject({ ok: true, kind: 'files', totalBytes, files: resultFiles });
    expect(sent.result).toEqual({ ok: true, kind: 'files', totalBytes, files: resultFiles });
  });

  e2e('a refused offer and a wrong code show as events on the receiver, before the result', async ({ sd, expect }) => {
    writeFileSync(path.join(sd.ws.src, 'taken.txt'), 'new\n');
    writeFileSync(path.join(sd.ws.out, 'taken.txt'), 'mine\n');
    const receiver = await sd.startReceiver({ out: sd.ws.out, args: ['--yes', '--json'] });
    const wrong = sd.startSender({ to: receiver.address, code: `${receiver.code}x`, text: 'hi' });
    await wrong.expectExit(3);
    const refused = sd.startSender({ to: receiver.address, code: receiver.code, paths: ['taken.txt'], cwd: sd.ws.src });
    await refused.expectExit(5);
    await receiver.process.waitForLine('stdout', /^\{"event":"refused"/);
    const text = sd.startSender({ to: receiver.address, code: receiver.code, text: 'then a text' });
    await text.expectExit(0);
    await receiver.process.expectExit(0);
    const { events, result } = parseJsonLines(receiver.process.stdout);
    expect(events.map((e) => e.event)).toEqual(['code', 'route', 'connection', 'connection-failed', 'connection', 'secured', 'refused', 'connection', 'secured']);
    expect(events[3]).toEqual({ event: 'connection-failed', remote: expect.any(String), code: 'E_WRONG_CODE', message: expect.any(String), attemptsLeft: 2 });
    expect(events[6]).toEqual({ event: 'refused', code: 'E_EXISTS', message: expect.stringContaining('taken.txt'), refusalsLeft: 2 });
    expect(result).toEqual({ ok: true, kind: 'text', text: 'then a text' });
  });
});
