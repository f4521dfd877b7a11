/** Writing to a socket with backpressure, without leaving listeners behind. */
import type { Socket } from 'node:net';
import { SealdropError } from '../errors.js';
import { firstEvent } from './first-event.js';

/** Waits until the socket takes writes again; rejects if it closes first. */
async function waitForDrain(socket: Socket): Promise<void> {
  if ((await firstEvent(socket, ['drain', 'close'])) === 'close') {
    throw connectionClosed();
  }
}

const connectionClosed = () => new SealdropError('E_CONNECT', 'the connection closed while sending');

/**
 * Writes the pieces as one batch (writev) and resolves once the socket takes more. A socket
 * already destroyed fails at once: its 'close' has come and gone, so waiting for it would wait
 * forever, and a session that never settles never releases its locks.
 */
export async function writeWithBackpressure(socket: Socket, pieces: readonly Buffer[]): Promise<void> {
  if (socket.destroyed) throw connectionClosed();
  socket.cork();
  let ready = true;
  for (const piece of pieces) ready = socket.write(piece);
  socket.uncork();
  if (!ready) await waitForDrain(socket);
}
