/**
 * The guest's side of a relay (PROTOCOL.md section 9): `join` the host's nameplate and, once
 * `paired`, hand back the stream, on which the guest runs the handshake as the initiator. The
 * relay never queues guests: told E_RELAY_BUSY (the host is between two handshakes, or busy with
 * someone else), the guest tries again on a new connection once a second for up to 30 seconds.
 */
import type { Duplex } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { ask, refusedByRelay, unexpectedAnswer, type RelayLink } from './relay-link.js';
import { BUSY_RETRY_INTERVAL_MS, DEFAULT_BUSY_RETRY_WINDOW_MS } from './relay-timing.js';

export interface JoinOptions {
  readonly busyRetryWindowMs?: number;
  readonly busyRetryIntervalMs?: number;
  /** Before each new try after a busy answer (for the person: "the other side is busy, retrying"). */
  readonly onBusy?: () => void;
}

export async function joinThroughRelay(link: RelayLink, nameplate: string, options: JoinOptions = {}): Promise<Duplex> {
  const windowMs = options.busyRetryWindowMs ?? DEFAULT_BUSY_RETRY_WINDOW_MS;
  const intervalMs = options.busyRetryIntervalMs ?? BUSY_RETRY_INTERVAL_MS;
  // One try at once, then one a second until the whole window has passed: the last try comes
  // at its end, so a host that posts again within the window is always found.
  const tries = Math.floor(windowMs / intervalMs) + 1;
  for (let tried = 1; ; tried++) {
    const { stream, answer } = await ask(link, { op: 'join', nameplate });
    if (answer.kind === 'paired') return stream;
    stream.destroy();
    if (answer.kind !== 'refused' || answer.code !== 'E_RELAY_BUSY') throw unexpectedAnswer(link, answer);
    if (tried >= tries) {
      throw refusedByRelay(link, 'E_RELAY_BUSY', ` (it said so for ${Math.round(windowMs / 1000)} s)`);
    }
    options.onBusy?.();
    await sleep(intervalMs);
  }
}
