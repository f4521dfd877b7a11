/**
 * The sending and receiving sessions against a test peer over 127.0.0.1: they produce the record
 * types of the vectors in the same order, with the same JSON, and react to the peer's answers.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import tmp from 'tmp';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { sha256 } from '../../src/crypto/mac.js';
import { SealdropError } from '../../src/errors.js';
import { Intent } from '../../src/protocol/handshake-messages.js';
import { RecordType, recordTypeName, type Record } from '../../src/protocol/records.js';
import { connectTo, TcpListener } from '../../src/channel/tcp.js';
import { Destination, partFileName } from '../../src/files/destination.js';
import { DirectorySink } from '../../src/files/directory-sink.js';
import { Gate } from '../../src/session/gate.js';
import { collectLocalFiles } from '../../src/files/local-files.js';
import { LocalFilesSource } from '../../src/files/local-source.js';
import { OfferRefused, receiveTransfer, type OfferAnswer, type ReceiveOptions } from '../../src/session/receive-session.js';
import { PeerStopped, openSecureChannel, type SecureChannel } from '../../src/channel/secure-channel.js';
import { sendFiles, sendText } from '../../src/session/send-session.js';
import { listTree, setMtimeExactMs } from '../support/files.js';
import { TestPeer } from '../support/test-peer.js';
import { hex, loadVectors } from '../support/vectors.js';

const doc = loadVectors('handshake-v1.json');
const CODE = '7-crossover-clockwork';
let dir: tmp.DirResult;
beforeEach(() => (dir = tmp.dirSync({ unsafeCleanup: true })));
afterEach(() => dir.removeCallback());

const vectorRecordShape = (v: any) =>
  v.records.map((r: any) => [r.direction, r.type, r.type === 'DATA' ? r.body_hex : JSON.parse(hex(r.body_hex).toString())]);

async function senderAgainstPeer(start: (connection: SecureChannel) => Promise<unknown>, idleTimeoutMs?: number) {
  const server = await TestPeer.listen();
  const connecting = connectTo('127.0.0.1', server.port).then((stream) => openSecureChannel(stream, { role: 'initiator', codeBytes: Buffer.from(CODE), intent: Intent.SEND, idleTimeoutMs }));
  const peer = await server.accepted;
  await peer.handshake('responder', CODE, Intent.RECEIVE);
  const outcome = connecting.then(start);
  outcome.catch(() => undefined);
  return { peer, outcome, close: server.close };
}

describe('sending session', () => {
  // Vector 3 splits its OFFER over two records to show a continuation; this sender fills one record first.
  const singleOffer = (v: any) => v.records.filter((r: any) => r.type === 'OFFER').length === 1;
  it.each<any>(doc.vectors.filter((v: any) => v.kind === 'files' && v.initiator_intent === Intent.SEND && singleOffer(v)))('sends the records of vector "$name"', async (v) => {
    for (const f of v.files) {
      mkdirSync(path.dirname(path.join(dir.name, f.path)), { recursive: true });
      writeFileSync(path.join(dir.name, f.path), hex(f.content_hex));
      setMtimeExactMs(path.join(dir.name, f.path), f.mtime); // the sender checks it is unchanged after sending
    }
    const selection = await collectLocalFiles([path.join(dir.name, v.files[0].path)], () => undefined);
    const fixed = { ...selection, name: v.offer_name, files: selection.files.map((f, i) => ({ ...f, mode: v.files[i].mode, mtime: v.files[i].mtime })) };
    const { peer, outcome, close } = await senderAgainstPeer((connection) => sendFiles(connection, new LocalFilesSource(fixed)));
    const seen: any[] = [];
    for (;;) {
      const record = (await peer.nextRecord())!;
      const name = recordTypeName(record.type);
      seen.push(['i2r', name, name === 'DATA' ? record.body.toString('hex') : JSON.parse(record.body.toString())]);
      const reply = v.records.find((r: any, i: number) => r.direction === 'r2i' && i === seen.length);
      if (reply) {
        peer.send(reply.type_byte, hex(reply.body_hex));
        seen.push(['r2i', reply.type, JSON.parse(hex(reply.body_hex).toString())]);
      }
      if (name === 'DONE') break;
    }
    await expect(outcome).resolves.toHaveLength(1);
    expect(seen).toEqual(vectorRecordShape(v));
    close();
  });

  it('sends a text as OFFER, DONE and succeeds on RECEIPT', async () => {
    const { peer, outcome, close } = await senderAgainstPeer((connection) => sendText(connection, 'hi'));
    expect(JSON.parse((await peer.nextRecord())!.body.toString())).toEqual({ kind: 'text', text: 'hi' });
    peer.send(RecordType.ACCEPT, { resume: [] });
    expect((await peer.nextRecord())!.type).toBe(RecordType.DONE);
    peer.send(RecordType.RECEIPT, { files: [] });
    await expect(outcome).resolves.toBeUndefined();
    close();
  });

  it('still reads a RECEIPT that arrives together with the end of the connection', async () => {
    const { peer, outcome, close } = await senderAgainstPeer((connection) => sendText(connection, 'hi'));
    await peer.nextRecord();
    peer.send(RecordType.ACCEPT, { resume: [] });
    await peer.nextRecord();
    peer.socket.end(peer.seal(RecordType.RECEIPT, { files: [] })); // the record and the FIN in one go
    await expect(outcome).resolves.toBeUndefined();
    close();
  });

  it('fails with E_INTEGRITY when the RECEIPT names another hash', async () => {
    writeFileSync(path.join(dir.name, 'a.txt'), 'abc');
    const selection = await collectLocalFiles([path.join(dir.name, 'a.txt')], () => undefined);
    const { peer, outcome, close } = await senderAgainstPeer((connection) => sendFiles(connection, new LocalFilesSource(selection)));
    await peer.nextRecord();
    peer.send(RecordType.ACCEPT, { resume: [] });
    while ((await peer.nextRecord())!.type !== RecordType.DONE);
    peer.send(RecordType.RECEIPT, { files: [{ index: 0, sha256: '00'.repeat(32) }] });
    await expect(outcome).rejects.toMatchObject({ code: 'E_INTEGRITY' });
    close();
  });

  // Section 6: the sender resumes only where the receiver's MAC (under k_resume) proves the prefix.
  const resumeCases: Array<[string, (peer: TestPeer) => string, number]> = [
    ['the right MAC: from the offset', (peer) => peer.session!.resumeMac(0, 3, sha256(Buffer.from('abc'))).toString('hex'), 3],
    ['the MAC of another prefix: from 0', (peer) => peer.session!.resumeMac(0, 3, sha256(Buffer.from('abd'))).toString('hex'), 0],
    ['the MAC of another index: from 0', (peer) => peer.session!.resumeMac(1, 3, sha256(Buffer.from('abc'))).toString('hex'), 0],
    ['the plain SHA-256 of the prefix: from 0', () => sha256(Buffer.from('abc')).toString('hex'), 0],
  ];
  it.each(resumeCases)('resumes on %s', async (_, mac, expectedOffset) => {
    writeFileSync(path.join(dir.name, 'a.txt'), 'abcdef');
    const selection = await collectLocalFiles([path.join(dir.name, 'a.txt')], () => undefined);
    const { peer, outcome, close } = await senderAgainstPeer((connection) => sendFiles(connection, new LocalFilesSource(selection)));
    await peer.nextRecord();
    peer.send(RecordType.ACCEPT, { resume: [{ index: 0, offset: 3, mac: mac(peer) }] });
    expect(JSON.parse((await peer.nextRecord())!.body.toString())).toEqual({ index: 0, offset: expectedOffset });
    const data = (await peer.nextRecord())!;
    expect(data.body.toString()).toBe('abcdef'.slice(expectedOffset));
    expect(JSON.parse((await peer.nextRecord())!.body.toString())).toEqual({ sha256: sha256(Buffer.from('abcdef')).toString('hex') });
    expect((await peer.nextRecord())!.type).toBe(RecordType.DONE);
    peer.send(RecordType.RECEIPT, { files: [{ index: 0, sha256: sha256(Buffer.from('abcdef')).toString('hex') }] });
    await expect(outcome).resolves.toHaveLength(1);
    close();
  });

  it('stops at once with the receiver\'s own code when it sends ERROR', async () => {
    writeFileSync(path.join(dir.name, 'a.txt'), 'abc');
    const selection = await collectLocalFiles([path.join(dir.name, 'a.txt')], () => undefined);
    const { peer, outcome, close } = await senderAgainstPeer((connection) => sendFiles(connection, new LocalFilesSource(selection)));
    await peer.nextRecord();
    peer.send(RecordType.ERROR, { code: 'E_EXISTS', message: 'a.txt already exists' });
    await expect(outcome).rejects.toMatchObject({ code: 'E_EXISTS' });
    close();
  });
});

describe('receiving session', () => {
  /** `onRecordRead` sees each record the session reads, as it gets it, with the session's connection. */
  async function receiverWithPeer(overwrite = false, options: Partial<ReceiveOptions> & { idleTimeoutMs?: number; onRecordRead?: (record: Record, connection: SecureChannel) => void } = {}) {
    const listener = await TcpListener.open('127.0.0.1', 0);
    const sink = await DirectorySink.open(dir.name, overwrite);
    const recordsRead = { count: 0 };
    const result = new Gate(listener, { codeBytes: Buffer.from(CODE), intent: Intent.RECEIVE, idleTimeoutMs: options.idleTimeoutMs })
      .next()
      .then((connection) => {
        const receive = connection.receive.bind(connection);
        vi.spyOn(connection, 'receive').mockImplementation((...args) => {
          recordsRead.count += 1;
          return receive(...args).then((record) => {
            options.onRecordRead?.(record, connection);
            return record;
          });
        });
        return receiveTransfer(connection, { sink, decide: async () => 'accept', ...options });
      })
      .finally(() => listener.close());
    result.catch(() => undefined);
    const peer = await TestPeer.connect(listener.port);
    await peer.handshake('initiator', CODE, Intent.SEND);
    return { peer, result, recordsRead };
  }

  it.each<any>(doc.vectors.filter((v: any) => v.kind === 'files' && v.initiator_intent === Intent.SEND))('answers vector "$name" with its ACCEPT and RECEIPT', async (v) => {
    const { peer, result } = await receiverWithPeer();
    const replies: any[] = [];
    for (const r of v.records.filter((r: any) => r.direction === 'i2r')) peer.send(r.type_byte, hex(r.body_hex));
    for (;;) {
      const record = await peer.nextRecord();
      if (!record) break;
      replies.push(['r2i', recordTypeName(record.type), JSON.parse(record.body.toString())]);
    }
    await result;
    expect(replies).toEqual(vectorRecordShape(v).filter((r: any) => r[0] === 'r2i'));
    for (const f of v.files) expect(readFileSync(path.join(dir.name, f.path)).toString('hex')).toBe(f.content_hex);
  });

  describe('with a part file kept from an earlier transfer of the same entry', () => {
    const entry = { path: 'a.txt', size: 6, mode: 0o644, mtime: 1_700_000_000_000 };
    const abcMac = (peer: TestPeer) => peer.session!.resumeMac(0, 3, sha256(Buffer.from('abc'))).toString('hex');

    /** Keeps 'abc' for a.txt, offers it, and reads the ACCEPT. */
    async function offeredAgain() {
      const earlier = await Destination.open(dir.name, false);
      const part = await earlier.createPart(entry);
      await part.handle.write('abc');
      await earlier.keep([part]);
      const { peer, result } = await receiverWithPeer();
      peer.send(RecordType.OFFER, { kind: 'files', name: 'a.txt', fileCount: 1, totalBytes: 6, files: [entry] });
      return { peer, result, accept: JSON.parse((await peer.nextRecord())!.body.toString()) };
    }

    /** Sends the rest of a.txt from `offset` (so that it holds `whole`), then DONE; the file that lands. */
    async function sendFrom(peer: TestPeer, result: Promise<unknown>, offset: number, whole: string): Promise<string> {
      peer.send(RecordType.FILE, { index: 0, offset });
      peer.send(RecordType.DATA, Buffer.from(whole.slice(offset)));
      peer.send(RecordType.FILE_END, { sha256: sha256(Buffer.from(whole)).toString('hex') });
      peer.send(RecordType.DONE, {});
      await expect(result).resolves.toMatchObject({ kind: 'files' });
      return readFileSync(path.join(dir.name, 'a.txt'), 'utf8');
    }

    it('proves the prefix with the MAC of section 6, and shows nothing else of it', async () => {
      const { peer, result, accept } = await offeredAgain();
      expect(accept).toEqual({ resume: [{ index: 0, offset: 3, mac: abcMac(peer) }] });
      expect(await sendFrom(peer, result, 3, 'abcdef')).toBe('abcdef');
    });

    it('starts afresh, keeping nothing of the prefix, where the sender starts from 0', async () => {
      const { peer, result } = await offeredAgain();
      expect(await sendFrom(peer, result, 0, 'xyzdef')).toBe('xyzdef');
    });

    it('refuses any other offset (E_PROTOCOL)', async () => {
      const { peer, result } = await offeredAgain();
      peer.send(RecordType.FILE, { index: 0, offset: 2 });
      await expect(result).rejects.toMatchObject({ code: 'E_PROTOCOL' });
    });
  });

  it('receives a text message', async () => {
    const { peer, result } = await receiverWithPeer();
    peer.send(RecordType.OFFER, { kind: 'text', text: 'hello' });
    expect((await peer.nextRecord())!.type).toBe(RecordType.ACCEPT);
    peer.send(RecordType.DONE, {});
    expect((await peer.nextRecord())!.type).toBe(RecordType.RECEIPT);
    await expect(result).resolves.toEqual({ kind: 'text', text: 'hello' });
  });

  const entriesOf = (from: number, count: number) =>
    Array.from({ length: count }, (_, i) => ({ path: `dir-${from + i}/file-${from + i}.bin`, size: 1, mode: 0o644, mtime: 0 }));

  it('refuses with E_TOO_LARGE an offer whose records exceed the limit, having read about the limit', async () => {
    const maxOfferBytes = 64 * 1024;
    const { peer, result, recordsRead } = await receiverWithPeer(false, { maxOfferBytes });
    const perRecord = 50; // about 3.5 KiB of JSON a record
    const records = 200; // 700 KiB in all, more than ten times the limit
    peer.send(RecordType.OFFER, { kind: 'files', name: 'many', fileCount: perRecord * records, totalBytes: perRecord * records, files: entriesOf(0, perRecord), more: true });
    for (let r = 1; r < records; r += 1) peer.send(RecordType.OFFER, { kind: 'files', files: entriesOf(r * perRecord, perRecord), more: r < records - 1 });
    const error = (await peer.nextRecord())!;
    expect(error.type).toBe(RecordType.ERROR);
    expect(JSON.parse(error.body.toString())).toMatchObject({ code: 'E_TOO_LARGE' });
    peer.destroy();
    await expect(result).rejects.toMatchObject({ code: 'E_TOO_LARGE', message: expect.stringContaining('0.06 MiB') });
    const recordBytes = peer.seal(RecordType.OFFER, { kind: 'files', files: entriesOf(1000, perRecord), more: true }).length;
    expect(recordsRead.count).toBeLessThanOrEqual(Math.ceil(maxOfferBytes / (recordBytes - 100)) + 1);
  });

  it('refuses a path of a later record as that record arrives, reading no further', async () => {
    const { peer, result, recordsRead } = await receiverWithPeer();
    peer.send(RecordType.OFFER, { kind: 'files', name: 'x', fileCount: 30, totalBytes: 30, files: entriesOf(0, 10), more: true });
    peer.send(RecordType.OFFER, { kind: 'files', files: [...entriesOf(10, 9), { path: 'DIR-3', size: 1, mode: 0o644, mtime: 0 }], more: true });
    peer.send(RecordType.OFFER, { kind: 'files', files: entriesOf(20, 10), more: false });
    await expect(result).rejects.toMatchObject({ code: 'E_BAD_PATH', message: expect.stringContaining('path 19') });
    expect(recordsRead.count).toBe(2);
  });

  it('refuses an empty continuation with E_PROTOCOL', async () => {
    const { peer, result } = await receiverWithPeer();
    peer.send(RecordType.OFFER, { kind: 'files', name: 'x', fileCount: 2, totalBytes: 2, files: entriesOf(0, 1), more: true });
    peer.send(RecordType.OFFER, { kind: 'files', files: [], more: true });
    await expect(result).rejects.toMatchObject({ code: 'E_PROTOCOL' });
    expect(JSON.parse((await peer.nextRecord())!.body.toString())).toMatchObject({ code: 'E_PROTOCOL' });
  });

  describe('an offer refused by the receiver\'s rules (section 6 step 2: the code stays valid for a corrected offer)', () => {
    const fileEntry = (entryPath: string) => ({ path: entryPath, size: 1, mode: 0o644, mtime: 0 });
    const offerOf = (peer: TestPeer, entryPath: string) =>
      peer.send(RecordType.OFFER, { kind: 'files', name: entryPath, fileCount: 1, totalBytes: 1, files: [fileEntry(entryPath)] });

    it('rejects with OfferRefused, keeping the code and message, and leaves nothing: the same destination then takes the corrected offer', async () => {
      mkdirSync(path.join(dir.name, 'bin'));
      const destination = await Destination.open(dir.name, false);
      // Refused by admit, after the entry was claimed: its lock must go too.
      const refused = await receiverWithPeer(false, { sink: new DirectorySink(destination) });
      offerOf(refused.peer, 'bin/ls');
      expect(JSON.parse((await refused.peer.nextRecord())!.body.toString())).toEqual({ code: 'E_EXISTS', message: 'the receiver refused the offer (E_EXISTS)' });
      const refusal = await refused.result.catch((error: unknown) => error);
      expect(refusal).toBeInstanceOf(OfferRefused);
      expect(refusal).toMatchObject({ code: 'E_EXISTS', message: expect.stringContaining('the offer would write into bin/') });
      expect(listTree(dir.name)).toEqual(['bin/']); // no part file, lock, record or directory of the refused offer

      const corrected = await receiverWithPeer(false, { sink: new DirectorySink(destination) });
      offerOf(corrected.peer, 'tools/ls');
      expect((await corrected.peer.nextRecord())!.type).toBe(RecordType.ACCEPT);
      corrected.peer.send(RecordType.FILE, { index: 0, offset: 0 });
      corrected.peer.send(RecordType.DATA, Buffer.from('z'));
      corrected.peer.send(RecordType.FILE_END, { sha256: createHash('sha256').update('z').digest('hex') });
      corrected.peer.send(RecordType.DONE, {});
      await expect(corrected.result).resolves.toMatchObject({ kind: 'files' });
      expect(listTree(dir.name)).toEqual(['bin/', 'tools/', 'tools/ls']);
    });

    it('is not what a failure after ACCEPT is, even with the same code', async () => {
      const { peer, result } = await receiverWithPeer();
      offerOf(peer, 'a.txt');
      expect((await peer.nextRecord())!.type).toBe(RecordType.ACCEPT);
      peer.send(RecordType.FILE, { index: 0, offset: 0 });
      peer.send(RecordType.DATA, Buffer.from('z'));
      peer.send(RecordType.FILE_END, { sha256: createHash('sha256').update('z').digest('hex') });
      writeFileSync(path.join(dir.name, 'a.txt'), 'someone else\n');
      peer.send(RecordType.DONE, {});
      const failure = await result.catch((error: unknown) => error);
      expect(failure).toMatchObject({ code: 'E_EXISTS' });
      expect(failure).not.toBeInstanceOf(OfferRefused);
    });

    it('is not what the sender\'s own ERROR before ACCEPT is, even with a refusal\'s code', async () => {
      const { peer, result } = await receiverWithPeer();
      peer.send(RecordType.OFFER, { kind: 'files', name: 'x', fileCount: 2, totalBytes: 2, files: entriesOf(0, 1), more: true });
      peer.send(RecordType.ERROR, { code: 'E_EXISTS', message: 'changed my mind' });
      const failure = await result.catch((error: unknown) => error);
      expect(failure).toBeInstanceOf(PeerStopped);
      expect(failure).not.toBeInstanceOf(OfferRefused);
    });
  });

  it('gives up on a sender that goes silent when it owes a record: E_TIMEOUT', async () => {
    const { peer, result } = await receiverWithPeer(false, { idleTimeoutMs: 200 });
    peer.send(RecordType.OFFER, { kind: 'files', name: 'x', fileCount: 2, totalBytes: 2, files: entriesOf(0, 1), more: true });
    await expect(result).rejects.toMatchObject({ code: 'E_TIMEOUT', message: expect.stringContaining('OFFER') });
  });

  it('does not time the sender while the receiver\'s person decides', async () => {
    const idleTimeoutMs = 100;
    const decide = () => new Promise<OfferAnswer>((resolve) => setTimeout(() => resolve('accept'), 4 * idleTimeoutMs));
    const { peer, result } = await receiverWithPeer(false, { idleTimeoutMs, decide });
    peer.send(RecordType.OFFER, { kind: 'files', name: 'a', fileCount: 1, totalBytes: 1, files: [{ path: 'a', size: 1, mode: 0o644, mtime: 0 }] });
    expect((await peer.nextRecord())!.type).toBe(RecordType.ACCEPT);
    peer.send(RecordType.FILE, { index: 0, offset: 0 });
    peer.send(RecordType.DATA, Buffer.from('z'));
    peer.send(RecordType.FILE_END, { sha256: createHash('sha256').update('z').digest('hex') });
    peer.send(RecordType.DONE, {});
    await expect(result).resolves.toMatchObject({ kind: 'files' });
  });

  describe('the end of the connection around DONE', () => {
    const entry = { path: 'a.txt', size: 3, mode: 0o644, mtime: 1_700_000_000_000 };
    async function receiverGivenAll(options: Parameters<typeof receiverWithPeer>[1]) {
      const { peer, result } = await receiverWithPeer(false, options);
      peer.send(RecordType.OFFER, { kind: 'files', name: 'a.txt', fileCount: 1, totalBytes: 3, files: [entry] });
      expect((await peer.nextRecord())!.type).toBe(RecordType.ACCEPT);
      peer.send(RecordType.FILE, { index: 0, offset: 0 });
      peer.send(RecordType.DATA, Buffer.from('abc'));
      peer.send(RecordType.FILE_END, { sha256: createHash('sha256').update('abc').digest('hex') });
      peer.send(RecordType.DONE, {});
      return { peer, result };
    }

    // What the CLI's Ctrl-C does (receive.ts): it aborts the channel with E_INTERRUPTED.
    const interrupt = (connection: SecureChannel) => connection.abort(new SealdropError('E_INTERRUPTED', 'interrupted'));

    it('a Ctrl-C that lands just as DONE is read: nothing under a final name, the part kept for a resume, no lock left', async () => {
      const { result } = await receiverGivenAll({ onRecordRead: (record, connection) => record.type === RecordType.DONE && interrupt(connection) });
      await expect(result).rejects.toMatchObject({ code: 'E_INTERRUPTED' });
      expect(readdirSync(dir.name).sort()).toEqual([partFileName('a.txt'), `${partFileName('a.txt')}.json`]);
    });

    it('a connection lost while the files land: they land, the transfer is complete (the RECEIPT not sent), no lock left', async () => {
      const destination = await Destination.open(dir.name, false);
      let connectionOfSession: SecureChannel | undefined;
      const syncCommitted = destination.syncCommitted.bind(destination);
      vi.spyOn(destination, 'syncCommitted').mockImplementation(() => {
        connectionOfSession!.abort(new SealdropError('E_CONNECT', 'the connection was lost')); // a reset from the peer, say
        return syncCommitted();
      });
      const { result } = await receiverGivenAll({ sink: new DirectorySink(destination), onRecordRead: (_, connection) => (connectionOfSession = connection) });
      await expect(result).resolves.toMatchObject({ kind: 'files', receiptSent: false });
      expect(readdirSync(dir.name)).toEqual(['a.txt']);
      expect(readFileSync(path.join(dir.name, 'a.txt'), 'utf8')).toBe('abc');
    });
  });
});

describe('idle timeouts of the sending session', () => {
  it('waits for ACCEPT however long the receiver\'s person takes, then for RECEIPT only the idle timeout', async () => {
    const idleTimeoutMs = 100;
    const { peer, outcome, close } = await senderAgainstPeer((connection) => sendText(connection, 'hi'), idleTimeoutMs);
    await peer.nextRecord();
    await new Promise((resolve) => setTimeout(resolve, 4 * idleTimeoutMs)); // the person reads the offer
    peer.send(RecordType.ACCEPT, { resume: [] });
    expect((await peer.nextRecord())!.type).toBe(RecordType.DONE);
    // ... and never sends RECEIPT.
    await expect(outcome).rejects.toMatchObject({ code: 'E_TIMEOUT', message: expect.stringContaining('RECEIPT') });
    close();
  });
});
