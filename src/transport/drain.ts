/** Backpressure on a socket: wait for 'drain' without leaving listeners behind. */
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
