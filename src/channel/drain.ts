/** Writing to a byte stream with backpressure, without leaving listeners behind. */
import type { Writable } from 'node:stream';
import { SealdropError } from '../errors.js';
import { firstEvent } from './first-event.js';

/** Waits until the stream takes writes again; rejects if it closes first. */
async function waitForDrain(stream: Writable): Promise<void> {
  if ((await firstEvent(stream, ['drain', 'close'])) === 'close') {
    throw connectionClosed();
  }
}

const connectionClosed = () => new SealdropError('E_CONNECT', 'the connection closed while sending');

/**
 * Writes the pieces as one batch (writev) and resolves once the stream takes more. A stream
 * already destroyed fails at once: its 'close' has come and gone, so waiting for it would wait
 * forever, and a session that never settles never releases its locks.
 */
export async function writeWithBackpressure(stream: Writable, pieces: readonly Buffer[]): Promise<void> {
  if (stream.destroyed) throw connectionClosed();
  stream.cork();
  let ready = true;
  for (const piece of pieces) ready = stream.write(piece);
  stream.uncork();
  if (!ready) await waitForDrain(stream);
}
