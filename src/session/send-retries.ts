/**
 * A sender that goes first (PROTOCOL.md section 9, "who goes first"): it hosts, and sends to the
 * peer that comes through the gate. A transfer that broke off (the connection dropped, the
 * receiver went silent or gave up) leaves the code valid (section 7): the gate waits for the
 * receiver to join again, and the new transfer resumes from what the receiver kept. Anything
 * else (a DECLINE, a mismatch, a Ctrl-C) ends the send.
 */
import { SealdropError } from '../errors.js';
import { PeerStopped, type SecureChannel } from '../channel/secure-channel.js';
import type { Gate } from './gate.js';

export interface SendRetryEvents {
  /** Before each wait for a receiver at the gate. */
  readonly onWaiting?: () => void;
  /** A receiver came through the gate: the channel's fingerprint is for the person to compare. */
  readonly onSecured?: (channel: SecureChannel) => void;
  /** The transfer broke off and the gate waits for the receiver again. */
  readonly onBrokeOff?: (error: SealdropError) => void;
}

const BROKEN_OFF_CODES: ReadonlySet<string> = new Set(['E_CONNECT', 'E_TIMEOUT']);

/** Whether a failed send leaves the code valid: the connection broke off, or the receiver gave up. */
function brokeOff(error: unknown): error is SealdropError {
  return error instanceof SealdropError && error.code !== 'E_INTERRUPTED' && (error instanceof PeerStopped || BROKEN_OFF_CODES.has(error.code));
}

/** Runs `send` with each peer the gate lets through until one succeeds; `resumable: false` (a stream) allows one. */
export async function sendWithRetries<T>(gate: Gate, send: (channel: SecureChannel) => Promise<T>, options: { resumable: boolean }, events: SendRetryEvents = {}): Promise<T> {
  for (;;) {
    events.onWaiting?.();
    const channel = await gate.next();
    events.onSecured?.(channel);
    try {
      return await send(channel);
    } catch (error) {
      if (!options.resumable || !brokeOff(error)) throw error;
      events.onBrokeOff?.(error);
      gate.release();
    }
  }
}
