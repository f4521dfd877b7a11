/**
 * The listening side's connection policy (PROTOCOL.md section 7): one handshake at a time (a
 * connection arriving while one runs, or while a transfer runs, is closed at once), each bounded
 * by the handshake timeout, and at most three wrong codes before the code is spent.
 */
import net, { type AddressInfo, type Socket } from 'node:net';
import { once } from 'node:events';
import { SealdropError, toSealdropError } from '../errors.js';
import type { Intent } from '../protocol/handshake-messages.js';
import { countsAsAttempt } from '../protocol/handshake.js';
import { secureSocket, type SecureConnection } from '../channel/secure-connection.js';

/** Section 7: after this many wrong CONFIRM_I the responder stops listening for the code. */
export const MAX_WRONG_CODE_ATTEMPTS = 3;

export type ListenerEvent =
  | { readonly type: 'connection'; readonly remote: string }
  | { readonly type: 'handshake-failed'; readonly remote: string; readonly error: SealdropError; readonly attemptsLeft: number };

export interface AcceptOptions {
  readonly codeBytes: Buffer;
  readonly intent: Intent;
  readonly handshakeTimeoutMs?: number;
  readonly idleTimeoutMs?: number;
  readonly onEvent?: (event: ListenerEvent) => void;
}

export class Listener {
  #busy = false;
  #wrongCodes = 0;
  #waiting: ((socket: Socket) => void) | null = null;

  private constructor(private readonly server: net.Server) {
    server.on('connection', (socket) => this.#onConnection(socket));
  }

  static async open(host: string, port: number): Promise<Listener> {
    const server = net.createServer({ noDelay: true });
    server.listen({ host, port });
    await Promise.race([
      once(server, 'listening'),
      once(server, 'error').then(([error]) => {
        const code = (error as NodeJS.ErrnoException).code;
        const why = code === 'EADDRINUSE' ? 'the port is in use' : code === 'EACCES' ? 'permission denied' : (error as Error).message;
        throw new SealdropError('E_USAGE', `cannot listen on ${host}:${port}: ${why}`);
      }),
    ]);
    return new Listener(server);
  }

  get port(): number {
    return (this.server.address() as AddressInfo).port;
  }

  #onConnection(socket: Socket): void {
    if (this.#busy || this.#waiting === null) {
      socket.destroy(); // one peer at a time; it does not disturb the one in progress
      return;
    }
    const deliver = this.#waiting;
    this.#waiting = null;
    this.#busy = true;
    deliver(socket);
  }

  /**
   * Waits for a peer that completes the handshake with the code. Failed handshakes are reported
   * and the listener goes on waiting, except after MAX_WRONG_CODE_ATTEMPTS wrong codes (E_CODE_SPENT).
   * The caller calls `release()` when done with the returned connection.
   */
  async acceptSecure(options: AcceptOptions): Promise<SecureConnection> {
    for (;;) {
      const socket = await new Promise<Socket>((resolve) => (this.#waiting = resolve));
      const remote = `${socket.remoteAddress}:${socket.remotePort}`;
      options.onEvent?.({ type: 'connection', remote });
      socket.on('error', () => undefined); // failures surface through the handshake
      try {
        return await secureSocket(socket, { role: 'responder', ...options });
      } catch (error) {
        this.#busy = false;
        const failure = toSealdropError(error);
        if (countsAsAttempt(failure)) this.#wrongCodes += 1;
        const attemptsLeft = MAX_WRONG_CODE_ATTEMPTS - this.#wrongCodes;
        options.onEvent?.({ type: 'handshake-failed', remote, error: failure, attemptsLeft });
        if (attemptsLeft <= 0) {
          throw new SealdropError('E_CODE_SPENT', `${MAX_WRONG_CODE_ATTEMPTS} attempts with a wrong code: the code is spent; start a new receive for a new code`);
        }
      }
    }
  }

  /** Lets the next connection in (after a transfer that broke off and may be resumed). */
  release(): void {
    this.#busy = false;
  }

  async close(): Promise<void> {
    this.#waiting = null;
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
