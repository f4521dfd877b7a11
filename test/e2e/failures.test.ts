// End to end: the real `bin/sealdrop` refusing, failing and reporting, with the documented exit statuses.

import { lstatSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe } from 'vitest';
import { expectAwaitingCorrectedOffer, killLeftovers, LOOPBACK } from '../support/cli.js';
import { e2e, type E2EScope, E2E_TIMEOUT_MS } from '../support/e2e.js';
import { closeServer, countingServer } from '../support/relays.js';
import { listTree, partFilesIn, sha256Hex } from '../support/files.js';
import { parseJsonLines } from '../support/json-lines.js';

afterAll(killLeftovers); // a safety net: each test already kills its own processes

/** One line on stderr of the form `sealdrop: E_CODE: reason`, and nothing else. */
const ERROR_LINE = (code: string) => new RegExp(`^sealdrop: ${code}: \\S.*\\n$`);

function writeSource(sd: E2EScope, name = 'report.txt', content = 'the new report\n'): string {
  const file = path.join(sd.ws.src, name);
  writeFileSync(file, content);
  return file;
}

describe.concurrent('wrong codes', { timeout: E2E_TIMEOUT_MS }, () => {
  e2e('refuses a sender with a wrong code, keeps waiting, then accepts the right one', async ({ sd, expect }) => {
    const source = writeSource(sd);
    const receiver = await sd.startReceiver({ out: sd.ws.out, code: '5-right-code-here', args: ['--yes'] });

    const wrong = sd.startSender({ to: receiver.address, code: '5-wrong-code-here', paths: [source] });
    await wrong.expectExit(3);
    expect(wrong.stderr).toMatch(/^sealdrop: E_WRONG_CODE: the other side says the code is wrong: either one of you typed it wrong, or someone in between tried to guess it/m);
    expect(wrong.stdout).toBe('');

    const report = await receiver.process.waitForLine('stderr', /^sealdrop: warning: connection from 127\.0\.0\.1:\d+ failed: E_WRONG_CODE: .*\(2 attempts left\)$/);
    expect(report[0]).toContain('attempts left');
    await receiver.process.expectStillRunningAfter(300);
    expect(listTree(sd.ws.out)).toEqual([]);

    const right = sd.startSender({ to: receiver.address, code: '5-right-code-here', paths: [source] });
    await right.expectExit(0);
    await receiver.process.expectExit(0);
    expect(readFileSync(path.join(sd.ws.out, 'report.txt'), 'utf8')).toBe('the new report\n');
    expect(receiver.process.stdout).toBe(`${sha256Hex('the new report\n')}  report.txt\n`);
  });

  e2e('spends the code after three wrong attempts: the receiver exits 3 with E_CODE_SPENT', async ({ sd, expect }) => {
    const source = writeSource(sd);
    const receiver = await sd.startReceiver({ out: sd.ws.out, code: '9-only-this-one', args: ['--yes'] });
    const left = ['2 attempts left', '1 attempt left', '0 attempts left'];
    for (const [attempt, leftText] of left.entries()) {
      const wrong = sd.startSender({ to: receiver.address, code: `9-not-this-one-${attempt}`, paths: [source] });
      await wrong.expectExit(3);
      expect(wrong.stderr).toMatch(/^sealdrop: E_WRONG_CODE: /m);
      await receiver.process.waitForLine('stderr', new RegExp(`E_WRONG_CODE: .*\\(${leftText}\\)$`));
    }
    await receiver.process.expectExit(3);
    expect(receiver.process.stderr).toMatch(/^sealdrop: E_CODE_SPENT: /m);
    expect(receiver.process.stdout).toBe('');
    expect(listTree(sd.ws.out)).toEqual([]);
  });
});

