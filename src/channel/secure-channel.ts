/**
 * A byte stream after the handshake: records go out sealed, come in opened, in order. Built by
 * `openSecureChannel`, which runs the handshake of the given role over any duplex byte stream (a
 * TCP socket, an in-memory pair in tests, a socket a relay paired), bounded by a timeout, and
 * closes the stream on any failure. Who dialled does not matter: role and intent are parameters.
 * What the channel hands back is capabilities (records, the data pipeline, closing, aborting),
 * never the stream itself.
 */
import { once } from 'node:events';
import { pipeline, type Duplex } from 'node:stream';
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
import { pull, pullOrEnd } from './pull.js';
import { writeWithBackpressure } from './drain.js';
import { DataSealer, RecordOpenerStream, RecordSink } from './record-streams.js';

export interface SecureChannelOptions {
  readonly role: 'initiator' | 'responder';
  readonly intent: Intent;
  readonly codeBytes: Buffer;
  readonly handshakeTimeoutMs?: number;
  /** After the handshake: how long a peer that owes a record may stay silent (see idle-watch.ts). */
  readonly idleTimeoutMs?: number;
  /** Aborts the channel, from the handshake on, with the signal's reason (the CLI's Ctrl-C). */
  readonly signal?: AbortSignal;
}

export interface ReceiveOptions {
  /**
   * The record waits for the peer's person (ACCEPT after a prompt): no idle timeout, since a
   * person thinking is not a silent peer. Everything else a peer owes comes within the timeout.
   */
  readonly waitsForPerson?: boolean;
}

export class SecureChannel {
  readonly #opened: RecordOpenerStream;
  #bytesWritten = 0;

  /** Built by openSecureChannel, once the handshake over `stream` has given `session`. */
  constructor(
    private readonly stream: Duplex,
    private readonly session: SecureSession,
    private readonly frames: FrameSplitter,
    private readonly idleTimeoutMs: number = DEFAULT_IDLE_TIMEOUT_MS,
  ) {
    this.#opened = new RecordOpenerStream(session.opener);
    // Errors surface through pull() (#opened.errored) and stream events; nothing to do here.
    pipeline(frames, this.#opened, () => undefined);
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

  /** Bytes read and written so far, for the idle watch: counted here, whatever the stream is. */
  #bytesMoved(): number {
    return this.frames.bytesRead + this.#bytesWritten;
  }

  /** Writes sealed pieces as one batch, waiting for the stream to drain when its buffer is full. */
  #write = (pieces: readonly Buffer[]): Promise<void> => {
    for (const piece of pieces) this.#bytesWritten += piece.length;
    return writeWithBackpressure(this.stream, pieces);
  };

  /** Bytes written to the stream that it has not passed on yet: what a peer that does not read leaves here. */
  get unsentBytes(): number {
    return this.stream.writableLength;
  }

  /** Seals and writes one record, waiting for the stream to drain when its buffer is full. */
  send(type: RecordType, body: Uint8Array): Promise<void> {
    return this.#write(this.session.sealer.seal(type, body));
  }

  sendJson(type: RecordType, value: object): Promise<void> {
    return this.send(type, encodeJson(value));
  }

  #idleWatch(options: ReceiveOptions): IdleWatch | undefined {
    return options.waitsForPerson ? undefined : new IdleWatch(() => this.#bytesMoved(), this.idleTimeoutMs);
  }

