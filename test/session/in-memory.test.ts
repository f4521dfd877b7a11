/**
 * Sessions without processes or sockets: both ends in one process over an in-memory duplex pair
 * (test/support/duplex-pair.ts). Send, receive, a text, a wrong code, a decline, a resume, the
 * channel's records as a sequence, and the responder's gate (section 7), each in milliseconds.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { Writable } from 'node:stream';
import tmp from 'tmp';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SealdropError } from '../../src/errors.js';
import { encodeFrame } from '../../src/protocol/frames.js';
import { encodeFail, Intent } from '../../src/protocol/handshake-messages.js';
import { RecordType } from '../../src/protocol/records.js';
import { openSecureChannel, PeerStopped, type SecureChannel } from '../../src/channel/secure-channel.js';
import { DirectorySink } from '../../src/files/directory-sink.js';
import { LocalFilesSource } from '../../src/files/local-source.js';
import { collectLocalFiles } from '../../src/files/local-files.js';
import { Gate, type GateEvent, type GateOptions } from '../../src/session/gate.js';
import { receiveTransfer } from '../../src/session/receive-session.js';
import { receiveWithRetries } from '../../src/session/receive-retries.js';
import { sendFiles, sendText } from '../../src/session/send-session.js';
import { duplexPair, MemoryIncoming, type MemoryStream } from '../support/duplex-pair.js';
import { listTree, sha256Hex } from '../support/files.js';

const CODE = Buffer.from('7-crossover-clockwork');
const WRONG_CODE = Buffer.from('7-crossover-clockworm');
let from: tmp.DirResult;
let to: tmp.DirResult;
beforeEach(() => {
  from = tmp.dirSync({ unsafeCleanup: true });
  to = tmp.dirSync({ unsafeCleanup: true });
});
afterEach(() => {
  from.removeCallback();
  to.removeCallback();
});

/** The sender's end of a new connection, secured as the initiator. */
const asSender = (stream: MemoryStream, codeBytes = CODE) => openSecureChannel(stream, { role: 'initiator', intent: Intent.SEND, codeBytes });

/** Both ends of one in-memory connection, secured: [sender, receiver]. */
async function securedPair(): Promise<[SecureChannel, SecureChannel]> {
  const [near, far] = duplexPair();
  return Promise.all([asSender(near), openSecureChannel(far, { role: 'responder', intent: Intent.RECEIVE, codeBytes: CODE })]);
}

/** Local files under `from` with these contents, selected for sending. */
async function selectionOf(files: Record<string, Buffer | string>) {
  for (const [name, content] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(from.name, name)), { recursive: true });
    writeFileSync(path.join(from.name, name), content);
  }
  const tops = [...new Set(Object.keys(files).map((name) => name.split('/')[0]!))];
  return new LocalFilesSource(await collectLocalFiles(tops.map((top) => path.join(from.name, top)), () => undefined));
}

const accept = async () => 'accept' as const;

/** Resolves once the stream is closed (by an end both ways, or a reset from the other end). */
async function closed(stream: MemoryStream): Promise<void> {
  stream.on('error', () => undefined);
  stream.resume();
  // Not events.once: it would reject on the reset's 'error'.
  if (!stream.destroyed) await new Promise((resolve) => stream.once('close', resolve));
}

