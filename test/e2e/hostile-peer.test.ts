/**
 * End to end against a hostile or broken peer: test/support/test-peer.ts speaks the protocol with
 * the project's own module over 127.0.0.1 and misbehaves on purpose, while the real bin/sealdrop
 * is the other side. Each case checks the exit status, the error code and the disk afterwards.
 */
import { execFileSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, vi } from 'vitest';
import { ELEMENT_BYTES, i2osp } from '../../src/crypto/group.js';
import { encodeFrame, expectHandshakeFrame, frameHeader } from '../../src/protocol/frames.js';
import { Intent, Role, encodeHello, encodeFail } from '../../src/protocol/handshake-messages.js';
import { RecordType } from '../../src/protocol/records.js';
import { expectAwaitingCorrectedOffer, killLeftovers, type SealdropProcess } from '../support/cli.js';
import { e2e, type E2EScope, E2E_TIMEOUT_MS } from '../support/e2e.js';
import { listTree, partFilesIn } from '../support/files.js';
import { assertExtensionWorks, extendSha256, sha256Padding } from '../support/sha256-extension.js';
import { TestPeer } from '../support/test-peer.js';

afterAll(killLeftovers);

const CODE = '4-hostile-peer-test';
const digestOf = (data: Buffer | string) => createHash('sha256').update(data).digest('hex');

async function receiverAndPeer(sd: E2EScope, out = sd.ws.out, args: readonly string[] = []) {
  const receiver = await sd.startReceiver({ out, code: CODE, args: ['--yes', ...args] });
  const peer = await TestPeer.connect(receiver.port);
  sd.sockets.push(peer.socket);
  return { receiver, peer };
}

/** A peer past the handshake that offered one file of `content` and got ACCEPT. */
async function acceptedOffer(sd: E2EScope, content: Buffer, paths = ['report.txt']) {
  const { receiver, peer } = await receiverAndPeer(sd);
  await peer.handshake('initiator', CODE, Intent.SEND);
  const files = paths.map((p) => ({ path: p, size: content.length, mode: 0o644, mtime: 1_700_000_000_000 }));
  peer.send(RecordType.OFFER, { kind: 'files', name: paths[0], fileCount: files.length, totalBytes: content.length * files.length, files });
  return { receiver, peer };
}

