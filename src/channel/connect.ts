/** Opens the TCP connection of the initiator, with errors a person can act on. */
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
      code === 'ECONNREFUSED' ? 'nobody is listening there (is `sealdrop receive` running on that port?)'
      : code === 'ETIMEDOUT' ? `no answer within ${CONNECT_TIMEOUT_MS / 1000} s`
      : code === 'ENOTFOUND' ? 'unknown host name'
      : (error as Error).message;
    throw new SealdropError('E_CONNECT', `cannot connect to ${host}:${port}: ${why}`);
  }
  socket.setTimeout(0);
  return socket;
}

/** Parses `HOST:PORT` or `[IPv6]:PORT`. */
export function parseHostPort(value: string): { host: string; port: number } {
  const match = /^(?:\[([^\]]+)\]|([^:]+)):(\d{1,5})$/.exec(value.trim());
  const port = match ? Number(match[3]) : NaN;
  if (!match || port < 1 || port > 65535) {
    throw new SealdropError('E_USAGE', `--to must be HOST:PORT (e.g. 10.0.0.5:7878), got "${value}"`);
  }
  return { host: (match[1] ?? match[2])!, port };
}