describe('a session over an in-memory pair', () => {
  it('sends files: every byte lands under its name, and both sides agree on each SHA-256', async () => {
    const big = randomBytes(2 * 1024 * 1024 + 12_345); // three DATA records
    const selection = await selectionOf({ 'docs/big.bin': big, 'docs/notes/small.txt': 'small\n' });
    const [sender, receiver] = await securedPair();
    expect(sender.fingerprint).toBe(receiver.fingerprint);
    const destination = await DirectorySink.open(to.name, false);
    const [sent, received] = await Promise.all([sendFiles(sender, selection), receiveTransfer(receiver, { sink: destination, decide: accept })]);
    expect(received).toMatchObject({ kind: 'files', files: sent, receiptSent: true });
    expect(sent.map((f) => f.sha256)).toEqual([sha256Hex(big), sha256Hex(Buffer.from('small\n'))]);
    expect(readFileSync(path.join(to.name, 'docs/big.bin')).equals(big)).toBe(true);
    expect(readFileSync(path.join(to.name, 'docs/notes/small.txt'), 'utf8')).toBe('small\n');
  });

  it('sends a text', async () => {
    const [sender, receiver] = await securedPair();
    const destination = await DirectorySink.open(to.name, false);
    const [, received] = await Promise.all([sendText(sender, 'two\nlines'), receiveTransfer(receiver, { sink: destination, decide: accept })]);
    expect(received).toEqual({ kind: 'text', text: 'two\nlines' });
  });

  it('a decline: the sender fails with E_DECLINED, nothing is written', async () => {
    const selection = await selectionOf({ 'a.txt': 'abc' });
    const [sender, receiver] = await securedPair();
    const destination = await DirectorySink.open(to.name, false);
    const [sending, received] = await Promise.all([
      sendFiles(sender, selection).catch((error: unknown) => error),
      receiveTransfer(receiver, { sink: destination, decide: async () => 'decline' }),
    ]);
    expect(received).toEqual({ kind: 'declined', name: 'a.txt' });
    expect(sending).toMatchObject({ code: 'E_DECLINED' });
    expect(listTree(to.name)).toEqual([]);
  });

  it('a wrong code: E_WRONG_CODE on both sides, and the streams are closed', async () => {
    const [near, far] = duplexPair();
    const [initiator, responder] = await Promise.allSettled([
      asSender(near, WRONG_CODE),
      openSecureChannel(far, { role: 'responder', intent: Intent.RECEIVE, codeBytes: CODE }),
    ]);
    expect(initiator).toMatchObject({ status: 'rejected', reason: { code: 'E_WRONG_CODE' } });
    expect(responder).toMatchObject({ status: 'rejected', reason: { code: 'E_WRONG_CODE' } });
    await closed(near);
  });
});

describe('the channel', () => {
  it('hands over records as an async sequence, in order, until the peer closes', async () => {
    const [a, b] = await securedPair();
    const seen: string[] = [];
    const reading = (async () => {
      for await (const record of b.records()) seen.push(record.body.toString());
    })();
    for (const line of ['one', 'two', 'three']) await a.send(RecordType.DATA, Buffer.from(line));
    await a.close();
    await reading;
    expect(seen).toEqual(['one', 'two', 'three']);
  });

  it("ends the sequence with the peer's ERROR as PeerStopped, with the peer's code", async () => {
    const [a, b] = await securedPair();
    const reading = (async () => {
      for await (const _ of b.records());
    })();
    await a.send(RecordType.DATA, Buffer.from('fine'));
    await a.fail(new SealdropError('E_NO_SPACE', 'disk full'));
    const error = await reading.catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PeerStopped);
    expect(error).toMatchObject({ code: 'E_NO_SPACE' });
  });

  it('abort: every wait on it fails with the given error; the peer sees a lost connection', async () => {
    const [a, b] = await securedPair();
    const waiting = a.receive('anything');
    const peerWaiting = b.receive('anything');
    a.abort(new SealdropError('E_INTERRUPTED', 'interrupted'));
    await expect(waiting).rejects.toMatchObject({ code: 'E_INTERRUPTED' });
    await expect(peerWaiting).rejects.toMatchObject({ code: 'E_CONNECT' });
    expect(() => a.throwIfEnded()).toThrow(expect.objectContaining({ code: 'E_INTERRUPTED' }));
  });

  it('counts the bytes itself: a record trickling in slower than the idle timeout is no silence; a silent peer is (E_TIMEOUT)', async () => {
    // sender ⇄ relay ⇄ receiver; once `trickle` is set, the relay passes the sender's bytes on 16 at a time, every 10 ms.
    const [senderEnd, fromSender] = duplexPair();
    const [toReceiver, receiverEnd] = duplexPair();
    let trickle = false;
    const relay = new Writable({
      write(chunk: Buffer, _encoding, callback) {
        if (!trickle) return void toReceiver.write(chunk, callback);
        void (async () => {
          for (let start = 0; start < chunk.length; start += 16) {
            toReceiver.write(chunk.subarray(start, start + 16));
            await new Promise((resolve) => setTimeout(resolve, 10));
          }
        })().then(() => callback());
      },
    });
    fromSender.pipe(relay);
    toReceiver.pipe(fromSender);
    const idleTimeoutMs = 80;
    const [a, b] = await Promise.all([asSender(senderEnd), openSecureChannel(receiverEnd, { role: 'responder', intent: Intent.RECEIVE, codeBytes: CODE, idleTimeoutMs })]);
    trickle = true;
    void a.send(RecordType.DATA, Buffer.alloc(400)); // about 27 pieces: some 270 ms, over three timeouts
    const started = performance.now();
    expect((await b.receive('DATA')).body.length).toBe(400);
    expect(performance.now() - started).toBeGreaterThan(2 * idleTimeoutMs); // it did trickle
    await expect(b.receive('RECEIPT')).rejects.toMatchObject({ code: 'E_TIMEOUT', message: expect.stringContaining('RECEIPT') });
  });
});

