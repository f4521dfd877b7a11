/**
 * A TCP socket after the handshake: records go out sealed, come in opened, in order. Built by
 * `secureSocket`, which runs the handshake of the given role over the socket, bounded by a
 * timeout, and closes the socket on any failure.
 */
import { once } from 'node:events';
import type { Socket } from 'node:net';
import { pipeline } from 'node:stream';
import { SealdropError, isWireErrorCode } from '../errors.js';
import type { Intent } from '../protocol/handshake-messages.js';
import { initiatorHandshake, responderHandshake, type HandshakeChannel, type SecureSession } from '../protocol/handshake.js';
import { encodeFrame, expectHandshakeFrame, type Frame } from '../protocol/frames.js';
import { encodeJson, parseError } from '../protocol/messages.js';
import { RecordType, recordTypeName, type Record } from '../protocol/records.js';
import { forDisplay } from '../protocol/display.js';
import { FrameSplitter } from './frame-splitter.js';
import { DEFAULT_HANDSHAKE_TIMEOUT_MS } from './handshake-timeout.js';
import { DEFAULT_IDLE_TIMEOUT_MS, IdleWatch } from './idle-watch.js';
import { pull } from './pull.js';
import { writeWithBackpressure } from './drain.js';
import { DataSealer, RecordOpenerStream, SocketSink } from './record-streams.js';

export interface SecureSocketOptions {
  readonly role: 'initiator' | 'responder';
  readonly codeBytes: Buffer;
  readonly intent: Intent;
  readonly handshakeTimeoutMs?: number;
  /** After the handshake: how long a peer that owes a record may stay silent (see idle-watch.ts). */
  readonly idleTimeoutMs?: number;
}

export interface ReceiveOptions {
  /**
   * The record waits for the peer's person (ACCEPT after a prompt): no idle timeout, since a
   * person thinking is not a silent peer. Everything else a peer owes comes within the timeout.
   */
  readonly waitsForPerson?: boolean;
}

export class SecureConnection {
  readonly records: RecordOpenerStream;

  constructor(
    readonly socket: Socket,
    private readonly session: SecureSession,
    frames: FrameSplitter,
    private readonly idleTimeoutMs: number = DEFAULT_IDLE_TIMEOUT_MS,
  ) {
    this.records = new RecordOpenerStream(session.opener);
    // Errors surface through pull() (records.errored) and socket events; nothing to do here.
    pipeline(frames, this.records, () => undefined);
  }

  get fingerprint(): string {
    return this.session.fingerprint;
  }

  /**
   * Section 6: the MAC that proves a kept prefix (its SHA-256, as 32 bytes) of file `index` up to
   * `offset`, under this session's k_resume; the key itself never leaves the session.
   */
  resumeMac(index: number, offset: number, prefixSha256: Uint8Array): Buffer {
    return this.session.resumeMac(index, offset, prefixSha256);
  }

  /** Whether the peer's `mac` is the one resumeMac gives, compared in constant time. */
  resumeMacMatches(index: number, offset: number, prefixSha256: Uint8Array, mac: Uint8Array): boolean {
    return this.session.resumeMacMatches(index, offset, prefixSha256, mac);
  }

  /** Seals and writes one record, waiting for the socket to drain when its buffer is full. */
  send(type: RecordType, body: Uint8Array): Promise<void> {
    return writeWithBackpressure(this.socket, this.session.sealer.seal(type, body));
  }

  sendJson(type: RecordType, value: object): Promise<void> {
    return this.send(type, encodeJson(value));
  }

  /**
   * The next record; a peer's ERROR becomes a SealdropError carrying the peer's code. A peer that
   * stays silent for the idle timeout meanwhile is given up with E_TIMEOUT, unless `waitsForPerson`.
   */
  async receive(what: string, options: ReceiveOptions = {}): Promise<Record> {
    const idle = options.waitsForPerson ? undefined : new IdleWatch(this.socket, this.idleTimeoutMs);
    const record = await pull<Record>(this.records, what, idle);
    if (record.type === RecordType.ERROR) throw peerErrorFrom(record.body);
    return record;
  }

  /** The next record, which must be of `type`. */
  async expect(type: RecordType): Promise<Buffer> {
    const name = recordTypeName(type);
    const record = await this.receive(name);
    if (record.type !== type) {
      throw new SealdropError('E_PROTOCOL', `expected ${name} from the peer, got ${recordTypeName(record.type)}`);
    }
    return record.body;
  }

