// End to end: transfers that break off and resume, silent peers, Ctrl-C. The receiver keeps its
// code and its part files as README.md says, and nothing ever appears under a final name unverified.

import { execFileSync, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, closeSync, ftruncateSync, mkdirSync, openSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync, writeSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe } from 'vitest';
import { expectAwaitingCorrectedOffer, killLeftovers, type SealdropProcess } from '../support/cli.js';
import { e2e, type E2EScope, E2E_TIMEOUT_MS } from '../support/e2e.js';
import { closedWithin, countingRelay, pausingRelay, rawConnection } from '../support/relays.js';
import { listTree, partFilesIn, setMtimeExactMs, sha256Hex } from '../support/files.js';

/** Large enough that streaming it takes a while (so it can be cut mid-file), small enough to stay fast. */
const BIG = 32 * 1024 * 1024;
const BIG_MTIME_MS = 1_650_000_000_250;

afterAll(killLeftovers); // a safety net: each test already kills its own processes

/** A file of random bytes with a fixed mtime (resume matches entries by path, size and mtime). */
function bigSource(sd: E2EScope, name: string): { file: string; content: Buffer } {
  const file = path.join(sd.ws.src, name);
  const content = randomBytes(BIG);
  writeFileSync(file, content);
  setMtimeExactMs(file, BIG_MTIME_MS);
  return { file, content };
}

/** Resolves with the part file's name once a `.part` file with data in it exists in `directory`. */
async function partFileWithData(directory: string, watched: SealdropProcess, timeoutMs = 10_000): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const part = partFilesIn(directory).find((name) => name.endsWith('.part'));
    if (part !== undefined) {
      try {
        if (statSync(path.join(directory, part)).size > 0) return part;
      } catch {
        // Renamed or removed meanwhile; look again.
      }
    }
    if (!watched.running || Date.now() > deadline) throw new Error(`no .part file with data appeared in ${directory}\n${watched.describe()}`);
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
}

/** Runs a command as another local user (uid and gid 1001, no groups): root only. */
const AS_UID_1001 = ['--reuid=1001', '--regid=1001', '--clear-groups'];
const canPlantAsAnotherUser = process.geteuid?.() === 0 && spawnSync('setpriv', [...AS_UID_1001, 'true']).status === 0;

const BROKE_OFF = /^sealdrop: warning: the transfer broke off \(E_[A-Z_]+: .*\); nothing is under its final name, partial files are kept to resume\. Waiting for the sender to try again/;