/** A gate over an in-memory source, with its events and a way to wait for the next one. */
function memoryGate(options: Partial<GateOptions> = {}) {
  const incoming = new MemoryIncoming();
  const events: GateEvent[] = [];
  const waiters: Array<(event: GateEvent) => void> = [];
  const gate = new Gate(incoming, {
    codeBytes: CODE,
    intent: Intent.RECEIVE,
    onEvent: (event) => {
      events.push(event);
      waiters.shift()?.(event);
    },
    ...options,
  });
  const nextEvent = () => new Promise<GateEvent>((resolve) => waiters.push(resolve));
  return { gate, incoming, events, nextEvent };
}


describe("the responder's gate (section 7)", () => {
  it('one handshake at a time: a stream arriving during a handshake is closed at once', async () => {
    const { gate, incoming, nextEvent } = memoryGate();
    const admitted = gate.next();
    const connected = nextEvent();
    const first = incoming.dial();
    await connected;
    await closed(incoming.dial());
    const [sender, receiver] = await Promise.all([asSender(first), admitted]);
    expect(receiver.fingerprint).toBe(sender.fingerprint);
  });

  it('while a channel it let through is in use, another stream is closed at once, even with next() waiting; release() lets the next in', async () => {
    const { gate, incoming } = memoryGate();
    const first = gate.next();
    await asSender(incoming.dial());
    await first;
    const second = gate.next();
    await closed(incoming.dial());
    gate.release();
    const [sender, receiver] = await Promise.all([asSender(incoming.dial()), second]);
    expect(receiver.fingerprint).toBe(sender.fingerprint);
  });

  it('three wrong codes spend the code: E_CODE_SPENT', async () => {
    const { gate, incoming, events } = memoryGate();
    const admitted = gate.next();
    admitted.catch(() => undefined);
    for (let attempt = 0; attempt < 3; attempt += 1) {
      await expect(asSender(incoming.dial(), WRONG_CODE)).rejects.toMatchObject({ code: 'E_WRONG_CODE' });
    }
    await expect(admitted).rejects.toMatchObject({ code: 'E_CODE_SPENT' });
    expect(events.filter((e) => e.type === 'handshake-failed').map((e) => (e as { attemptsLeft: number }).attemptsLeft)).toEqual([2, 1, 0]);
    await expect(gate.next()).rejects.toMatchObject({ code: 'E_CODE_SPENT' });
  });

  it('a FAIL "wrong code" from the peer is no attempt: four of them, and the right code still gets in', async () => {
    const { gate, incoming, nextEvent } = memoryGate();
    const admitted = gate.next();
    for (let i = 0; i < 4; i += 1) {
      const failed = nextEvent().then(nextEvent); // 'connection', then 'handshake-failed'
      const stream = incoming.dial();
      stream.write(encodeFrame(encodeFail('wrong code')));
      expect(await failed).toMatchObject({ type: 'handshake-failed', attemptsLeft: 3 });
      await closed(stream);
    }
    const [sender, receiver] = await Promise.all([asSender(incoming.dial()), admitted]);
    expect(receiver.fingerprint).toBe(sender.fingerprint);
  });

  it('a peer silent for the handshake timeout is closed and costs no attempt; the next gets in', async () => {
    const { gate, incoming, nextEvent } = memoryGate({ handshakeTimeoutMs: 50 });
    const admitted = gate.next();
    const failed = nextEvent().then(nextEvent);
    const silent = incoming.dial();
    expect(await failed).toMatchObject({ type: 'handshake-failed', error: { code: 'E_TIMEOUT' }, attemptsLeft: 3 });
    await closed(silent);
    const [sender, receiver] = await Promise.all([asSender(incoming.dial()), admitted]);
    expect(receiver.fingerprint).toBe(sender.fingerprint);
  });
});

