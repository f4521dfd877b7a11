/**
 * Pulls one object at a time from an object-mode Readable, for the request/response steps of the
 * protocol (handshake frames, ACCEPT, RECEIPT, each DATA record). It holds no listener between
 * calls, so the same stream can later be piped on.
 */
import type { Readable } from 'node:stream';
import { SealdropError } from '../errors.js';
import { firstEvent } from './first-event.js';

export async function pull<T>(readable: Readable, what: string): Promise<T> {
  for (;;) {
    const value = readable.read() as T | null;
    if (value !== null) return value;
    if (readable.readableEnded || readable.destroyed) throw endOfStream(readable.errored, what);
    // An 'error' is always followed by 'close'; the checks above then report it.
    await firstEvent(readable, ['readable', 'close']);
  }
}

/** Our own errors keep their code; anything else (a reset, a premature close) is a lost connection. */
function endOfStream(cause: Error | null, what: string): SealdropError {
  if (cause instanceof SealdropError) return cause;
  const detail = cause ? ` (${cause.message})` : '';
  return new SealdropError('E_CONNECT', `the connection closed while waiting for ${what}${detail}`, { cause });
}