describe.concurrent('refusals after the handshake', { timeout: E2E_TIMEOUT_MS }, () => {
  e2e('does not replace an existing file without --overwrite: the sender exits 5 with E_EXISTS, the receiver waits for a corrected offer', async ({ sd, expect }) => {
    const source = writeSource(sd, 'report.txt', 'the new report\n');
    const existing = path.join(sd.ws.out, 'report.txt');
    writeFileSync(existing, 'the old report, keep me\n');

    const receiver = await sd.startReceiver({ out: sd.ws.out, args: ['--yes'] });
    const sender = sd.startSender({ to: receiver.address, code: receiver.code, paths: [source] });
    await sender.expectExit(5);
    await expectAwaitingCorrectedOffer(receiver.process);
    expect(sender.stderr).toMatch(/^sealdrop: E_EXISTS: /m);
    expect(receiver.process.stderr).toMatch(/^sealdrop: warning: refused the offer: E_EXISTS: .*already exists \(use --overwrite to replace it\)$/m);
    expect(sender.stdout).toBe('');
    expect(receiver.process.stdout).toBe('');
    expect(readFileSync(existing, 'utf8')).toBe('the old report, keep me\n');
    expect(partFilesIn(sd.ws.out)).toEqual([]);
    expect(listTree(sd.ws.out)).toEqual(['report.txt']);
  });

  e2e('replaces an existing file with --overwrite', async ({ sd, expect }) => {
    const source = writeSource(sd, 'report.txt', 'the new report\n');
    const existing = path.join(sd.ws.out, 'report.txt');
    writeFileSync(existing, 'the old report, replace me\n');

    const receiver = await sd.startReceiver({ out: sd.ws.out, args: ['--yes', '--overwrite'] });
    const sender = sd.startSender({ to: receiver.address, code: receiver.code, paths: [source] });
    await sender.expectExit(0);
    await receiver.process.expectExit(0);
    expect(readFileSync(existing, 'utf8')).toBe('the new report\n');
    expect(receiver.process.stdout).toBe(`${sha256Hex('the new report\n')}  report.txt\n`);
    expect(partFilesIn(sd.ws.out)).toEqual([]);
    expect(listTree(sd.ws.out)).toEqual(['report.txt']);
  });

  e2e('declines a file offer when there is no terminal to ask and no --yes: both exit 4 with E_DECLINED', async ({ sd, expect }) => {
    const source = writeSource(sd);
    const receiver = await sd.startReceiver({ out: sd.ws.out });
    const sender = sd.startSender({ to: receiver.address, code: receiver.code, paths: [source] });
    await sender.expectExit(4);
    await receiver.process.expectExit(4);
    expect(sender.stderr).toMatch(/^sealdrop: E_DECLINED: /m);
    expect(receiver.process.stderr).toMatch(/^sealdrop: warning: no terminal to ask whether to accept: declining/m);
    expect(receiver.process.stderr).toMatch(/^sealdrop: E_DECLINED: /m);
    expect(sender.stdout).toBe('');
    expect(receiver.process.stdout).toBe('');
    expect(listTree(sd.ws.out)).toEqual([]);
  });

  e2e('prints {"ok":false} as the last JSON line on stdout when a --json receive fails', async ({ sd, expect }) => {
    const source = writeSource(sd);
    const started = await sd.startReceiver({ out: sd.ws.out, args: ['--json'] });
    const receiver = started.process;
    const sender = sd.startSender({ to: started.address, code: started.code, paths: [source], args: ['--json'] });
    await sender.expectExit(4);
    await receiver.expectExit(4);
    for (const side of [receiver, sender]) {
      expect(parseJsonLines(side.stdout).result).toMatchObject({ ok: false, code: 'E_DECLINED' });
      expect(side.stderr).toMatch(/^sealdrop: E_DECLINED: /m);
    }
  });
});

