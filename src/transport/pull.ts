/**
 * Pulls one object at a time from an object-mode Readable, for the request/response steps of the
 * protocol (handshake frames, ACCEPT, RECEIPT, each DATA record). It holds no listener between
 * calls, so the same stream can later be piped on.
 */
import { once } from 'node:events';
import type { Readable } from 'node:stream';
import { SealdropError } from '../errors.js';

export async function pull<T>(readable: Readable, what: string): Promise<T> {
  for (;;) {
    const value = readable.read() as T | null;
    if (value !== null) return value;
    if (readable.readableEnded || readable.destroyed) throw endOfStream(readable.errored, what);
    await readableOrClosed(readable);
  }
}

/** Our own errors keep their code; anything else (a reset, a premature close) is a lost connection. */
function endOfStream(cause: Error | null, what: string): SealdropError {
  if (cause instanceof SealdropError) return cause;
  const detail = cause ? ` (${cause.message})` : '';
  return new SealdropError('E_CONNECT', `the connection closed while waiting for ${what}${detail}`, { cause });
}

async function readableOrClosed(readable: Readable): Promise<void> {
  const listeners = new AbortController();
  try {
    // An 'error' is always followed by 'close'; the loop above then reports it.
    await Promise.race([once(readable, 'readable', listeners), once(readable, 'close', listeners)]).catch(() => undefined);
  } finally {
    listeners.abort(); // removes the listener of the event that did not fire
  }
}