describe.concurrent('a transfer that breaks off', { timeout: E2E_TIMEOUT_MS }, () => {
  e2e('the sender dies mid-file: the receiver keeps waiting and the part file; the same command resumes in it', async ({ sd, expect }) => {
    const { file: source, content } = bigSource(sd, 'big.bin');
    const receiver = await sd.startReceiver({ out: sd.ws.out, args: ['--yes'] });
    const first = sd.startSender({ to: receiver.address, code: receiver.code, paths: [source] });

    await receiver.process.waitForLine('stderr', /^Incoming: big\.bin \(1 file, 32\.0 MiB\)$/);
    const part = await partFileWithData(sd.ws.out, receiver.process);
    first.kill('SIGKILL');
    await first.waitForExit();

    await receiver.process.waitForLine('stderr', BROKE_OFF);
    await receiver.process.expectStillRunningAfter(200);
    // Nothing under its final name; the part file and its resume record stay.
    expect(listTree(sd.ws.out)).toEqual([part, `${part}.json`].sort());
    const kept = statSync(path.join(sd.ws.out, part));
    expect(kept.size).toBeGreaterThan(0);
    expect(kept.size).toBeLessThan(BIG);

    // The same command again.
    const second = sd.startSender({ to: receiver.address, code: receiver.code, paths: [source] });
    await second.expectExit(0);
    await receiver.process.expectExit(0);
    const digest = sha256Hex(content);
    expect(receiver.process.stdout).toBe(`${digest}  big.bin\n`);
    expect(second.stdout).toBe(`${digest}  big.bin\n`);
    expect(listTree(sd.ws.out)).toEqual(['big.bin']);
    const received = statSync(path.join(sd.ws.out, 'big.bin'));
    expect(received.size).toBe(BIG);
    // The final file is the kept part file itself (same inode), so the transfer went on in it.
    expect(received.ino).toBe(kept.ino);
    expect(Math.trunc(received.mtimeMs)).toBe(BIG_MTIME_MS);
  });

  e2e('resume: cut at about half of a 50 MiB file, the same send completes it with under 60% of the bytes', async ({ sd, expect }) => {
    const size = 50 * 1024 * 1024;
    const file = path.join(sd.ws.src, 'half.bin');
    const content = randomBytes(size);
    writeFileSync(file, content);
    setMtimeExactMs(file, BIG_MTIME_MS);
    const receiver = await sd.startReceiver({ out: sd.ws.out, args: ['--yes'] });

    let first: SealdropProcess | undefined;
    const firstRelay = await countingRelay(sd, receiver.port, (total) => {
      if (total >= size / 2 && first?.running) first.kill('SIGKILL');
    });
    first = sd.startSender({ to: firstRelay.address, code: receiver.code, paths: [file] });
    await first.waitForExit();
    await receiver.process.waitForLine('stderr', BROKE_OFF);
    firstRelay.close();

    const secondRelay = await countingRelay(sd, receiver.port);
    const second = sd.startSender({ to: secondRelay.address, code: receiver.code, paths: [file] });
    await second.expectExit(0);
    await receiver.process.expectExit(0);
    expect(readFileSync(path.join(sd.ws.out, 'half.bin')).equals(content)).toBe(true);
    expect(receiver.process.stdout).toBe(`${sha256Hex(content)}  half.bin\n`);
    expect(secondRelay.bytes()).toBeLessThan(0.6 * size);
    secondRelay.close();
  });

  e2e('the receiver dies mid-file (SIGKILL): the sender fails, nothing is under a final name; a new receive takes over its lock and resumes', async ({ sd, expect }) => {
    const { file: source, content } = bigSource(sd, 'big.bin');
    const receiver = await sd.startReceiver({ out: sd.ws.out, args: ['--yes'] });
    const sender = sd.startSender({ to: receiver.address, code: receiver.code, paths: [source] });
    const part = await partFileWithData(sd.ws.out, receiver.process);
    receiver.process.kill('SIGKILL');
    await sender.expectExit(1);
    expect(sender.stderr).toMatch(/^sealdrop: E_CONNECT: /m);
    // The dead receiver's claim on big.bin stays behind with its part file.
    const lock = part.replace(/\.part$/, '.lock');
    expect(listTree(sd.ws.out)).toEqual([part, `${part}.json`, lock].sort());
    expect(readFileSync(path.join(sd.ws.out, lock), 'utf8')).toBe(`${receiver.process.child.pid}\n`);
    const kept = statSync(path.join(sd.ws.out, part));

    const again = await sd.startReceiver({ out: sd.ws.out, args: ['--yes'] });
    const resend = sd.startSender({ to: again.address, code: again.code, paths: [source] });
    await resend.expectExit(0);
    await again.process.expectExit(0);
    expect(listTree(sd.ws.out)).toEqual(['big.bin']);
    expect(readFileSync(path.join(sd.ws.out, 'big.bin')).equals(content)).toBe(true);
    expect(statSync(path.join(sd.ws.out, 'big.bin')).ino).toBe(kept.ino); // resumed, not restarted
  });

  // Four processes started one after another, and 32 MiB through a relay: on a loaded two-core
  // machine that came close to the group's 20 s.
  e2e('a second receiver into the same directory refuses a file the first is receiving, and neither spoils the other', { timeout: E2E_TIMEOUT_MS }, async ({ sd, expect }) => {
    const { file: source, content } = bigSource(sd, 'big.bin');
    const first = await sd.startReceiver({ out: sd.ws.out, args: ['--yes'] });
    // The first transfer stops a quarter of the way through, until the second one has been refused.
    const relay = await pausingRelay(sd, first.port, BIG / 4);
    const firstSender = sd.startSender({ to: relay.address, code: first.code, paths: [source] });
    await partFileWithData(sd.ws.out, first.process);
    await relay.reached();

    const other = path.join(sd.ws.src, 'other');
    mkdirSync(other);
    writeFileSync(path.join(other, 'big.bin'), 'another big.bin\n');
    const second = await sd.startReceiver({ out: sd.ws.out, args: ['--yes'] });
    const secondSender = sd.startSender({ to: second.address, code: second.code, paths: [path.join(other, 'big.bin')] });
    await secondSender.expectExit(5);
    await expectAwaitingCorrectedOffer(second.process);
    expect(second.process.stderr).toMatch(/^sealdrop: warning: refused the offer: E_EXISTS: big\.bin is being received into this directory by another sealdrop /m);
    expect(secondSender.stderr).toMatch(/^sealdrop: E_EXISTS: /m);

    relay.resume();
    await firstSender.expectExit(0);
    await first.process.expectExit(0);
    expect(listTree(sd.ws.out)).toEqual(['big.bin']);
    expect(readFileSync(path.join(sd.ws.out, 'big.bin')).equals(content)).toBe(true);
    relay.close();
  });

  const sourceChanges: Array<[string, (fd: number) => void]> = [
    ['rewritten in place (same size, new mtime)', (fd) => writeSync(fd, Buffer.alloc(64, 0x55), 0, 64, BIG - 64)],
    ['cut short', (fd) => ftruncateSync(fd, BIG / 2)],
  ];
  e2e.for(sourceChanges)('a source file %s while it is sent: the sender stops before FILE_END, nothing lands', async ([, change], { sd, expect }) => {
    const { file: source } = bigSource(sd, 'big.bin');
    const receiver = await sd.startReceiver({ out: sd.ws.out, args: ['--yes'] });
    const relay = await pausingRelay(sd, receiver.port, BIG / 4);
    const sender = sd.startSender({ to: relay.address, code: receiver.code, paths: [source] });
    await relay.reached();

    // The sender has read a few MiB ahead of the wire at most: the change lies beyond what it read.
    const fd = openSync(source, 'r+');
    change(fd);
    closeSync(fd);
    relay.resume();

    await sender.expectExit(1);
    expect(sender.stderr).toMatch(/^sealdrop: E_INTERNAL: .*big\.bin changed while it was being sent.*; send it again$/m);
    await receiver.process.waitForLine('stderr', BROKE_OFF);
    expect(listTree(sd.ws.out).filter((name) => !name.startsWith('.sealdrop-'))).toEqual([]);
    relay.close();
  });

  // Whoever can write in a directory being sent could swap a file, between the offer and its
  // turn, for a link to a file of the sender's that was never offered.
  e2e('a file replaced by a link after the offer: the sender stops at it, and no byte of the link\'s target is sent', async ({ sd, expect }) => {
    const tree = path.join(sd.ws.src, 'tree');
    mkdirSync(tree);
    bigSource(sd, 'tree/a.bin');
    const later = path.join(tree, 'b.txt');
    writeFileSync(later, 'offered\n');
    const secret = path.join(sd.ws.src, 'secret.txt');
    writeFileSync(secret, 'never offered, never sent\n');
    const receiver = await sd.startReceiver({ out: sd.ws.out, args: ['--yes'] });
    const relay = await pausingRelay(sd, receiver.port, BIG / 4);
    const sender = sd.startSender({ to: relay.address, code: receiver.code, paths: [tree] });
    await relay.reached();

    rmSync(later);
    symlinkSync(secret, later);
    relay.resume();

    await sender.expectExit(1);
    expect(sender.stderr).toMatch(/^sealdrop: E_INTERNAL: .*b\.txt is no longer the file that was offered .*; send it again$/m);
    await receiver.process.waitForLine('stderr', BROKE_OFF);
    const received = listTree(sd.ws.out).filter((name) => !name.endsWith('/'));
    expect(received.length).toBeGreaterThan(0); // a.bin's part file, at least
    for (const name of received) expect(readFileSync(path.join(sd.ws.out, name)).includes('never offered'), name).toBe(false);
    relay.close();
  });

  // Issue 10, item 1: another local user who can write the destination replaced the kept part
  // file with one of their own (mode 0666) holding the same first bytes; the real sender resumed
  // and the rest of the file went into the planted one, which landed owned by that user.
  e2e.runIf(canPlantAsAnotherUser)('a part file another user (uid 1001) planted in place of the kept one is not resumed: the send starts from 0 in a fresh part file', async ({ sd, expect }) => {
    const { file: source, content } = bigSource(sd, 'big.bin');
    // A destination that another user may write in, as a shared directory is.
    chmodSync(sd.ws.root, 0o755);
    chmodSync(sd.ws.out, 0o777);
    const receiver = await sd.startReceiver({ out: sd.ws.out, args: ['--yes'] });
    const first = sd.startSender({ to: receiver.address, code: receiver.code, paths: [source] });
    const part = await partFileWithData(sd.ws.out, receiver.process);
    first.kill('SIGKILL');
    await first.waitForExit();
    await receiver.process.waitForLine('stderr', BROKE_OFF);

    const partPath = path.join(sd.ws.out, part);
    const plantedBytes = content.subarray(0, 4096); // the part's first bytes are guessable: say the header of a known format
    execFileSync('setpriv', [...AS_UID_1001, 'sh', '-c', 'umask 0 && rm -f "$1" && cat > "$1"', 'sh', partPath], { input: plantedBytes });
    const planted = statSync(partPath);
    expect([planted.uid, planted.mode & 0o777, planted.size]).toEqual([1001, 0o666, plantedBytes.length]);

    const relay = await countingRelay(sd, receiver.port);
    const second = sd.startSender({ to: relay.address, code: receiver.code, paths: [source] });
    await second.expectExit(0);
    await receiver.process.expectExit(0);
    expect(receiver.process.stdout).toBe(`${sha256Hex(content)}  big.bin\n`);
    const received = statSync(path.join(sd.ws.out, 'big.bin'));
    // Not the planted file (its inode number may be reused once it is removed, its owner is not).
    expect(received.uid).toBe(process.geteuid!());
    expect(readFileSync(path.join(sd.ws.out, 'big.bin')).equals(content)).toBe(true);
    expect(relay.bytes()).toBeGreaterThan(BIG); // every byte sent again, from 0
    expect(listTree(sd.ws.out)).toEqual(['big.bin']);
    relay.close();
  });

  e2e('a resumed transfer does not trust a prefix that differs: the source changed (same size and mtime), the result is the new file', async ({ sd, expect }) => {
    const { file: source, content } = bigSource(sd, 'big.bin');
    const receiver = await sd.startReceiver({ out: sd.ws.out, args: ['--yes'] });
    const first = sd.startSender({ to: receiver.address, code: receiver.code, paths: [source] });
    await partFileWithData(sd.ws.out, receiver.process);
    first.kill('SIGKILL');
    await receiver.process.waitForLine('stderr', BROKE_OFF);

    // Change the first bytes (inside the kept prefix), keeping size and mtime: the entry looks the same.
    const changed = Buffer.from(content);
    for (let i = 0; i < 64; i++) changed[i] = content[i]! ^ 0xff;
    const fd = openSync(source, 'r+');
    writeSync(fd, changed, 0, 64, 0);
    closeSync(fd);
    setMtimeExactMs(source, BIG_MTIME_MS);

    const second = sd.startSender({ to: receiver.address, code: receiver.code, paths: [source] });
    await second.expectExit(0);
    await receiver.process.expectExit(0);
    expect(receiver.process.stdout).toBe(`${sha256Hex(changed)}  big.bin\n`);
    expect(readFileSync(path.join(sd.ws.out, 'big.bin')).equals(changed)).toBe(true);
    expect(listTree(sd.ws.out)).toEqual(['big.bin']);
  });

  e2e('Ctrl-C on the receiver mid-file: exit 130, nothing under a final name; a new receive resumes in the kept part', async ({ sd, expect }) => {
    const { file: source, content } = bigSource(sd, 'big.bin');
    const receiver = await sd.startReceiver({ out: sd.ws.out, args: ['--yes'] });
    // Held a quarter of the way, so that the Ctrl-C surely comes mid-file: one after DONE lets
    // the transfer finish (see test/cli/interrupt.test.ts).
    const relay = await pausingRelay(sd, receiver.port, BIG / 4);
    const sender = sd.startSender({ to: relay.address, code: receiver.code, paths: [source] });
    await relay.reached();
    const part = await partFileWithData(sd.ws.out, receiver.process);
    receiver.process.kill('SIGINT');

    await receiver.process.expectExit(130);
    relay.resume();
    expect(receiver.process.stderr).toMatch(/^sealdrop: E_INTERRUPTED: /m);
    expect(receiver.process.stdout).toBe('');
    expect(await sender.waitForExit(), sender.describe()).not.toBe(0);
    expect(sender.stderr).toMatch(/^sealdrop: E_[A-Z_]+: /m);
    expect(sender.stdout).toBe('');
    // Kept for a later resume, but never under the final name.
    expect(listTree(sd.ws.out)).toEqual([part, `${part}.json`].sort());
    const kept = statSync(path.join(sd.ws.out, part));

    // A new receive (new code) into the same directory picks the part file up.
    const again = await sd.startReceiver({ out: sd.ws.out, args: ['--yes'] });
    const resend = sd.startSender({ to: again.address, code: again.code, paths: [source] });
    await resend.expectExit(0);
    await again.process.expectExit(0);
    expect(again.process.stdout).toBe(`${sha256Hex(content)}  big.bin\n`);
    expect(listTree(sd.ws.out)).toEqual(['big.bin']);
    expect(readFileSync(path.join(sd.ws.out, 'big.bin')).equals(content)).toBe(true);
    expect(statSync(path.join(sd.ws.out, 'big.bin')).ino).toBe(kept.ino);
    relay.close();
  });

  e2e('Ctrl-C on the sender mid-file: the sender exits 130, the receiver keeps waiting with the part file', async ({ sd, expect }) => {
    const { file: source } = bigSource(sd, 'big.bin');
    const receiver = await sd.startReceiver({ out: sd.ws.out, args: ['--yes'] });
    const sender = sd.startSender({ to: receiver.address, code: receiver.code, paths: [source] });
    const part = await partFileWithData(sd.ws.out, receiver.process);
    sender.kill('SIGINT');

    await sender.expectExit(130);
    expect(sender.stderr).toMatch(/^sealdrop: E_INTERRUPTED: /m);
    expect(sender.stdout).toBe('');
    await receiver.process.waitForLine('stderr', BROKE_OFF);
    await receiver.process.expectStillRunningAfter(200);
    expect(listTree(sd.ws.out)).toEqual([part, `${part}.json`].sort());
  });

  e2e('Ctrl-C on a waiting receiver: exit 130 with E_INTERRUPTED', async ({ sd, expect }) => {
    const receiver = await sd.startReceiver({ out: sd.ws.out });
    receiver.process.kill('SIGINT');
    await receiver.process.expectExit(130);
    expect(receiver.process.stderr).toMatch(/^sealdrop: E_INTERRUPTED: /m);
    expect(receiver.process.stdout).toBe('');
    expect(listTree(sd.ws.out)).toEqual([]);
  });
});