describe.concurrent('destination safety against links', { timeout: E2E_TIMEOUT_MS }, () => {
  e2e('refuses to write through a symbolic link at the target, even with --overwrite: E_BAD_PATH (the sender exits 5)', async ({ sd, expect }) => {
    const source = writeSource(sd);
    const victim = path.join(sd.ws.root, 'victim.txt');
    writeFileSync(victim, 'outside the destination\n');
    symlinkSync(victim, path.join(sd.ws.out, 'report.txt'));

    const receiver = await sd.startReceiver({ out: sd.ws.out, args: ['--yes', '--overwrite'] });
    const sender = sd.startSender({ to: receiver.address, code: receiver.code, paths: [source] });
    await sender.expectExit(5);
    await expectAwaitingCorrectedOffer(receiver.process);
    expect(sender.stderr).toMatch(/^sealdrop: E_BAD_PATH: /m);
    expect(receiver.process.stderr).toMatch(/^sealdrop: warning: refused the offer: E_BAD_PATH: .*symbolic link/m);
    expect(readFileSync(victim, 'utf8')).toBe('outside the destination\n');
    expect(lstatSync(path.join(sd.ws.out, 'report.txt')).isSymbolicLink()).toBe(true);
    expect(listTree(sd.ws.out)).toEqual(['report.txt']);
  });

  e2e('refuses to write into a directory that is a symbolic link: E_BAD_PATH (the sender exits 5)', async ({ sd, expect }) => {
    mkdirSync(path.join(sd.ws.src, 'dir'));
    writeFileSync(path.join(sd.ws.src, 'dir', 'x.txt'), 'x\n');
    const elsewhere = path.join(sd.ws.root, 'elsewhere');
    mkdirSync(elsewhere);
    symlinkSync(elsewhere, path.join(sd.ws.out, 'dir'));

    const receiver = await sd.startReceiver({ out: sd.ws.out, args: ['--yes'] });
    const sender = sd.startSender({ to: receiver.address, code: receiver.code, paths: [path.join(sd.ws.src, 'dir')] });
    await sender.expectExit(5);
    await expectAwaitingCorrectedOffer(receiver.process);
    expect(receiver.process.stderr).toMatch(/^sealdrop: warning: refused the offer: E_BAD_PATH: /m);
    expect(listTree(elsewhere)).toEqual([]);
  });

  e2e('never follows a link planted where the part file goes: the transfer succeeds, the link target is untouched', async ({ sd, expect }) => {
    const source = writeSource(sd, 'report.txt', 'the real report\n');
    const victim = path.join(sd.ws.root, 'victim.txt');
    writeFileSync(victim, 'outside the destination\n');
    const partName = `.sealdrop-${sha256Hex('report.txt').slice(0, 16)}.part`;
    symlinkSync(victim, path.join(sd.ws.out, partName));
    symlinkSync(victim, path.join(sd.ws.out, `${partName}.json`));

    const receiver = await sd.startReceiver({ out: sd.ws.out, args: ['--yes'] });
    const sender = sd.startSender({ to: receiver.address, code: receiver.code, paths: [source] });
    await sender.expectExit(0);
    await receiver.process.expectExit(0);
    expect(readFileSync(victim, 'utf8')).toBe('outside the destination\n');
    expect(readFileSync(path.join(sd.ws.out, 'report.txt'), 'utf8')).toBe('the real report\n');
    expect(lstatSync(path.join(sd.ws.out, 'report.txt')).isFile()).toBe(true);
    expect(listTree(sd.ws.out)).toEqual(['report.txt']);
  });
});

