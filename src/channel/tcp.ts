/**
 * TCP: dialling a peer, and listening for peers as a source of incoming streams. Errors are in
 * words a person can act on; the errno error is the cause, for a caller that has more to say
 * about one (the CLI names the command that should be listening).
 */
import net, { type AddressInfo, type Socket } from 'node:net';
import { once } from 'node:events';
import { SealdropError } from '../errors.js';
import { IncomingQueue, type IncomingStream, type IncomingStreams } from './incoming.js';

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

/**
 * A listening TCP server as a source of incoming streams: each accepted socket is yielded as it
 * arrives, and the iteration ends once the listener is closed. It decides nothing about them; the
 * gate does (section 7).
 */
export class TcpListener implements IncomingStreams {
  readonly #incoming = new IncomingQueue();

  private constructor(private readonly server: net.Server) {
    server.on('connection', (socket: Socket) => {
      socket.on('error', () => undefined); // failures surface through the stream's end, to whoever holds it
      this.#incoming.push({ stream: socket, remote: `${socket.remoteAddress}:${socket.remotePort}` });
    });
  }

  /** `allowHalfOpen`: a peer's end of stream leaves our sending side open (a relay passes it on). */
  static async open(host: string, port: number, options: { allowHalfOpen?: boolean } = {}): Promise<TcpListener> {
    const server = net.createServer({ noDelay: true, allowHalfOpen: options.allowHalfOpen ?? false });
    server.listen({ host, port });
    try {
      await once(server, 'listening'); // rejects with the server's 'error'
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      const why = code === 'EADDRINUSE' ? 'the port is in use' : code === 'EACCES' ? 'permission denied' : (error as Error).message;
      throw new SealdropError('E_USAGE', `cannot listen on ${host}:${port}: ${why}`, { cause: error });
    }
    return new TcpListener(server);
  }

  get port(): number {
    return (this.server.address() as AddressInfo).port;
  }

  [Symbol.asyncIterator](): AsyncIterator<IncomingStream> {
    return this.#incoming[Symbol.asyncIterator]();
  }

  /** Stops listening; connections already handed out are their holders' to close. */
  async close(): Promise<void> {
    for (const { stream } of this.#incoming.end()) stream.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
