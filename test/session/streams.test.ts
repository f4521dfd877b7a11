/**
 * Section 11 in memory: a stream of unknown size sent from a Readable and received into a
 * Writable (pipes/), and what a receiver does with a stream that stops short, whose FILE_END does
 * not match, that passes its limit, or that a receiver predating streams refuses.
 */
import { createHash, randomBytes } from 'node:crypto';
import { Readable, Writable } from 'node:stream';
import { describe, expect, it, vi } from 'vitest';
import { SealdropError } from '../../src/errors.js';
import { Intent } from '../../src/protocol/handshake-messages.js';
import { encodeJson, encodeStreamEnd, encodeStreamOffer } from '../../src/protocol/messages.js';
import { RecordType } from '../../src/protocol/records.js';
import { openSecureChannel, type SecureChannel } from '../../src/channel/secure-channel.js';
import { ReadableSource } from '../../src/pipes/readable-source.js';
import { WritableSink } from '../../src/pipes/writable-sink.js';
import { isResumable, receiveTransfer, type ReceiveOptions } from '../../src/session/receive-session.js';
import { sendStream } from '../../src/session/send-session.js';
import { duplexPair } from '../support/duplex-pair.js';

const CODE = Buffer.from('7-crossover-clockwork');
const sha256Hex = (data: Buffer) => createHash('sha256').update(data).digest('hex');

/** A Writable that keeps what it was given, as a pipe's reader would see it. */
function collector(): { output: Writable; bytes: () => Buffer } {
  const chunks: Buffer[] = [];
  const output = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      chunks.push(chunk);
      callback();
    },
  });
  return { output, bytes: () => Buffer.concat(chunks) };
}

function channels() {
  const [near, far] = duplexPair();
  const sender = openSecureChannel(near, { role: 'initiator', codeBytes: CODE, intent: Intent.SEND });
  const receiver = openSecureChannel(far, { role: 'responder', codeBytes: CODE, intent: Intent.RECEIVE });
  return { near, sender, receiver };
}

function receiveInto(receiver: Promise<SecureChannel>, output: Writable, options: Partial<ReceiveOptions> = {}) {
  return receiver.then((channel) => receiveTransfer(channel, { sink: new WritableSink(output), decide: async () => 'accept', ...options }));
}

/** A sender that follows section 11 up to FILE, then does what `rest` says (the receiver's rules are under test). */
async function scriptedSender(channel: Promise<SecureChannel>, name: string, rest: (channel: SecureChannel) => Promise<void>): Promise<void> {
  const c = await channel;
  await c.send(RecordType.OFFER, encodeStreamOffer(name));
  await c.expect(RecordType.ACCEPT);
  await c.sendJson(RecordType.FILE, { index: 0, offset: 0 });
  await rest(c);
}

