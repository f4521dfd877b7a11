/**
 * Two in-memory byte streams joined back to back, which behave as the two ends of a TCP
 * connection do where the channel can tell: bytes arrive in order, with backpressure (a write
 * waits until the other end reads); end() is a FIN, and an end whose peer has ended too closes
 * both; a destroy before our end is a reset, which the other end sees as ECONNRESET. And a
 * source of incoming streams to hand such ends to a gate, as a TCP server would.
 */
import { Duplex } from 'node:stream';
import { IncomingQueue, type IncomingStream, type IncomingStreams } from '../../src/channel/incoming.js';

class MemoryEnd extends Duplex {
  peer!: MemoryEnd;
  /** Every byte this end wrote. */
  bytesWritten = 0;
  /** The peer's write waiting for this end to read (backpressure). */
  #blockedWrite: ((error?: Error) => void) | null = null;

  constructor() {
    super({ allowHalfOpen: false }); // as net.Socket: the peer's end ends ours
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    if (this.peer.destroyed) {
      callback(Object.assign(new Error('write EPIPE'), { code: 'EPIPE' }));
      return;
    }
    this.bytesWritten += chunk.length;
    if (this.peer.push(chunk)) callback();
    else this.peer.#blockedWrite = callback;
  }

  override _read(): void {
    const blocked = this.#blockedWrite;
    this.#blockedWrite = null;
    blocked?.();
  }

  override _final(callback: (error?: Error | null) => void): void {
    if (!this.peer.destroyed) this.peer.push(null);
    callback();
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    this.#blockedWrite?.(Object.assign(new Error('write EPIPE'), { code: 'EPIPE' }));
    this.#blockedWrite = null;
    // Destroyed before our FIN went out: a reset for the other end.
    if (!this.writableFinished && !this.peer.destroyed) {
      this.peer.destroy(Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' }));
    }
    callback(error);
  }
}

export type MemoryStream = MemoryEnd;

/** The two ends of one in-memory connection. */
export function duplexPair(): [MemoryStream, MemoryStream] {
  const a = new MemoryEnd();
  const b = new MemoryEnd();
  a.peer = b;
  b.peer = a;
  return [a, b];
}

/** A source of incoming streams fed by hand: `dial()` makes a pair, hands one end in, returns the other. */
export class MemoryIncoming implements IncomingStreams {
  readonly #incoming = new IncomingQueue();
  #dialled = 0;

  /** A new connection: its far end goes to whoever iterates this source; the near end is the caller's. */
  dial(): MemoryStream {
    const [near, far] = duplexPair();
    this.#dialled += 1;
    this.#incoming.push({ stream: far, remote: `memory:${this.#dialled}` });
    return near;
  }

  end(): void {
    this.#incoming.end();
  }

  [Symbol.asyncIterator](): AsyncIterator<IncomingStream> {
    return this.#incoming[Symbol.asyncIterator]();
  }
}
