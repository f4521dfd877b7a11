/**
 * The bytes of a pair (PROTOCOL.md section 9), copied both ways unchanged with backpressure: pipe
 * pauses a side whose peer does not keep up, so memory does not grow with traffic. An end of
 * stream is passed on as an end of stream while the other direction keeps flowing; a reset or
 * error on one side closes the other at once, with a reset where the stream can send one.
 */
import type { Duplex } from 'node:stream';

export interface SpliceLimits {
  /** A pair silent both ways this long is closed. */
  readonly idleMs: number;
  /** Bytes both ways after which the pair is closed without a word. */
  readonly maxBytes: number;
}

export interface SpliceResult {
  readonly bytesHostToGuest: number;
  readonly bytesGuestToHost: number;
  readonly durationMs: number;
  /** Why it ended early, if it did: the idle limit, the byte limit, a side's error, or a stop. */
  readonly cut: 'idle' | 'bytes' | 'error' | 'stopped' | null;
}

export interface Splice {
  readonly done: Promise<SpliceResult>;
  /** Closes both sides now (the relay's grace period ran out). */
  stop(): void;
}

/** A reset where the stream is a socket (net.Socket.resetAndDestroy), else a plain destroy. */
function abort(stream: Duplex): void {
  const socket = stream as Duplex & { resetAndDestroy?: () => void };
  if (stream.destroyed) return;
  if (typeof socket.resetAndDestroy === 'function') socket.resetAndDestroy();
  else stream.destroy();
}

export function splice(host: Duplex, guest: Duplex, limits: SpliceLimits): Splice {
  const startedAt = Date.now();
  let lastActivity = startedAt;
  let bytesHostToGuest = 0;
  let bytesGuestToHost = 0;
  let cut: SpliceResult['cut'] = null;
  let idleTimer: NodeJS.Timeout | null = null;

  const cutBoth = (why: NonNullable<SpliceResult['cut']>) => {
    cut ??= why;
    abort(host);
    abort(guest);
  };
  const counted = (add: (n: number) => void) => (chunk: Buffer) => {
    add(chunk.length);
    lastActivity = Date.now();
    if (bytesHostToGuest + bytesGuestToHost > limits.maxBytes) cutBoth('bytes');
  };
  host.on('data', counted((n) => (bytesHostToGuest += n)));
  guest.on('data', counted((n) => (bytesGuestToHost += n)));
  host.pipe(guest);
  guest.pipe(host);

  // A side that errs, or closes before its end of stream came, takes the other down with it.
  const closeWith = (side: Duplex, other: Duplex) => {
    side.on('error', () => {
      cut ??= 'error';
      abort(other);
    });
    side.on('close', () => {
      if (!side.readableEnded) {
        cut ??= 'error';
        abort(other);
      }
    });
  };
  closeWith(host, guest);
  closeWith(guest, host);

  const armIdle = (delayMs: number) => {
    idleTimer = setTimeout(() => {
      const silentMs = Date.now() - lastActivity;
      if (silentMs >= limits.idleMs) cutBoth('idle');
      else armIdle(limits.idleMs - silentMs);
    }, delayMs);
    idleTimer.unref();
  };
  armIdle(limits.idleMs);

  const closed = (stream: Duplex) => (stream.closed ? Promise.resolve() : new Promise<void>((resolve) => stream.once('close', () => resolve())));
  const done = Promise.all([closed(host), closed(guest)]).then(() => {
    if (idleTimer !== null) clearTimeout(idleTimer);
    return { bytesHostToGuest, bytesGuestToHost, durationMs: Date.now() - startedAt, cut };
  });
  return { done, stop: () => cutBoth('stopped') };
}
