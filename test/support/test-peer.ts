/**
 * A sealdrop peer for tests, built from the project's own protocol module over a real socket on
 * 127.0.0.1, with the switches a hostile or broken peer needs: raw bytes, any record, any order.
 */
import { once } from 'node:events';
import net, { type AddressInfo, type Socket } from 'node:net';
import { FrameDecoder, encodeFrame, expectHandshakeFrame, type Frame } from '../../src/protocol/frames.js';
import type { Intent } from '../../src/protocol/handshake-messages.js';
import { initiatorHandshake, responderHandshake, type SecureSession } from '../../src/protocol/handshake.js';
import { encodeJson } from '../../src/protocol/messages.js';
import type { Record } from '../../src/protocol/records.js';

export class TestPeer {
  readonly #frames: Frame[] = [];
  readonly #waiters: Array<() => void> = [];
  #closed = false;
  session: SecureSession | null = null;

  private constructor(readonly socket: Socket) {
    const decoder = new FrameDecoder();
    socket.on('data', (chunk) => {
      try {
        this.#frames.push(...decoder.push(chunk));
      } catch {
        this.#closed = true;
      }
      this.#wake();
    });
    socket.on('close', () => {
      this.#closed = true;
      this.#wake();
    });
    socket.on('error', () => undefined);
  }

  #wake(): void {
    for (const waiter of this.#waiters.splice(0)) waiter();
  }

  /** Connects as the initiator. */
  static async connect(port: number): Promise<TestPeer> {
    const socket = net.connect({ host: '127.0.0.1', port });
    await once(socket, 'connect');
    return new TestPeer(socket);
  }

  /** Listens on a free port; `accepted` resolves with the peer of the first connection. */
  static async listen(): Promise<{ port: number; accepted: Promise<TestPeer>; close: () => void }> {
    const server = net.createServer();
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const accepted = once(server, 'connection').then(([socket]) => new TestPeer(socket as Socket));
    return { port: (server.address() as AddressInfo).port, accepted, close: () => server.close() };
  }

  /** The next frame, or null once the connection is closed and nothing is left. */
  async nextFrame(): Promise<Frame | null> {
    for (;;) {
      const frame = this.#frames.shift();
      if (frame) return frame;
      if (this.#closed) return null;
      await new Promise<void>((resolve) => this.#waiters.push(resolve));
    }
  }

  /** Resolves when the other side has closed the connection. */
  async closedByPeer(): Promise<void> {
    while (!this.#closed) await new Promise<void>((resolve) => this.#waiters.push(resolve));
  }

  async handshake(role: 'initiator' | 'responder', code: string, intent: Intent): Promise<SecureSession> {
    const channel = {
      send: (payload: Buffer) => void this.socket.write(encodeFrame(payload)),
      receive: async () => {
        const frame = await this.nextFrame();
        if (!frame) throw new Error('closed during the handshake');
        return expectHandshakeFrame(frame);
      },
    };
    const run = role === 'initiator' ? initiatorHandshake : responderHandshake;
    this.session = await run(channel, { codeBytes: Buffer.from(code), intent });
    return this.session;
  }

  /** Seals a record with the session's counter and returns its bytes without sending them. */
  seal(type: number, body: Uint8Array | object): Buffer {
    const bytes = body instanceof Uint8Array ? body : encodeJson(body);
    return Buffer.concat(this.session!.sealer.seal(type, bytes));
  }

  send(type: number, body: Uint8Array | object): void {
    this.socket.write(this.seal(type, body));
  }

  sendRaw(bytes: Uint8Array): void {
    this.socket.write(bytes);
  }

  /** The next record opened, or null at the end of the connection. */
  async nextRecord(): Promise<Record | null> {
    const frame = await this.nextFrame();
    if (frame?.kind === 'handshake') throw new Error('a handshake frame after the handshake');
    return frame ? this.session!.opener.open(frame) : null;
  }

  destroy(): void {
    this.socket.destroy();
  }
}