describe.concurrent('local refusals before any connection', { timeout: E2E_TIMEOUT_MS }, () => {
  e2e('refuses a code with a space inside it before connecting: exit 2, E_BAD_CODE (sender and receiver)', async ({ sd, expect }) => {
    const source = writeSource(sd);
    const { server, port, connectionsSoFar } = await countingServer();
    try {
      const to = `${LOOPBACK}:${port}`;
      const results = await sd.runAllToEnd([
        { args: ['send', source, '--to', to], options: { env: { SEALDROP_CODE: 'a b' } } },
        { args: ['send', source, '--to', to, '--code', 'a b'] },
        { args: ['receive', '--host', LOOPBACK, '--port', '0', '--out', sd.ws.out], options: { env: { SEALDROP_CODE: 'a b' } } },
      ]);
      for (const { code, stdout, stderr, process: child } of results) {
        expect(code, child.describe()).toBe(2);
        expect(stdout, child.describe()).toBe('');
        expect(stderr, child.describe()).toMatch(/^sealdrop: E_BAD_CODE: The code contains a space or tab inside it\./m);
        expect(stderr, child.describe()).not.toContain('a b'); // the code is a secret
      }
      expect(results[0]!.stderr).toMatch(ERROR_LINE('E_BAD_CODE')); // send, code from SEALDROP_CODE
      expect(results[2]!.stderr).toMatch(ERROR_LINE('E_BAD_CODE')); // receive
      expect(await connectionsSoFar()).toBe(0);
    } finally {
      await closeServer(server);
    }
  });

  e2e('refuses a chosen code that a few guesses would find: exit 2, E_BAD_CODE, saying how many', async ({ sd, expect }) => {
    const receive = ['receive', '--host', LOOPBACK, '--port', '0', '--out', sd.ws.out];
    const results = await sd.runAllToEnd([
      { args: [...receive, '--code', 'a'] },
      { args: receive, options: { env: { SEALDROP_CODE: 'x-y' } } },
    ]);
    for (const { code, stdout, stderr, process: child } of results) {
      expect(code, child.describe()).toBe(2);
      expect(stdout, child.describe()).toBe('');
      expect(stderr, child.describe()).toMatch(/^sealdrop: E_BAD_CODE: This code is too weak: someone trying codes could find it in about \d+ guesses/m);
      expect(stderr, child.describe()).toContain('Leave out --code and SEALDROP_CODE to get a generated one');
      expect(stderr, child.describe()).not.toContain('Code:'); // it never listened
    }
    expect(results[0]!.stderr).toContain('about 26 guesses');
    expect(results[1]!.stderr).toContain('about 676 guesses');
  });

  e2e('reports E_CONNECT (exit 1) when nobody listens on the port', async ({ sd, expect }) => {
    const { server, port } = await countingServer();
    await closeServer(server); // the port was free a moment ago and nobody listens on it now
    const sender = sd.startSender({ to: `${LOOPBACK}:${port}`, code: '1-two-three-four', paths: [writeSource(sd)] });
    await sender.expectExit(1);
    expect(sender.stderr).toMatch(ERROR_LINE('E_CONNECT'));
    expect(sender.stderr).toContain(`cannot connect to ${LOOPBACK}:${port}`);
    expect(sender.stdout).toBe('');
  });

  e2e('refuses before connecting: a missing file, both or neither of PATH and --text, no code (exit 2, E_USAGE)', async ({ sd, expect }) => {
    const { server, port, connectionsSoFar } = await countingServer();
    try {
      const to = `${LOOPBACK}:${port}`;
      const source = writeSource(sd);
      const env = { SEALDROP_CODE: 'x-y' };
      mkdirSync(path.join(sd.ws.src, 'empty-dir'));
      const results = await sd.runAllToEnd([
        { args: ['send', path.join(sd.ws.src, 'nope.txt'), '--to', to], options: { env } },
        { args: ['send', source, '--text', 'hi', '--to', to], options: { env } },
        { args: ['send', '--to', to], options: { env } },
        { args: ['send', source, '--to', to] },
        { args: ['receive', '--host', LOOPBACK, '--port', '0', '--out', path.join(sd.ws.root, 'missing')], options: { env } },
        { args: ['send', path.join(sd.ws.src, 'empty-dir'), '--to', to], options: { env } },
        { args: ['send', source, '--to', LOOPBACK], options: { env } },
        { args: ['send', source, '--to', `${LOOPBACK}:0`], options: { env } },
      ]);
      const [missing, , , noCode, noDestination, emptyDir, noPort, badPort] = results;
      for (const { code, stdout, stderr, process: child } of results) {
        expect(code, child.describe()).toBe(2);
        expect(stdout, child.describe()).toBe('');
        expect(stderr, child.describe()).toMatch(ERROR_LINE('E_USAGE'));
      }
      expect(missing!.stderr).toContain('nope.txt: no such file or directory');
      expect(noCode!.stderr).toMatch(/^sealdrop: E_USAGE: no code: give --code, set SEALDROP_CODE/);
      expect(noDestination!.stderr).toContain('does not exist');
      expect(emptyDir!.stderr).toContain('nothing to send');
      expect(noPort!.stderr).toContain('--to must be HOST:PORT');
      expect(badPort!.stderr).toContain('--to must be HOST:PORT');
      expect(await connectionsSoFar()).toBe(0);
    } finally {
      await closeServer(server);
    }
  });
});