/** Resolves once a part file of exactly `bytes` bytes is in `directory` (the receiver wrote them). */
async function partFileOfSize(directory: string, bytes: number): Promise<void> {
  const deadline = Date.now() + 5_000;
  const sizes = () => partFilesIn(directory).filter((name) => name.endsWith('.part')).map((name) => statSync(path.join(directory, name)).size);
  while (!sizes().includes(bytes)) {
    if (Date.now() > deadline) throw new Error(`no part file of ${bytes} bytes in ${directory}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

async function expectReceiverExit(sd: E2EScope, receiver: { process: any }, status: number, code: string) {
  expect(await receiver.process.waitForExit()).toBe(status);
  expect(receiver.process.stderr).toContain(code);
  expect(listTree(sd.ws.out)).toEqual([]); // nothing under a final name, no part file either
}

/** An offer refused before ACCEPT: nothing written, and the receiver waits for a corrected one (section 6 step 2). */
async function expectRefusedAwaitingCorrection(sd: E2EScope, receiver: { process: SealdropProcess }, code: string) {
  await expectAwaitingCorrectedOffer(receiver.process);
  expect(receiver.process.stderr).toContain(`refused the offer: ${code}: `);
  expect(listTree(sd.ws.out)).toEqual([]);
}

describe('a hostile sender against the real receiver, after the handshake', () => {
  const content = Buffer.from('sixteen bytes!!\n');

  e2e('a flipped bit in a DATA record: E_PROTOCOL, and the peer is told', async ({ sd }) => {
    const { receiver, peer } = await acceptedOffer(sd, content);
    expect((await peer.nextRecord())!.type).toBe(RecordType.ACCEPT);
    peer.send(RecordType.FILE, { index: 0, offset: 0 });
    const data = peer.seal(RecordType.DATA, content);
    data[10]! ^= 0x01;
    peer.sendRaw(data);
    const error = await peer.nextRecord();
    expect(error?.type).toBe(RecordType.ERROR);
    expect(JSON.parse(error!.body.toString()).code).toBe('E_PROTOCOL');
    await expectReceiverExit(sd, receiver, 1, 'E_PROTOCOL');
  });

  e2e('a replayed record: E_PROTOCOL', async ({ sd }) => {
    const { receiver, peer } = await acceptedOffer(sd, Buffer.concat([content, content]));
    await peer.nextRecord();
    peer.send(RecordType.FILE, { index: 0, offset: 0 });
    const data = peer.seal(RecordType.DATA, content);
    peer.sendRaw(data);
    peer.sendRaw(data);
    await expectReceiverExit(sd, receiver, 1, 'E_PROTOCOL');
  });

  e2e('reordered records: E_PROTOCOL', async ({ sd }) => {
    const { receiver, peer } = await acceptedOffer(sd, Buffer.concat([content, content]));
    await peer.nextRecord();
    peer.send(RecordType.FILE, { index: 0, offset: 0 });
    const first = peer.seal(RecordType.DATA, content);
    const second = peer.seal(RecordType.DATA, content);
    peer.sendRaw(Buffer.concat([second, first]));
    await expectReceiverExit(sd, receiver, 1, 'E_PROTOCOL');
  });

  e2e('a record with a wrong length prefix: E_PROTOCOL', async ({ sd }) => {
    const { receiver, peer } = await acceptedOffer(sd, content);
    await peer.nextRecord();
    peer.send(RecordType.FILE, { index: 0, offset: 0 });
    const data = peer.seal(RecordType.DATA, content);
    data.writeUInt32BE(data.readUInt32BE(0) - 1, 0);
    peer.sendRaw(data);
    await expectReceiverExit(sd, receiver, 1, 'E_PROTOCOL');
  });

  e2e('a FILE_END hash that does not match: E_INTEGRITY, no file', async ({ sd }) => {
    const { receiver, peer } = await acceptedOffer(sd, content);
    await peer.nextRecord();
    peer.send(RecordType.FILE, { index: 0, offset: 0 });
    peer.send(RecordType.DATA, content);
    peer.send(RecordType.FILE_END, { sha256: digestOf('something else') });
    await expectReceiverExit(sd, receiver, 1, 'E_INTEGRITY');
  });

  e2e('more DATA than the declared size: E_PROTOCOL', async ({ sd }) => {
    const { receiver, peer } = await acceptedOffer(sd, content);
    await peer.nextRecord();
    peer.send(RecordType.FILE, { index: 0, offset: 0 });
    peer.send(RecordType.DATA, Buffer.concat([content, Buffer.from('x')]));
    await expectReceiverExit(sd, receiver, 1, 'E_PROTOCOL');
  });

  e2e('fewer bytes, then DONE: E_PROTOCOL', async ({ sd }) => {
    const { receiver, peer } = await acceptedOffer(sd, content);
    await peer.nextRecord();
    peer.send(RecordType.FILE, { index: 0, offset: 0 });
    peer.send(RecordType.DATA, content.subarray(0, 5));
    peer.send(RecordType.DONE, {});
    await expectReceiverExit(sd, receiver, 1, 'E_PROTOCOL');
  });

  e2e('a sender that gives up with its own ERROR: the receiver keeps the part and waits for a retry', async ({ sd }) => {
    const { receiver, peer } = await acceptedOffer(sd, Buffer.concat([content, content]));
    await peer.nextRecord();
    peer.send(RecordType.FILE, { index: 0, offset: 0 });
    peer.send(RecordType.DATA, content);
    peer.send(RecordType.ERROR, { code: 'E_INTERNAL', message: 'the file changed while it was being sent' });
    await receiver.process.waitForLine('stderr', /the transfer broke off \(E_INTERNAL: the other side stopped: the file changed/);
    expect(await peer.nextRecord()).toBeNull(); // closed, and no ERROR echoed back
    expect(receiver.process.running).toBe(true);
    expect(listTree(sd.ws.out).filter((name) => name.endsWith('.part'))).toHaveLength(1);
  });

  // Issue 10, item 3. A first sender's transfer broke off after bytes nobody else has seen. A
  // second sender who knows the code offers the same entry; all it learns of the kept prefix is
  // what ACCEPT says. With the prefix's plain SHA-256 there, it resumed, appended its own bytes
  // after SHA-256's padding, and sent the digest of the whole by length extension: the receiver,
  // which continues its hash from the prefix, landed the forgery as verified.
  e2e('a second sender extends a kept prefix it never saw (SHA-256 length extension): E_INTEGRITY, nothing lands', async ({ sd }) => {
    assertExtensionWorks();
    const secret = randomBytes(1000);
    const suffix = Buffer.from('\nappended by a sender who never saw the bytes above\n');
    const size = secret.length + sha256Padding(secret.length).length + suffix.length;
    const entry = { path: 'report.txt', size, mode: 0o644, mtime: 1_700_000_000_000 };
    const offer = { kind: 'files', name: 'report.txt', fileCount: 1, totalBytes: size, files: [entry] };
    const receiver = await sd.startReceiver({ out: sd.ws.out, code: CODE, args: ['--yes'] });

    const first = await TestPeer.connect(receiver.port);
    sd.sockets.push(first.socket);
    await first.handshake('initiator', CODE, Intent.SEND);
    first.send(RecordType.OFFER, offer);
    expect((await first.nextRecord())!.type).toBe(RecordType.ACCEPT);
    first.send(RecordType.FILE, { index: 0, offset: 0 });
    first.send(RecordType.DATA, secret);
    await partFileOfSize(sd.ws.out, secret.length);
    first.send(RecordType.ERROR, { code: 'E_INTERNAL', message: 'gave up' });
    await receiver.process.waitForLine('stderr', /the transfer broke off/);

    const second = await TestPeer.connect(receiver.port);
    sd.sockets.push(second.socket);
    await second.handshake('initiator', CODE, Intent.SEND);
    second.send(RecordType.OFFER, offer);
    const accept = (await second.nextRecord())!;
    expect(accept.type).toBe(RecordType.ACCEPT);
    const [point] = JSON.parse(accept.body.toString()).resume;
    expect(point).toMatchObject({ index: 0, offset: secret.length });
    const forged = extendSha256(point.sha256 ?? point.mac, point.offset, suffix);
    second.send(RecordType.FILE, { index: 0, offset: point.offset });
    second.send(RecordType.DATA, Buffer.concat([forged.glue, suffix]));
    second.send(RecordType.FILE_END, { sha256: forged.digest });
    second.send(RecordType.DONE, {});

    await receiver.process.expectExit(1);
    expect(receiver.process.stderr).toContain('E_INTEGRITY');
    expect(listTree(sd.ws.out)).toEqual([]);
    expect(accept.body.toString()).not.toContain(digestOf(secret)); // section 6: never the plain hash
  });

  e2e('malformed JSON in an OFFER, then an unknown record type: E_PROTOCOL', async ({ sd }) => {
    for (const [type, body] of [
      [RecordType.OFFER, Buffer.from('{"kind":"files",')],
      [0x55, Buffer.from('{}')],
    ] as const) {
      const { receiver, peer } = await receiverAndPeer(sd);
      await peer.handshake('initiator', CODE, Intent.SEND);
      peer.send(type, body);
      await expectReceiverExit(sd, receiver, 1, 'E_PROTOCOL');
    }
  });

  e2e('a record announcing 2^31 bytes: refused on its header, E_PROTOCOL', async ({ sd }) => {
    const { receiver, peer } = await receiverAndPeer(sd);
    await peer.handshake('initiator', CODE, Intent.SEND);
    peer.sendRaw(frameHeader(2 ** 31));
    await expectReceiverExit(sd, receiver, 1, 'E_PROTOCOL');
  });

  /** `count` entries with long, distinct paths, about 250 bytes of JSON each. */
  const longEntries = (from: number, count: number) =>
    Array.from({ length: count }, (_, i) => ({ path: `${'d'.repeat(100)}-${from + i}/${'f'.repeat(100)}-${from + i}`, size: 1, mode: 0o644, mtime: 0 }));

  e2e('an offer continued over ever more records: E_TOO_LARGE at the 16 MiB limit, nothing written', { timeout: E2E_TIMEOUT_MS }, async ({ sd }) => {
    const { receiver, peer } = await receiverAndPeer(sd);
    await peer.handshake('initiator', CODE, Intent.SEND);
    const perRecord = 4_000; // just under 1 MiB of JSON a record
    const records = 24; // 24 MiB in all
    const total = perRecord * records;
    peer.send(RecordType.OFFER, { kind: 'files', name: 'many', fileCount: total, totalBytes: total, files: longEntries(0, perRecord), more: true });
    for (let r = 1; r < records; r += 1) peer.send(RecordType.OFFER, { kind: 'files', files: longEntries(r * perRecord, perRecord), more: r < records - 1 });
    const error = JSON.parse((await peer.nextRecord())!.body.toString());
    expect(error).toMatchObject({ code: 'E_TOO_LARGE' });
    expect(error.message).toContain('16 MiB');
    peer.destroy(); // the rest of the offer stays unread
    await expectRefusedAwaitingCorrection(sd, receiver, 'E_TOO_LARGE');
  });

  e2e('an empty continuation record: E_PROTOCOL instead of waiting forever', async ({ sd }) => {
    const { receiver, peer } = await receiverAndPeer(sd);
    await peer.handshake('initiator', CODE, Intent.SEND);
    peer.send(RecordType.OFFER, { kind: 'files', name: 'a', fileCount: 2, totalBytes: 2, files: longEntries(0, 1), more: true });
    for (let r = 0; r < 3; r += 1) peer.send(RecordType.OFFER, { kind: 'files', files: [], more: true });
    expect(JSON.parse((await peer.nextRecord())!.body.toString()).code).toBe('E_PROTOCOL');
    await expectReceiverExit(sd, receiver, 1, 'E_PROTOCOL');
  });

  e2e('a sender that goes silent after the handshake: given up after --idle-timeout, the receiver waits for a retry', async ({ sd }) => {
    const { receiver, peer } = await receiverAndPeer(sd, sd.ws.out, ['--idle-timeout', '0.5']);
    await peer.handshake('initiator', CODE, Intent.SEND);
    await receiver.process.waitForLine('stderr', /the transfer broke off \(E_TIMEOUT: the other side went silent: nothing arrived for 0\.5 s while waiting for OFFER\)/);
    expect(await peer.nextRecord()).toBeNull(); // closed, without an ERROR
    expect(receiver.process.running).toBe(true);
    expect(listTree(sd.ws.out)).toEqual([]);
  });

  const badPaths: Array<[string, string[]]> = [
    ['parent', ['../x']],
    ['absolute', ['/etc/x']],
    ['escaping', ['a/../../x']],
    ['backslash', ['a\\b']],
    ['dot segment', ['a/./b']],
    ['empty segment', ['a//b']],
    ['NUL', ['a\u0000b']],
    ['ANSI escape', ['\u001b[31mred.txt']],
    ['bidi override', ['evil\u202etxt.exe']],
    ['Windows reserved name', ['CON.txt']],
    ['case collision', ['Report.txt', 'report.txt']],
  ];
  e2e.for(badPaths)('path rule (%s): E_BAD_PATH, nothing written', async ([, paths], { sd }) => {
    const { receiver, peer } = await acceptedOffer(sd, content, paths);
    const error = await peer.nextRecord();
    expect(JSON.parse(error!.body.toString()).code).toBe('E_BAD_PATH');
    await expectRefusedAwaitingCorrection(sd, receiver, 'E_BAD_PATH');
    expect(receiver.process.stderr).not.toContain('\u001b');
    expect(receiver.process.stderr).not.toContain('\u202e');
  });

  e2e('a path onto a symbolic link pointing outside: E_BAD_PATH, nothing written there', async ({ sd }) => {
    const outside = mkdtempSync(path.join(tmpdir(), 'sealdrop-outside-'));
    try {
      symlinkSync(outside, path.join(sd.ws.out, 'docs'));
      const { receiver, peer } = await acceptedOffer(sd, content, ['docs/report.txt']);
      expect(JSON.parse((await peer.nextRecord())!.body.toString()).code).toBe('E_BAD_PATH');
      await expectAwaitingCorrectedOffer(receiver.process);
      expect(readdirSync(outside)).toEqual([]);
      expect(listTree(sd.ws.out)).toEqual(['docs']);
    } finally {
      rmSync(outside, { recursive: true, force: true });
    }
  });
});

describe('a hostile peer during the handshake: refused, and the receiver keeps waiting', () => {
  const validElement = i2osp(4n, ELEMENT_BYTES); // 4 = 2^2 lies in the subgroup
  const cases: Array<[string, Buffer, string]> = [
    ['wrong magic', (() => { const h = encodeHello(Role.INITIATOR, Intent.SEND, validElement); h[1] = 0x58; return h; })(), 'bad magic'],
    ['wrong version', (() => { const h = encodeHello(Role.INITIATOR, Intent.SEND, validElement); h[9] = 2; return h; })(), 'unsupported version 2'],
    ['wrong group', (() => { const h = encodeHello(Role.INITIATOR, Intent.SEND, validElement); h[12] = 2; return h; })(), 'unsupported group 2'],
    ['wrong role', encodeHello(Role.RESPONDER, Intent.SEND, validElement), 'unexpected role'],
    ['both sides receiving', encodeHello(Role.INITIATOR, Intent.RECEIVE, validElement), 'intent mismatch: peer also receives'],
    ['element 0', encodeHello(Role.INITIATOR, Intent.SEND, i2osp(0n)), 'invalid element'],
    ['element 1', encodeHello(Role.INITIATOR, Intent.SEND, i2osp(1n)), 'invalid element'],
    ['a quadratic non-residue (5)', encodeHello(Role.INITIATOR, Intent.SEND, i2osp(5n)), 'invalid element'],
    ['a 1-byte frame', Buffer.of(0x01), 'protocol error'],
  ];
  e2e.for(cases)('%s: FAIL says why', async ([, payload, failText], { sd }) => {
    const { receiver, peer } = await receiverAndPeer(sd);
    peer.sendRaw(encodeFrame(payload));
    const fail = expectHandshakeFrame((await peer.nextFrame())!);
    expect(fail.payload[0]).toBe(0x0f);
    expect(fail.payload.subarray(1).toString()).toBe(failText);
    await peer.closedByPeer();
    await receiver.process.waitForLine('stderr', /connection from .* failed/);
    expect(receiver.process.running).toBe(true);
  });

  const failures = (child: SealdropProcess) => child.lines('stderr').filter((line) => /connection from .* failed/.test(line));

  e2e('three connections that only send FAIL "wrong code" do not spend the code; a real send still works', async ({ sd }) => {
    writeFileSync(path.join(sd.ws.src, 'a.txt'), 'abc');
    const { receiver, peer: first } = await receiverAndPeer(sd);
    for (let attempt = 0; attempt < 4; attempt += 1) {
      const peer = attempt === 0 ? first : await TestPeer.connect(receiver.port);
      sd.sockets.push(peer.socket);
      peer.sendRaw(encodeFrame(encodeFail('wrong code'))); // 15 bytes, no DH work
      await peer.closedByPeer();
      // One handshake at a time: the next connection only once this one is reported.
      await vi.waitFor(() => expect(failures(receiver.process)).toHaveLength(attempt + 1), { timeout: 5_000 });
    }
    expect(failures(receiver.process).every((line) => line.includes('E_HANDSHAKE: the peer ended the handshake: wrong code'))).toBe(true);
    expect(receiver.process.stderr).not.toContain('attempt');
    expect(receiver.process.stderr).not.toContain('E_CODE_SPENT');
    expect(receiver.process.running).toBe(true);
    const sender = sd.startSender({ to: receiver.address, code: CODE, paths: [path.join(sd.ws.src, 'a.txt')] });
    await sender.expectExit(0);
    await receiver.process.expectExit(0);
    expect(listTree(sd.ws.out)).toEqual(['a.txt']);
  });

  e2e('p-1 and p as elements: invalid element', async ({ sd }) => {
    const { P } = await import('../../src/crypto/group.js');
    for (const value of [P - 1n, P]) {
      const { receiver, peer } = await receiverAndPeer(sd);
      peer.sendRaw(encodeFrame(encodeHello(Role.INITIATOR, Intent.SEND, i2osp(value))));
      expect(expectHandshakeFrame((await peer.nextFrame())!).payload.subarray(1).toString()).toBe('invalid element');
      await receiver.process.waitForLine('stderr', /connection from .* failed/);
      receiver.process.kill('SIGKILL');
    }
  });

  e2e('a flood of tiny frames: closed at the first, the receiver goes on', async ({ sd }) => {
    const { receiver, peer } = await receiverAndPeer(sd);
    peer.sendRaw(Buffer.concat(Array.from({ length: 20_000 }, () => encodeFrame(Buffer.of(0x01)))));
    await peer.closedByPeer();
    await receiver.process.waitForLine('stderr', /connection from .* failed/);
    expect(receiver.process.running).toBe(true);
  });

  e2e('a handshake frame announcing 2^31 bytes: closed unread, the receiver goes on', async ({ sd }) => {
    const { receiver, peer } = await receiverAndPeer(sd);
    peer.sendRaw(frameHeader(2 ** 31));
    await peer.closedByPeer();
    expect(await peer.nextFrame()).toBeNull(); // no FAIL: section 2 closes without reading
    await receiver.process.waitForLine('stderr', /connection from .* failed/);
    expect(receiver.process.running).toBe(true);
  });
});

describe('a hostile receiver against the real sender', () => {
  async function senderAgainst(sd: E2EScope, behave: (peer: TestPeer) => Promise<void>, args: readonly string[] = []) {
    writeFileSync(path.join(sd.ws.src, 'a.txt'), 'abc');
    const server = await TestPeer.listen();
    const sender = sd.startSender({ to: `127.0.0.1:${server.port}`, code: CODE, paths: [path.join(sd.ws.src, 'a.txt')], args });
    const peer = await server.accepted;
    sd.sockets.push(peer.socket);
    server.close();
    await behave(peer);
    return sender;
  }

  e2e('a RECEIPT with another hash: the sender fails with E_INTEGRITY', async ({ sd }) => {
    const sender = await senderAgainst(sd, async (peer) => {
      await peer.handshake('responder', CODE, Intent.RECEIVE);
      await peer.nextRecord();
      peer.send(RecordType.ACCEPT, { resume: [] });
      while ((await peer.nextRecord())?.type !== RecordType.DONE);
      peer.send(RecordType.RECEIPT, { files: [{ index: 0, sha256: digestOf('not abc') }] });
    });
    expect(await sender.waitForExit()).toBe(1);
    expect(sender.stderr).toContain('E_INTEGRITY');
  });

  e2e('waits for ACCEPT while the receiver\'s person decides, but gives up on a receiver silent after DONE: E_TIMEOUT', { timeout: E2E_TIMEOUT_MS }, async ({ sd }) => {
    const sender = await senderAgainst(
      sd,
      async (peer) => {
        await peer.handshake('responder', CODE, Intent.RECEIVE);
        await peer.nextRecord();
        await new Promise((resolve) => setTimeout(resolve, 1_500)); // three idle timeouts at the prompt
        peer.send(RecordType.ACCEPT, { resume: [] });
        while ((await peer.nextRecord())?.type !== RecordType.DONE);
      },
      ['--idle-timeout', '0.5'],
    );
    expect(await sender.waitForExit()).toBe(1);
    expect(sender.stderr).toMatch(/^sealdrop: E_TIMEOUT: the other side went silent: nothing arrived for 0\.5 s while waiting for RECEIPT/m);
  });

  e2e('a FAIL with terminal escapes reaches the person with them replaced', async ({ sd }) => {
    const sender = await senderAgainst(sd, async (peer) => {
      await peer.nextFrame();
      peer.sendRaw(encodeFrame(encodeFail('\u001b[2J\u001b[31mgotcha\u202e')));
      peer.socket.end();
    });
    expect(await sender.waitForExit()).toBe(1);
    expect(sender.stderr).toContain('\ufffd[2J');
    expect(sender.stderr).not.toContain('\u001b');
    expect(sender.stderr).not.toContain('\u202e');
  });

  e2e('a receiver that does not know the code: E_WRONG_CODE, nothing sent', async ({ sd }) => {
    const sender = await senderAgainst(sd, async (peer) => {
      await peer.handshake('responder', 'another-code', Intent.RECEIVE).catch(() => undefined);
    });
    expect(await sender.waitForExit()).toBe(3);
    expect(sender.stderr).toContain('E_WRONG_CODE');
  });
});

/** A real, size-limited filesystem (ext4 on a loop device) needs root and a loop device. */
function mountSmallFilesystem(): { dir: string; unmount: () => void } | null {
  const dir = mkdtempSync(path.join(tmpdir(), 'sealdrop-small-'));
  const image = `${dir}.img`;
  try {
    execFileSync('truncate', ['-s', '8M', image]);
    execFileSync('mkfs.ext4', ['-q', '-F', '-m', '0', image], { stdio: 'ignore' });
    execFileSync('mount', ['-o', 'loop', image, dir], { stdio: 'ignore' });
    return {
      dir,
      unmount: () => {
        execFileSync('umount', [dir]);
        rmSync(dir, { recursive: true, force: true });
        rmSync(image, { force: true });
      },
    };
  } catch {
    rmSync(dir, { recursive: true, force: true });
    rmSync(image, { force: true });
    return null;
  }
}

const small = mountSmallFilesystem();
afterAll(() => small?.unmount());

describe('a disk that fills during the write', () => {
  // Without root or loop devices there is no honest way to fill a real disk; see README.
  e2e.runIf(small !== null)('an offer larger than the free space: E_NO_SPACE before any data moves', async ({ sd }) => {
    const out = path.join(small!.dir, 'offer');
    mkdirSync(out);
    const { receiver, peer } = await receiverAndPeer(sd, out);
    await peer.handshake('initiator', CODE, Intent.SEND);
    const size = 16 * 1024 * 1024;
    peer.send(RecordType.OFFER, { kind: 'files', name: 'big.bin', fileCount: 1, totalBytes: size, files: [{ path: 'big.bin', size, mode: 0o644, mtime: 0 }] });
    expect(JSON.parse((await peer.nextRecord())!.body.toString()).code).toBe('E_NO_SPACE'); // no ACCEPT first
    await expectAwaitingCorrectedOffer(receiver.process);
    expect(readdirSync(out)).toEqual([]);
    rmSync(out, { recursive: true });
  });

  e2e.runIf(small !== null)('ENOSPC mid-file on a real 8 MiB ext4: E_NO_SPACE, no file, no part left', async ({ sd }) => {
    const out = path.join(small!.dir, 'out');
    mkdirSync(out);
    const { receiver, peer } = await receiverAndPeer(sd, out);
    await peer.handshake('initiator', CODE, Intent.SEND);
    const size = 4 * 1024 * 1024;
    peer.send(RecordType.OFFER, { kind: 'files', name: 'big.bin', fileCount: 1, totalBytes: size, files: [{ path: 'big.bin', size, mode: 0o644, mtime: 0 }] });
    expect((await peer.nextRecord())!.type).toBe(RecordType.ACCEPT); // the free-space check passed
    writeFileSync(path.join(small!.dir, 'filler'), Buffer.alloc(5 * 1024 * 1024)); // someone else fills the disk
    peer.send(RecordType.FILE, { index: 0, offset: 0 });
    for (let sent = 0; sent < size; sent += 1024 * 1024) peer.send(RecordType.DATA, Buffer.alloc(1024 * 1024, 7));
    expect(await receiver.process.waitForExit()).toBe(5);
    expect(receiver.process.stderr).toContain('E_NO_SPACE');
    expect(readdirSync(out)).toEqual([]);
    rmSync(path.join(small!.dir, 'filler'));
  });
});