describe('streams of unknown size (section 11)', () => {
  it('send a Readable to a Writable: the bytes in order, FILE_END with size and SHA-256, a RECEIPT', async () => {
    const data = randomBytes(3 * 1024 * 1024 + 17); // over several records
    const { sender, receiver } = channels();
    const { output, bytes } = collector();
    const progress: Array<number | null> = [];
    const [sent, received] = await Promise.all([
      sender.then((c) => sendStream(c, new ReadableSource('backup.tar', Readable.from([data.subarray(0, 100), data.subarray(100)])), { onProgress: (p) => progress.push(p.totalBytes) })),
      receiveInto(receiver, output),
    ]);
    expect(bytes().equals(data)).toBe(true);
    expect(sent).toEqual({ path: 'backup.tar', size: data.length, sha256: sha256Hex(data) });
    expect(received).toMatchObject({ kind: 'stream', name: 'backup.tar', totalBytes: data.length, files: [{ path: 'backup.tar', size: data.length, sha256: sha256Hex(data) }] });
    expect(progress.length).toBeGreaterThan(0);
    expect(progress.every((total) => total === null)).toBe(true);
  });

  it('send an empty stream', async () => {
    const { sender, receiver } = channels();
    const { output, bytes } = collector();
    const [sent] = await Promise.all([sender.then((c) => sendStream(c, new ReadableSource('empty', Readable.from([])))), receiveInto(receiver, output)]);
    expect(sent.size).toBe(0);
    expect(bytes().length).toBe(0);
  });

  it('a stream cut short: the receiver fails for good (no waiting for a resume) and its output is shorter', async () => {
    const { near, sender, receiver } = channels();
    const { output, bytes } = collector();
    const receiving = receiveInto(receiver, output);
    await scriptedSender(sender, 'data', async (c) => {
      await c.send(RecordType.DATA, Buffer.from('first'));
      await c.send(RecordType.DATA, Buffer.from('second'));
      await vi.waitFor(() => expect(bytes().length).toBe(11)); // both went out before the cut
      near.destroy();
    });
    const error = (await receiving.catch((e: unknown) => e)) as SealdropError;
    expect(error).toBeInstanceOf(SealdropError);
    expect(isResumable(error)).toBe(false);
    expect(error.message).toMatch(/incomplete/);
    expect(bytes().toString()).toBe('firstsecond');
  });

  it.each([
    // The third column is the code of the failure.
    ['a size larger than what came', (data: Buffer) => encodeStreamEnd(sha256Hex(data), data.length + 1), 'E_INTEGRITY'],
    ['a size smaller than what came', (data: Buffer) => encodeStreamEnd(sha256Hex(data), data.length - 1), 'E_INTEGRITY'],
    ['another SHA-256', (data: Buffer) => encodeStreamEnd(sha256Hex(Buffer.from('other')), data.length), 'E_INTEGRITY'],
    ['no size', (data: Buffer) => encodeJson({ sha256: sha256Hex(data) }), 'E_PROTOCOL'],
  ])('a FILE_END with %s fails the receive', async (_, fileEnd, code) => {
    const data = Buffer.from('some bytes of a stream');
    const { sender, receiver } = channels();
    const { output } = collector();
    const receiving = receiveInto(receiver, output);
    const sending = scriptedSender(sender, 'data', async (c) => {
      await c.send(RecordType.DATA, data);
      await c.send(RecordType.FILE_END, fileEnd(data));
      await c.sendJson(RecordType.DONE, {});
      await c.expect(RecordType.RECEIPT);
    });
    await expect(receiving).rejects.toMatchObject({ code });
    await expect(sending).rejects.toMatchObject({ code });
  });

  it('the receiver stops a stream past its own limit (E_TOO_LARGE), and the sender hears why', async () => {
    const { sender, receiver } = channels();
    const { output, bytes } = collector();
    const [sent, received] = await Promise.allSettled([
      sender.then((c) => sendStream(c, new ReadableSource('big', Readable.from([Buffer.alloc(10), Buffer.alloc(10)])))),
      receiveInto(receiver, output, { maxStreamBytes: 15 }),
    ]);
    expect(received).toMatchObject({ status: 'rejected', reason: { code: 'E_TOO_LARGE' } });
    expect(sent).toMatchObject({ status: 'rejected', reason: { code: 'E_TOO_LARGE' } });
    expect(bytes().length).toBeLessThanOrEqual(15);
  });

  it.each(['a/b', '..', '.sealdrop-x', 'CON', ''])('the receiver refuses a stream named %j (E_BAD_PATH)', async (name) => {
    const { sender, receiver } = channels();
    const { output } = collector();
    const [sent, received] = await Promise.allSettled([sender.then((c) => sendStream(c, new ReadableSource(name, Readable.from([Buffer.from('x')])))), receiveInto(receiver, output)]);
    expect(received).toMatchObject({ status: 'rejected', reason: { code: 'E_BAD_PATH' } });
    expect(sent).toMatchObject({ status: 'rejected', reason: { code: 'E_BAD_PATH' } });
  });

  it('a receiver that predates streams answers E_PROTOCOL: the sender says the receiver does not take streams', async () => {
    const { sender, receiver } = channels();
    const old = receiver.then(async (c) => {
      await c.expect(RecordType.OFFER);
      await c.fail(new SealdropError('E_PROTOCOL', 'malformed OFFER from the peer: unknown "kind"'));
    });
    const sending = sender.then((c) => sendStream(c, new ReadableSource('data', Readable.from([Buffer.from('x')]))));
    await expect(sending).rejects.toMatchObject({ code: 'E_PROTOCOL', message: expect.stringContaining('does not take streams') });
    await old;
  });
});
