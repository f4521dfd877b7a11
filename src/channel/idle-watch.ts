/**
 * How long a peer that owes us a record may stay silent before we give up on it. "Silent" means
 * no byte moved on the connection in either direction: a peer trickling a large record over a
 * slow link is not silent, and neither is one still taking the bytes we stream to it (a sender
 * waiting for RECEIPT while its files go out). A peer whose machine vanished without a reset, or
 * one that stops reading, is.
 */
import { SealdropError } from '../errors.js';

/**
 * Two minutes: long enough for a receiver's fsync of a file's last unflushed 32 MiB on a slow
 * disk, or a sender hashing a large kept prefix before its FILE, short enough that a person is
 * told within a couple of minutes that the other side is gone. A person deciding at a prompt is
 * never timed: the side waiting for their answer waits without this limit.
 */
export const DEFAULT_IDLE_TIMEOUT_MS = 120_000;

/** Silence is looked for this many times per timeout, so it is noticed at most a quarter late. */
const CHECKS_PER_TIMEOUT = 4;

export class IdleWatch {
  #lastBytes: number;
  #lastChangeMs: number;

  /** `bytesMoved` counts the bytes read and written on the connection so far. */
  constructor(
    private readonly bytesMoved: () => number,
    readonly timeoutMs: number,
  ) {
    this.#lastBytes = bytesMoved();
    this.#lastChangeMs = performance.now();
  }

  /**
   * How long to wait before looking again; throws E_TIMEOUT once nothing has moved for the
   * whole timeout. `what` names the record we wait for.
   */
  nextCheckMs(what: string): number {
    const now = performance.now();
    const bytes = this.bytesMoved();
    if (bytes !== this.#lastBytes) {
      this.#lastBytes = bytes;
      this.#lastChangeMs = now;
    }
    const silentMs = now - this.#lastChangeMs;
    if (silentMs >= this.timeoutMs) {
      throw new SealdropError('E_TIMEOUT', `the other side went silent: nothing arrived for ${formatSeconds(this.timeoutMs)} while waiting for ${what}`);
    }
    return Math.min(this.timeoutMs - silentMs, this.timeoutMs / CHECKS_PER_TIMEOUT);
  }
}

function formatSeconds(ms: number): string {
  return `${Number((ms / 1000).toFixed(3))} s`;
}