describe.concurrent('the listener policy', { timeout: E2E_TIMEOUT_MS }, () => {
  e2e('turns away a second connection while a transfer runs, without disturbing it', async ({ sd, expect }) => {
    const { file: source, content } = bigSource(sd, 'big.bin');
    const receiver = await sd.startReceiver({ out: sd.ws.out, args: ['--yes'] });
    const sender = sd.startSender({ to: receiver.address, code: receiver.code, paths: [source] });
    await partFileWithData(sd.ws.out, receiver.process);
    const intruder = await rawConnection(sd, receiver.port);
    expect(await closedWithin(intruder, 1_000), 'the second connection was not closed at once').toBe(true);
    await sender.expectExit(0);
    await receiver.process.expectExit(0);
    expect(receiver.process.stdout).toBe(`${sha256Hex(content)}  big.bin\n`);
  });

  e2e('drops a peer silent past --handshake-timeout, turns away a second one meanwhile, then serves a real sender', async ({ sd, expect }) => {
    const receiver = await sd.startReceiver({ out: sd.ws.out, args: ['--yes', '--handshake-timeout', '2'] });
    // The receiver listens once it shows the code, and takes connections in the order they were
    // made: the silent one is taken, the second one arrives while its handshake runs.
    const silent = await rawConnection(sd, receiver.port);
    const second = await rawConnection(sd, receiver.port);
    expect(await closedWithin(second, 1_000), 'the second connection was not closed at once').toBe(true);
    expect(silent.destroyed || silent.readableEnded).toBe(false);

    await receiver.process.waitForLine('stderr', new RegExp(`^sealdrop: warning: connection from 127\\.0\\.0\\.1:${silent.localPort} failed: E_TIMEOUT: `));
    expect(await closedWithin(silent, 2_000), 'the silent connection was not closed after the timeout').toBe(true);
    expect(receiver.process.running).toBe(true);

    const sender = sd.startSender({ to: receiver.address, code: receiver.code, text: 'made it' });
    await sender.expectExit(0);
    await receiver.process.expectExit(0);
    expect(receiver.process.stdout).toBe('made it\n');
  });
});
