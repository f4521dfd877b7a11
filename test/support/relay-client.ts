/**
 * A raw relay client for tests (PROTOCOL.md section 9): sends a request frame, reads answer
 * frames, over any byte stream (an in-memory end or a TCP socket).
 */
import type { Duplex } from 'node:stream';
import { encodeFrame } from '../../src/protocol/frames.js';

export type Answer = Record<string, unknown>;

/** Collects what arrives on `stream` and hands out whole frames, then the bytes after them. */
export class RelayReader {
  #received = Buffer.alloc(0);
  #waiters: (() => void)[] = [];
  ended = false;

  constructor(readonly stream: Duplex) {
    stream.on('data', (chunk: Buffer) => {
      this.#received = Buffer.concat([this.#received, chunk]);
      this.#wake();
    });
    const end = () => {
      this.ended = true;
      this.#wake();
    };
    stream.on('end', end);
    stream.on('close', end);
    stream.on('error', () => undefined);
  }

  #wake(): void {
    for (const waiter of this.#waiters.splice(0)) waiter();
  }

  async #until(ready: () => boolean): Promise<void> {
    while (!ready()) {
      if (this.ended) throw new Error(`the stream ended; received ${this.#received.length} bytes: ${this.#received.toString('latin1')}`);
      await new Promise<void>((resolve) => this.#waiters.push(resolve));
    }
  }

  /** The next answer frame, as JSON. */
  async answer(): Promise<Answer> {
    await this.#until(() => this.#received.length >= 4 && this.#received.length >= 4 + this.#received.readUInt32BE(0));
    const length = this.#received.readUInt32BE(0);
    const payload = this.#received.subarray(4, 4 + length);
    this.#received = this.#received.subarray(4 + length);
    return JSON.parse(payload.toString('utf8')) as Answer;
  }

  /** Exactly `count` more bytes (a peer's, after `paired`). */
  async bytes(count: number): Promise<Buffer> {
    await this.#until(() => this.#received.length >= count);
    const bytes = this.#received.subarray(0, count);
    this.#received = this.#received.subarray(count);
    return bytes;
  }

  /** Resolves once the stream has ended; returns what arrived that no one took. */
  async end(): Promise<Buffer> {
    await this.#until(() => this.ended);
    return this.#received;
  }

  get pending(): number {
    return this.#received.length;
  }
}

export function requestFrame(request: object): Buffer {
  return encodeFrame(Buffer.from(JSON.stringify(request), 'utf8'));
}

export const hostRequest = () => requestFrame({ relay: 1, op: 'host' });
export const repostRequest = (nameplate: string, token: string) => requestFrame({ relay: 1, op: 'host', nameplate, token });
export const joinRequest = (nameplate: string) => requestFrame({ relay: 1, op: 'join', nameplate });
export const releaseRequest = (nameplate: string, token: string) => requestFrame({ relay: 1, op: 'release', nameplate, token });
