/**
 * Opens a TCP connection, with errors a person can act on. The errno error is the cause, for a
 * caller that has more to say about one (the CLI names the command that should be listening).
 */
import net, { type Socket } from 'node:net';
import { once } from 'node:events';
import { SealdropError } from '../errors.js';

export const CONNECT_TIMEOUT_MS = 15_000;

export async function connectTo(host: string, port: number): Promise<Socket> {
  const socket = net.connect({ host, port, noDelay: true });
  socket.setTimeout(CONNECT_TIMEOUT_MS);
  try {
    await Promise.race([
      once(socket, 'connect'),
      once(socket, 'timeout').then(() => {
        throw Object.assign(new Error('timed out'), { code: 'ETIMEDOUT' });
      }),
    ]);
  } catch (error) {
    socket.destroy();
    const code = (error as NodeJS.ErrnoException).code;
    const why =
      code === 'ECONNREFUSED' ? 'nobody is listening there'
      : code === 'ETIMEDOUT' ? `no answer within ${CONNECT_TIMEOUT_MS / 1000} s`
      : code === 'ENOTFOUND' ? 'unknown host name'
      : (error as Error).message;
    throw new SealdropError('E_CONNECT', `cannot connect to ${host}:${port}: ${why}`, { cause: error });
  }
  socket.setTimeout(0);
  return socket;
}
