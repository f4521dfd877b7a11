/**
 * Pulls one object at a time from an object-mode Readable, for the request/response steps of the
 * protocol (handshake frames, ACCEPT, RECEIPT, each DATA record). It holds no listener between
 * calls, so the same stream can later be piped on.
 */
import type { Readable } from 'node:stream';
import { SealdropError } from '../errors.js';
import { firstEvent } from './first-event.js';
import type { IdleWatch } from './idle-watch.js';

/** The next object; with an `idle` watch, gives up (E_TIMEOUT) on a peer that goes silent meanwhile. */
export async function pull<T>(readable: Readable, what: string, idle?: IdleWatch): Promise<T> {
  const value = await pullOrEnd<T>(readable, what, idle);
  if (value === null) throw endOfStream(null, what);
  return value;
}

/** As pull, but null where the stream ended gracefully with nothing left (a peer that is done). */
export async function pullOrEnd<T>(readable: Readable, what: string, idle?: IdleWatch): Promise<T | null> {
  for (;;) {
    const value = readable.read() as T | null;
    if (value !== null) return value;
    if (readable.readableEnded && !readable.errored) return null;
    if (readable.destroyed) throw endOfStream(readable.errored, what);
    // An 'error' is always followed by 'close'; the checks above then report it. With an idle
    // watch, a wait that times out only makes the watch look at the connection again.
    await firstEvent(readable, ['readable', 'close'], idle?.nextCheckMs(what));
  }
}

/** Our own errors keep their code; anything else (a reset, a premature close) is a lost connection. */
function endOfStream(cause: Error | null, what: string): SealdropError {
  if (cause instanceof SealdropError) return cause;
  const detail = cause ? ` (${cause.message})` : '';
  return new SealdropError('E_CONNECT', `the connection closed while waiting for ${what}${detail}`, { cause });
}
