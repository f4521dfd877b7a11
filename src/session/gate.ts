/**
 * The responder's gate (PROTOCOL.md section 7): it takes streams from any source (a TCP server, a
 * relay) and lets through only peers that complete the handshake with the code. One handshake at
 * a time: a stream arriving while one runs, or while a transfer runs, is closed at once, and does
 * not disturb the one in progress. A source on demand (a relay host, section 9) is asked for each
 * next peer instead, so it brings none while one is served. Each handshake is bounded by the
 * handshake timeout, and after three wrong codes the code is spent.
 */
import { SealdropError, toSealdropError } from '../errors.js';
import type { Intent } from '../protocol/handshake-messages.js';
import { countsAsAttempt } from '../protocol/handshake.js';
import type { IncomingStream, IncomingStreams, StreamsOnDemand } from '../channel/incoming.js';
import { openSecureChannel, type SecureChannel } from '../channel/secure-channel.js';

/** Section 7: after this many wrong CONFIRM_I the responder stops listening for the code. */
export const MAX_WRONG_CODE_ATTEMPTS = 3;

export type GateEvent =
  | { readonly type: 'connection'; readonly remote: string }
  | { readonly type: 'handshake-failed'; readonly remote: string; readonly error: SealdropError; readonly attemptsLeft: number };

export interface GateOptions {
  readonly codeBytes: Buffer;
  readonly intent: Intent;
  readonly handshakeTimeoutMs?: number;
  readonly idleTimeoutMs?: number;
  /** Aborts the channel in progress (handshake or transfer) with the signal's reason. */
  readonly signal?: AbortSignal;
  readonly onEvent?: (event: GateEvent) => void;
}

export class Gate {
  #busy = false;
  #wrongCodes = 0;
  #waiting: ((incoming: IncomingStream | null) => void) | null = null;
  #sourceEnded = false;
  /** Why the source ended, if it failed (a relay that went away): next() reports it. */
  #sourceFailure: SealdropError | null = null;
  readonly #source: IncomingStreams & Partial<StreamsOnDemand>;
  readonly #onEvent: GateOptions['onEvent'];
  readonly #channelOptions: Omit<GateOptions, 'onEvent'>;

  constructor(source: IncomingStreams, { onEvent, ...channelOptions }: GateOptions) {
    this.#onEvent = onEvent;
    this.#channelOptions = channelOptions;
    this.#source = source;
    void this.#admit(source);
  }

  /** Takes every stream as it arrives, so that one that may not in is closed at once. */
  async #admit(source: IncomingStreams): Promise<void> {
    try {
      for await (const incoming of source) {
        incoming.stream.on('error', () => undefined); // failures surface through the handshake
        if (this.#busy || this.#waiting === null) {
          incoming.stream.destroy(); // one peer at a time
          continue;
        }
        this.#busy = true;
        this.#deliver(incoming);
      }
    } catch (error) {
      this.#sourceFailure = toSealdropError(error);
    } finally {
      this.#sourceEnded = true;
      this.#deliver(null);
    }
  }

  #deliver(incoming: IncomingStream | null): void {
    const waiting = this.#waiting;
    this.#waiting = null;
    waiting?.(incoming);
  }

  #nextStream(): Promise<IncomingStream | null> {
    if (this.#sourceEnded) return Promise.resolve(null);
    const next = new Promise<IncomingStream | null>((resolve) => (this.#waiting = resolve));
    this.#source.want?.(); // ready for one more peer: a source on demand brings one now
    return next;
  }

  /**
   * Waits for a peer that completes the handshake with the code. Failed handshakes are reported
   * and the gate goes on waiting, except after MAX_WRONG_CODE_ATTEMPTS wrong codes (E_CODE_SPENT).
   * A FAIL "wrong code" from the peer is not an attempt (the peer's word proves nothing). The
   * caller calls `release()` when done with the returned channel, if it wants another.
   */
  async next(): Promise<SecureChannel> {
    for (;;) {
      if (this.#wrongCodes >= MAX_WRONG_CODE_ATTEMPTS) throw codeSpent();
      const incoming = await this.#nextStream();
      if (incoming === null) throw this.#sourceFailure ?? new SealdropError('E_CONNECT', 'stopped listening for the other side');
      const { stream, remote } = incoming;
      this.#onEvent?.({ type: 'connection', remote });
      try {
        return await openSecureChannel(stream, { role: 'responder', ...this.#channelOptions });
      } catch (error) {
        this.#busy = false;
        const failure = toSealdropError(error);
        if (countsAsAttempt(failure)) this.#wrongCodes += 1;
        const attemptsLeft = MAX_WRONG_CODE_ATTEMPTS - this.#wrongCodes;
        this.#onEvent?.({ type: 'handshake-failed', remote, error: failure, attemptsLeft });
      }
    }
  }

  /** Lets the next stream in (after a transfer that broke off and may be resumed). */
  release(): void {
    this.#busy = false;
  }
}

function codeSpent(): SealdropError {
  return new SealdropError('E_CODE_SPENT', `${MAX_WRONG_CODE_ATTEMPTS} attempts with a wrong code: the code is spent; start a new receive for a new code`);
}