  /**
   * Throws why the connection ended, if it has (the person's Ctrl-C destroys it with
   * E_INTERRUPTED), though the records read before the end were all there.
   */
  throwIfEnded(): void {
    if (!this.socket.destroyed) return;
    const cause = this.socket.errored;
    if (cause instanceof SealdropError) throw cause;
    throw new SealdropError('E_CONNECT', 'the connection was lost', { cause });
  }

  /** A Transform that seals file bytes as DATA records with this connection's counter. */
  dataSealer(afterSeal?: (chunk: Buffer) => void): DataSealer {
    return new DataSealer(this.session.sealer, afterSeal);
  }

  /** A Writable into the socket for one file's pipeline; finishing it leaves the socket open. */
  socketSink(): SocketSink {
    return new SocketSink(this.socket);
  }

  /**
   * Tells the peer why we stop (sealed ERROR), if the socket still takes writes and the error is
   * ours, then closes. A local error's details (file system paths, say) stay on this machine, and
   * so does whatever the caller gives `messageForPeer` in place of the error's own message.
   */
  async fail(error: SealdropError, messageForPeer?: string): Promise<void> {
    if (this.socket.writable && isWireErrorCode(error.code) && !(error instanceof PeerStopped)) {
      const message = messageForPeer ?? (error.code === 'E_INTERNAL' ? 'the other side hit a local error and stopped' : error.message);
      try {
        await this.sendJson(RecordType.ERROR, { code: error.code, message });
      } catch {
        // The connection is already going; the local error is what matters.
      }
    }
    await this.close();
  }

  /** Flushes what was written, then closes. */
  async close(): Promise<void> {
    if (this.socket.destroyed) return;
    const closed = once(this.socket, 'close').catch(() => undefined);
    this.socket.end();
    // A peer that never reads must not keep us here.
    const timer = setTimeout(() => this.socket.destroy(), 2_000);
    await closed;
    clearTimeout(timer);
  }
}

/**
 * The peer's own ERROR: it carries the peer's code (a receiver's E_EXISTS is the sender's
 * E_EXISTS too) but is marked as the peer's, so it is never echoed back and a receiver can tell
 * "the sender gave up" from "the sender broke the protocol".
 */
export class PeerStopped extends SealdropError {}

function peerErrorFrom(body: Buffer): SealdropError {
  const { code, message } = parseError(body);
  return new PeerStopped(isWireErrorCode(code) ? code : 'E_PEER', `the other side stopped: ${forDisplay(message)}`);
}

function socketChannel(socket: Socket, frames: FrameSplitter): HandshakeChannel {
  return {
    send: (payload) => void socket.write(encodeFrame(payload)),
    receive: async () => expectHandshakeFrame(await pull<Frame>(frames, 'the handshake')),
  };
}

/** Runs the handshake over `socket`; on failure the socket is closed (after any FAIL is flushed). */
export async function secureSocket(socket: Socket, options: SecureSocketOptions): Promise<SecureConnection> {
  const frames = new FrameSplitter();
  // pipe, not pipeline: a bad record must not take the socket down before our sealed ERROR is out.
  socket.pipe(frames);
  frames.on('error', () => undefined); // reported by pull() through frames.errored, never thrown
  socket.once('error', (error) => frames.destroy(error));
  // After a graceful end the frames already received must still be read (a FIN never overtakes
  // data); destroying them then would also stall stream.pipeline downstream. Only a close
  // without an end is a lost connection.
  socket.once('close', () => {
    if (!frames.writableEnded) frames.destroy(new SealdropError('E_CONNECT', 'the connection was lost'));
  });
  const channel = socketChannel(socket, frames);
  const handshake = options.role === 'initiator' ? initiatorHandshake : responderHandshake;
  const timeoutMs = options.handshakeTimeoutMs ?? DEFAULT_HANDSHAKE_TIMEOUT_MS;
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new SealdropError('E_TIMEOUT', `the handshake did not complete within ${timeoutMs / 1000} s`)), timeoutMs);
  });
  try {
    const session = await Promise.race([handshake(channel, { codeBytes: options.codeBytes, intent: options.intent }), timeout]);
    return new SecureConnection(socket, session, frames, options.idleTimeoutMs);
  } catch (error) {
    socket.end(); // flushes a FAIL the handshake may have written, then closes
    setTimeout(() => socket.destroy(), 1_000).unref();
    throw error instanceof SealdropError ? error : new SealdropError('E_HANDSHAKE', `the handshake failed: ${(error as Error).message}`, { cause: error });
  } finally {
    clearTimeout(timer);
  }
}
