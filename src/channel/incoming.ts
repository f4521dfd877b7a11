/**
 * Byte streams that arrive from peers, whatever brought them: a TCP server today, a relay that
 * pairs two connections later. The responder's gate (src/session/gate.ts) takes any source of them.
 */
import type { Duplex } from 'node:stream';

export interface IncomingStream {
  readonly stream: Duplex;
  /** Where it came from, for the person ("127.0.0.1:50312"); nothing is decided on it. */
  readonly remote: string;
}

/** Yields streams as they arrive; ends when the source closes. */
export type IncomingStreams = AsyncIterable<IncomingStream>;

/**
 * A source that brings a stream only when asked: a relay host keeps one connection posted, and
 * posts it only while the responder is ready for another peer (PROTOCOL.md section 9). The gate
 * calls `want()` each time it is ready for the next peer; a source without it (a TCP listener)
 * brings every connection as it comes, and the gate closes those it cannot take.
 */
export interface StreamsOnDemand extends IncomingStreams {
  want(): void;
}

/**
 * Streams as they arrive, for whoever iterates: a source pushes each one in and ends the queue
 * when it stops; the iteration then ends once the streams already queued are taken.
 */
export class IncomingQueue implements IncomingStreams {
  readonly #arrived: IncomingStream[] = [];
  #wake: (() => void) | null = null;
  #ended = false;

  push(incoming: IncomingStream): void {
    this.#arrived.push(incoming);
    this.#wake?.();
  }

  /** No more streams will come; returns those nobody took yet, for the source to close. */
  end(): IncomingStream[] {
    this.#ended = true;
    this.#wake?.();
    return this.#arrived.splice(0);
  }

  async *[Symbol.asyncIterator](): AsyncIterator<IncomingStream> {
    for (;;) {
      const next = this.#arrived.shift();
      if (next) {
        yield next;
        continue;
      }
      if (this.#ended) return;
      await new Promise<void>((resolve) => (this.#wake = resolve));
      this.#wake = null;
    }
  }
}