  /**
   * The next record; a peer's ERROR becomes a SealdropError carrying the peer's code. A peer that
   * stays silent for the idle timeout meanwhile is given up with E_TIMEOUT, unless `waitsForPerson`.
   */
  async receive(what: string, options: ReceiveOptions = {}): Promise<Record> {
    return unlessError(await pull<Record>(this.#opened, what, this.#idleWatch(options)));
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
   * The records as they come, until the peer ends the stream gracefully (what a chat reads); a
   * lost connection, a bad record or the peer's ERROR throws as receive() does. By default a
   * peer may stay silent as long as it likes (a person typing); pass `waitsForPerson: false` to
   * time it.
   */
  async *records(options: ReceiveOptions = { waitsForPerson: true }): AsyncGenerator<Record, void, undefined> {
    for (;;) {
      const record = await pullOrEnd<Record>(this.#opened, 'a record', this.#idleWatch(options));
      if (record === null) return;
      yield unlessError(record);
    }
  }

  /**
   * Throws why the connection ended, if it has (the person's Ctrl-C aborts it with
   * E_INTERRUPTED), though the records read before the end were all there.
   */
  throwIfEnded(): void {
    if (!this.stream.destroyed) return;
    const cause = this.stream.errored;
    if (cause instanceof SealdropError) throw cause;
    throw new SealdropError('E_CONNECT', 'the connection was lost', { cause });
  }

  /** A Transform that seals file bytes as DATA records with this channel's counter. */
  dataSealer(afterSeal?: (chunk: Buffer) => void): DataSealer {
    return new DataSealer(this.session.sealer, afterSeal);
  }

  /** A Writable into the channel for one file's pipeline (after dataSealer); finishing it leaves the channel open. */
  recordSink(): RecordSink {
    return new RecordSink(this.#write);
  }

  /**
   * Tells the peer why we stop (sealed ERROR), if the stream still takes writes and the error is
   * ours, then closes. A local error's details (file system paths, say) stay on this machine, and
   * so does whatever the caller gives `messageForPeer` in place of the error's own message.
   */
  async fail(error: SealdropError, messageForPeer?: string): Promise<void> {
    if (this.stream.writable && isWireErrorCode(error.code) && !(error instanceof PeerStopped)) {
      const message = messageForPeer ?? (error.code === 'E_INTERNAL' ? 'the other side hit a local error and stopped' : error.message);
      try {
        await this.sendJson(RecordType.ERROR, { code: error.code, message });
      } catch {
        // The connection is already going; the local error is what matters.
      }
    }
    await this.close();
  }

  /** Flushes what was written, then closes (an orderly end, as far as the stream has one). */
  async close(): Promise<void> {
    if (this.stream.destroyed) return;
    const closed = once(this.stream, 'close').catch(() => undefined);
    this.stream.end();
    // A peer that never reads must not keep us here.
    const timer = setTimeout(() => this.stream.destroy(), 2_000);
    await closed;
    clearTimeout(timer);
  }

  /**
   * Ends the channel at once, nothing flushed: every wait on it (a record, a drain) fails with
   * `error`, which throwIfEnded reports too. What Ctrl-C does.
   */
  abort(error: SealdropError): void {
    this.stream.destroy(error);
  }
}

/**
 * The peer's own ERROR: it carries the peer's code (a receiver's E_EXISTS is the sender's
 * E_EXISTS too) but is marked as the peer's, so it is never echoed back and a receiver can tell
 * "the sender gave up" from "the sender broke the protocol".
 */
export class PeerStopped extends SealdropError {}

/** The record, unless it is the peer's ERROR, which is thrown as PeerStopped. */
function unlessError(record: Record): Record {
  if (record.type !== RecordType.ERROR) return record;
  const { code, message } = parseError(record.body);
  throw new PeerStopped(isWireErrorCode(code) ? code : 'E_PEER', `the other side stopped: ${forDisplay(message)}`);
}

function framedHandshake(stream: Duplex, frames: FrameSplitter): HandshakeChannel {
  return {
    send: (payload) => void stream.write(encodeFrame(payload)),
    receive: async () => expectHandshakeFrame(await pull<Frame>(frames, 'the handshake')),
  };
}

/** Runs the handshake over `stream`; on failure the stream is closed (after any FAIL is flushed). */
export async function openSecureChannel(stream: Duplex, options: SecureChannelOptions): Promise<SecureChannel> {
  const frames = new FrameSplitter();
  // pipe, not pipeline: a bad record must not take the stream down before our sealed ERROR is out.
  stream.pipe(frames);
  frames.on('error', () => undefined); // reported by pull() through frames.errored, never thrown
  stream.once('error', (error) => frames.destroy(error));
  // After a graceful end the frames already received must still be read (a FIN never overtakes
  // data); destroying them then would also stall stream.pipeline downstream. Only a close
  // without an end is a lost connection.
  stream.once('close', () => {
    if (!frames.writableEnded) frames.destroy(new SealdropError('E_CONNECT', 'the connection was lost'));
  });
  abortOnSignal(stream, options.signal);
  const handshake = options.role === 'initiator' ? initiatorHandshake : responderHandshake;
  const timeoutMs = options.handshakeTimeoutMs ?? DEFAULT_HANDSHAKE_TIMEOUT_MS;
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new SealdropError('E_TIMEOUT', `the handshake did not complete within ${timeoutMs / 1000} s`)), timeoutMs);
  });
  try {
    const session = await Promise.race([handshake(framedHandshake(stream, frames), { codeBytes: options.codeBytes, intent: options.intent }), timeout]);
    return new SecureChannel(stream, session, frames, options.idleTimeoutMs);
  } catch (error) {
    stream.end(); // flushes a FAIL the handshake may have written, then closes
    setTimeout(() => stream.destroy(), 1_000).unref();
    throw error instanceof SealdropError ? error : new SealdropError('E_HANDSHAKE', `the handshake failed: ${(error as Error).message}`, { cause: error });
  } finally {
    clearTimeout(timer);
  }
}

/** Destroys `stream` with the signal's reason when it is aborted, for as long as the stream lives. */
function abortOnSignal(stream: Duplex, signal: AbortSignal | undefined): void {
  if (!signal) return;
  const abort = () => stream.destroy(signal.reason as Error);
  if (signal.aborted) {
    abort();
    return;
  }
  signal.addEventListener('abort', abort, { once: true });
  stream.once('close', () => signal.removeEventListener('abort', abort));
}