describe.concurrent('names the receiver would refuse', { timeout: E2E_TIMEOUT_MS }, () => {
  e2e('are refused by the sender before connecting: exit 5, E_BAD_PATH, no attempt spent', async ({ sd, expect }) => {
    const { server, port, connectionsSoFar } = await countingServer();
    try {
      const to = `${LOOPBACK}:${port}`;
      const env = { SEALDROP_CODE: 'x-y' };
      const colon = writeSource(sd, 'report:v2.txt', 'c\n');
      const control = writeSource(sd, 'bell\x07.txt', 'b\n');
      const reserved = writeSource(sd, 'aux.txt', 'a\n');
      mkdirSync(path.join(sd.ws.src, 'cases'));
      writeFileSync(path.join(sd.ws.src, 'cases', 'Readme.txt'), '1\n');
      writeFileSync(path.join(sd.ws.src, 'cases', 'README.txt'), '2\n');
      const results = await sd.runAllToEnd([colon, control, reserved, path.join(sd.ws.src, 'cases')].map((source) => ({ args: ['send', source, '--to', to], options: { env } })));
      for (const { code, stdout, stderr, process: child } of results) {
        expect(code, child.describe()).toBe(5);
        expect(stdout, child.describe()).toBe('');
        expect(stderr, child.describe()).toMatch(ERROR_LINE('E_BAD_PATH'));
        expect(stderr, child.describe()).not.toContain('\x07');
      }
      expect(results.map((r) => /breaks the rule "([a-z-]+)"/.exec(r.stderr)?.[1])).toEqual(['colon', 'control', 'reserved-name', 'same-path']);
      expect(await connectionsSoFar()).toBe(0);
    } finally {
      await closeServer(server);
    }
  });
});

describe.concurrent('sealdrop hash', { timeout: E2E_TIMEOUT_MS }, () => {
  e2e('prints the sha256sum line for a known content', async ({ sd, expect }) => {
    const content = 'sealdrop hashes like sha256sum\n';
    writeFileSync(path.join(sd.ws.src, 'known.txt'), content);
    const { code, stdout, stderr } = await sd.runToEnd(['hash', 'known.txt'], { cwd: sd.ws.src });
    expect(code).toBe(0);
    expect(stdout).toBe(`${sha256Hex(content)}  known.txt\n`);
    expect(stderr).toBe('');
  });

  e2e('hashes several files, including an empty one, in order', async ({ sd, expect }) => {
    writeFileSync(path.join(sd.ws.src, 'a.txt'), 'a');
    writeFileSync(path.join(sd.ws.src, 'empty'), '');
    const { code, stdout } = await sd.runToEnd(['hash', 'a.txt', 'empty'], { cwd: sd.ws.src });
    expect(code).toBe(0);
    expect(stdout).toBe(
      `ca978112ca1bbdcafac231b39a23dc4da786eff8147c4e72b9807785afee48bb  a.txt\n` +
        `e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855  empty\n`,
    );
  });

  e2e('exits 2 with E_USAGE for a missing file', async ({ sd, expect }) => {
    const { code, stdout, stderr } = await sd.runToEnd(['hash', 'no-such-file.txt'], { cwd: sd.ws.src });
    expect(code).toBe(2);
    expect(stdout).toBe('');
    expect(stderr).toMatch(ERROR_LINE('E_USAGE'));
    expect(stderr).toContain('no-such-file.txt');
  });

  e2e('prints one JSON object with --json', async ({ sd, expect }) => {
    writeFileSync(path.join(sd.ws.src, 'j.txt'), 'json\n');
    const { code, stdout } = await sd.runToEnd(['hash', '--json', 'j.txt'], { cwd: sd.ws.src });
    expect(code).toBe(0);
    expect(JSON.parse(stdout)).toEqual({ ok: true, files: [{ path: 'j.txt', sha256: sha256Hex('json\n') }] });
  });
});

