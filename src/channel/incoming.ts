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
