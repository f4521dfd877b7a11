/** Two in-memory HandshakeChannels joined back to back, so both roles run without a socket. */
import { FrameDecoder, encodeFrame, expectHandshakeFrame, type HandshakeFrame } from '../../src/protocol/frames.js';
import type { HandshakeChannel } from '../../src/protocol/handshake.js';

export interface RecordingChannel extends HandshakeChannel {
  /** Every frame this side sent, exactly as it went on the wire. */
  readonly sent: Buffer[];
}

class QueueChannel implements RecordingChannel {
  readonly sent: Buffer[] = [];
  readonly #inbox: HandshakeFrame[] = [];
  readonly #waiters: Array<(frame: HandshakeFrame) => void> = [];
  readonly #decoder = new FrameDecoder();
  peer!: QueueChannel;

  send(payload: Buffer): void {
    const frame = encodeFrame(payload);
    this.sent.push(frame);
    for (const decoded of this.peer.#decoder.push(frame)) this.peer.#deliver(expectHandshakeFrame(decoded));
  }

  receive(): Promise<HandshakeFrame> {
    const next = this.#inbox.shift();
    return next ? Promise.resolve(next) : new Promise((resolve) => this.#waiters.push(resolve));
  }

  #deliver(frame: HandshakeFrame): void {
    const waiter = this.#waiters.shift();
    if (waiter) waiter(frame);
    else this.#inbox.push(frame);
  }
}

export function channelPair(): [RecordingChannel, RecordingChannel] {
  const a = new QueueChannel();
  const b = new QueueChannel();
  a.peer = b;
  b.peer = a;
  return [a, b];
}

/** A channel that replays fixed frames to the side under test and records what it sends. */
export function scriptedChannel(incoming: readonly Buffer[]): RecordingChannel {
  const decoder = new FrameDecoder();
  const queue = incoming.flatMap((frame) => decoder.push(frame)).map(expectHandshakeFrame);
  const sent: Buffer[] = [];
  return {
    sent,
    send: (payload) => void sent.push(encodeFrame(payload)),
    receive: () => {
      const next = queue.shift();
      return next ? Promise.resolve(next) : Promise.reject(new Error('scripted peer has nothing more to say'));
    },
  };
}