describe('receiving until done, through the gate', () => {
  it('a transfer that broke off waits for the same send again, which resumes after the kept prefix', async () => {
    const size = 4 * 1024 * 1024;
    const content = randomBytes(size);
    const selection = await selectionOf({ 'big.bin': content });
    const { gate, incoming } = memoryGate();
    const destination = await DirectorySink.open(to.name, false);
    const waits: Array<() => void> = [];
    const brokeOff: SealdropError[] = [];
    let firstSender: SecureChannel | undefined;
    let progressEvents = 0;
    const receiving = receiveWithRetries(
      gate,
      {
        sink: destination,
        decide: accept,
        // The sender's Ctrl-C, once two records have arrived.
        onProgress: () => ++progressEvents === 2 && firstSender!.abort(new SealdropError('E_INTERRUPTED', 'interrupted')),
      },
      { onWaiting: () => waits.shift()?.(), onBrokeOff: (error) => brokeOff.push(error) },
    );
    const firstStream = incoming.dial();
    firstSender = await asSender(firstStream);
    const secondWait = new Promise<void>((resolve) => waits.push(resolve));
    await expect(sendFiles(firstSender, selection)).rejects.toMatchObject({ code: 'E_INTERRUPTED' });
    await secondWait;
    expect(brokeOff.map((e) => e.code)).toEqual(['E_CONNECT']);

    const secondStream = incoming.dial();
    const [sent, received] = await Promise.all([asSender(secondStream).then((channel) => sendFiles(channel, selection)), receiving]);
    expect(received).toMatchObject({ kind: 'files', files: sent });
    expect(readFileSync(path.join(to.name, 'big.bin')).equals(content)).toBe(true);
    expect(secondStream.bytesWritten).toBeLessThan(size); // not all of it again
  });

  it('an offer refused by the rules waits for a corrected one, which lands', async () => {
    writeFileSync(path.join(to.name, 'a.txt'), 'here before\n');
    const { gate, incoming } = memoryGate();
    const destination = await DirectorySink.open(to.name, false);
    const refusals: Array<[string, number]> = [];
    const receiving = receiveWithRetries(gate, { sink: destination, decide: accept }, { onRefused: (refusal, left) => refusals.push([refusal.code, left]) });
    const refused = await selectionOf({ 'a.txt': 'mine\n' });
    await expect(asSender(incoming.dial()).then((channel) => sendFiles(channel, refused))).rejects.toMatchObject({ code: 'E_EXISTS' });
    const corrected = await selectionOf({ 'b.txt': 'mine\n' });
    // The gate lets the next sender in once the refusal has been reported.
    while (refusals.length === 0) await new Promise((resolve) => setImmediate(resolve));
    const sending = asSender(incoming.dial()).then((channel) => sendFiles(channel, corrected));
    await Promise.all([sending, expect(receiving).resolves.toMatchObject({ kind: 'files' })]);
    expect(refusals).toEqual([['E_EXISTS', 2]]);
    expect(listTree(to.name)).toEqual(['a.txt', 'b.txt']);
  });

  it('the third refused offer spends the code: the receive ends with that refusal', async () => {
    writeFileSync(path.join(to.name, 'a.txt'), 'here before\n');
    const { gate, incoming } = memoryGate();
    const destination = await DirectorySink.open(to.name, false);
    const waits: Array<() => void> = [];
    const receiving = receiveWithRetries(gate, { sink: destination, decide: accept }, { onWaiting: () => waits.shift()?.() });
    receiving.catch(() => undefined);
    const refused = await selectionOf({ 'a.txt': 'mine\n' });
    for (let attempt = 1; attempt <= 3; attempt += 1) {
      const waiting = new Promise<void>((resolve) => waits.push(resolve));
      await expect(asSender(incoming.dial()).then((channel) => sendFiles(channel, refused))).rejects.toMatchObject({ code: 'E_EXISTS' });
      if (attempt < 3) await waiting;
    }
    await expect(receiving).rejects.toMatchObject({ code: 'E_EXISTS', message: expect.stringContaining('after 3 refused offers the code is spent') });
  });
});