describe.concurrent('--help, --version and unknown options', { timeout: E2E_TIMEOUT_MS }, () => {
  // Each case is its own process; a few run side by side to keep the suite fast.
  const commands: string[][] = [[], ['receive'], ['send'], ['hash']];

  e2e('--help and --version (and -h, -V) exit 0 with output on stdout, for the top level and every command', async ({ sd, expect }) => {
    const cases = commands.flatMap((command) => ['--help', '--version', ...(command.length === 0 ? ['-h', '-V'] : [])].map((flag) => [...command, flag]));
    const results = await sd.runAllToEnd(cases.map((args) => ({ args, options: { cwd: sd.ws.root } })));
    for (const [i, args] of cases.entries()) {
      const { code, stdout, stderr, process: child } = results[i]!;
      expect(code, child.describe()).toBe(0);
      expect(stderr, child.describe()).toBe('');
      const flag = args.at(-1)!;
      if (flag === '--version' || flag === '-V') expect(stdout, child.describe()).toBe('0.1.0\n');
      else expect(stdout, child.describe()).toContain(args.length === 1 ? 'Commands:' : `sealdrop ${args[0]}`);
    }
    // Help wraps at 100 columns between words, never inside one (yargs' ESM build cut words).
    const help = results[0]!.stdout;
    expect(Math.max(...help.split('\n').map((line) => line.length))).toBeLessThanOrEqual(100);
    expect(help.replace(/\s*\n\s*/g, ' ')).toContain('Wait for a sender: print a one-time code and the command to run on the other machine');
  });

  e2e('an unknown option, an unknown command or a bad --port exits 2 with a one-line E_USAGE error', async ({ sd, expect }) => {
    // receive gets a loopback address in case an option were ignored and it started listening.
    const cases = [
      ['--frobnicate'],
      ['receive', '--host', LOOPBACK, '--port', '0', '--out', sd.ws.out, '--frobnicate'],
      ['send', 'file.txt', '--to', `${LOOPBACK}:9`, '--frobnicate'],
      ['hash', 'file.txt', '--frobnicate'],
      ['frobnicate-command'],
      ['receive', '--host', LOOPBACK, '--port', '70000', '--out', sd.ws.out],
    ];
    const results = await sd.runAllToEnd(cases.map((args) => ({ args, options: { cwd: sd.ws.root, env: { SEALDROP_CODE: 'x-y' } } })));
    for (const { code, stdout, stderr, process: child } of results) {
      expect(code, child.describe()).toBe(2);
      expect(stdout, child.describe()).toBe('');
      expect(stderr, child.describe()).toMatch(ERROR_LINE('E_USAGE'));
    }
    for (const i of [1, 2, 3]) expect(results[i]!.stderr).toBe('sealdrop: E_USAGE: Unknown argument: frobnicate (see sealdrop --help)\n');
  });
});
