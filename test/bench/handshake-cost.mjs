/**
 * The handshake's CPU cost, in-process: the compiled initiatorHandshake and responderHandshake
 * (dist/, built by `npm run bench`) run against each other over an in-memory channel, so no
 * socket, scheduler or Node start-up is in the numbers, only the two-stage DH and key schedule.
 */
import { normaliseCode } from '../../dist/protocol/code.js';
import { FrameDecoder, encodeFrame } from '../../dist/protocol/frames.js';
import { Intent } from '../../dist/protocol/handshake-messages.js';
import { initiatorHandshake, responderHandshake } from '../../dist/protocol/handshake.js';

/**
 * One end of two HandshakeChannels joined back to back (as test/support/memory-channel.ts),
 * plus a stopwatch of the time its side spends computing. The handshake awaits nothing but
 * `receive()`, and JavaScript runs one side at a time, so a side computes from when it is
 * handed a frame until it asks for the next one (or finishes).
 */
class TimedMemoryChannel {
  peer = null;
  busyNs = 0n;
  #inbox = [];
  #waiters = [];
  #decoder = new FrameDecoder();
  #runningSince = null;

  startClock() {
    this.#runningSince = process.hrtime.bigint();
  }

  stopClock() {
    if (this.#runningSince !== null) this.busyNs += process.hrtime.bigint() - this.#runningSince;
    this.#runningSince = null;
  }

  send(payload) {
    for (const frame of this.peer.#decoder.push(encodeFrame(payload))) this.peer.#deliver(frame);
  }

  async receive() {
    this.stopClock();
    const next = this.#inbox.shift();
    const frame = next ?? (await new Promise((resolve) => this.#waiters.push(resolve)));
    this.startClock();
    return frame;
  }

  #deliver(frame) {
    const waiter = this.#waiters.shift();
    if (waiter) waiter(frame);
    else this.#inbox.push(frame);
  }
}

function channelPair() {
  const a = new TimedMemoryChannel();
  const b = new TimedMemoryChannel();
  a.peer = b;
  b.peer = a;
  return [a, b];
}

/** Runs one side with its stopwatch going, stopping it when the side's promise settles. */
function timedSide(handshake, channel, options) {
  channel.startClock();
  return handshake(channel, options).finally(() => channel.stopClock());
}

/** One complete handshake: { pairMs, initiatorMs, responderMs }. */
async function oneHandshake(codeBytes) {
  const [initiatorChannel, responderChannel] = channelPair();
  const started = process.hrtime.bigint();
  const [initiator, responder] = await Promise.all([
    timedSide(initiatorHandshake, initiatorChannel, { codeBytes, intent: Intent.SEND }),
    timedSide(responderHandshake, responderChannel, { codeBytes, intent: Intent.RECEIVE }),
  ]);
  const pairNs = process.hrtime.bigint() - started;
  if (initiator.fingerprint !== responder.fingerprint) throw new Error('handshake bench: the two sides disagree on the fingerprint');
  return { pairMs: Number(pairNs) / 1e6, initiatorMs: Number(initiatorChannel.busyNs) / 1e6, responderMs: Number(responderChannel.busyNs) / 1e6 };
}

/** `count` handshakes after `warmUps` unmeasured ones (the first runs compile the BigInt code). */
export async function measureHandshakes(count, warmUps = 2) {
  const codeBytes = normaliseCode('7-bench-handshake-code');
  for (let i = 0; i < warmUps; i += 1) await oneHandshake(codeBytes);
  const samples = [];
  for (let i = 0; i < count; i += 1) samples.push(await oneHandshake(codeBytes));
  return samples;
}
