/** Writing to a socket with backpressure, without leaving listeners behind. */
import { once } from 'node:events';
import type { Socket } from 'node:net';
import { SealdropError } from '../errors.js';

/** Waits until the socket takes writes again; rejects if it closes first. Leaves no listener behind. */
export async function waitForDrain(socket: Socket): Promise<void> {
  const listeners = new AbortController();
  try {
    await Promise.race([
      once(socket, 'drain', listeners),
      once(socket, 'close', listeners).then(() => {
        throw new SealdropError('E_CONNECT', 'the connection closed while sending');
      }),
    ]);
  } finally {
    listeners.abort();
  }
}

/** Writes the pieces as one batch (writev) and resolves once the socket takes more. */
export async function writeWithBackpressure(socket: Socket, pieces: readonly Buffer[]): Promise<void> {
  socket.cork();
  let ready = true;
  for (const piece of pieces) ready = socket.write(piece);
  socket.uncork();
  if (!ready) await waitForDrain(socket);
}
