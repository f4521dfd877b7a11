/**
 * The relay server's pairing logic (PROTOCOL.md section 9) over any byte stream: it is handed
 * accepted streams with their source address and knows nothing of TCP (a WebSocket may join
 * later). Each connection sends one request frame; a host is given (or re-posts for) a
 * nameplate, a guest is paired at once with the posted connection or refused, never queued.
 * Events go to `log`, which never sees a payload byte, a token or a code.
 */
import type { Duplex } from 'node:stream';
import {
  encodeHosted,
  encodePaired,
  encodeRefusal,
  encodeReleased,
  isRelayFrameLength,
  parseRelayRequest,
  relayFrameLengthRefusal,
  type RelayRefusal,
  type RelayRequest,
} from '../protocol/relay-messages.js';
import type { RelayErrorCode } from '../errors.js';
import { FRAME_HEADER_BYTES } from '../protocol/frames.js';
import { DEFAULT_RELAY_LIMITS, type RelayLimits } from './limits.js';
import { Nameplates, type HeldNameplate } from './nameplates.js';
import { splice, type Splice, type SpliceResult } from './splice.js';
import { WindowCounter } from './window-counter.js';

export type RelayEvent =
  | { readonly event: 'connection'; readonly connection: number; readonly address: string }
  | { readonly event: 'refused'; readonly connection: number; readonly address: string; readonly code: RelayErrorCode }
  | { readonly event: 'allocated'; readonly nameplate: string }
  | { readonly event: 'posted'; readonly connection: number; readonly nameplate: string }
  | { readonly event: 'paired'; readonly nameplate: string; readonly host: number; readonly guest: number }
  | ({ readonly event: 'closed'; readonly nameplate: string } & SpliceResult)
  | { readonly event: 'released'; readonly nameplate: string }
  | { readonly event: 'lapsed'; readonly nameplate: string };

export interface RelayOptions {
  readonly limits?: Partial<RelayLimits>;
  readonly log?: (event: RelayEvent) => void;
}

interface Connection {
  readonly id: number;
  readonly stream: Duplex;
  readonly address: string;
  /** Bytes read before pairing (at most one header and one request, or the excess that refuses it). */
  received: Buffer;
  /** Where it stands: reading its request, posted, paired, or answered and closing. */
  state: 'request' | 'posted' | 'paired' | 'closing';
  /** What happens to bytes that arrive now. */
  onBytes: () => void;
  /** Our 'data' and 'end' listeners, taken off when the pair's copying takes over. */
  readonly listeners: { readonly data: (chunk: Buffer) => void; readonly end: () => void };
  timer: NodeJS.Timeout | null;
  /** The nameplate this connection is posted for. */
  postedFor: HeldNameplate | null;
}

const SHUTTING_DOWN = 'the relay is shutting down; try again later';

export class Relay {
  readonly limits: RelayLimits;
  readonly #log: (event: RelayEvent) => void;
  readonly #nameplates: Nameplates;
  readonly #posted = new Map<string, Connection>();
  readonly #pairs = new Set<Splice>();
  readonly #open = new Set<Connection>();
  readonly #connectionsPerAddress = new Map<string, number>();
  readonly #requestsPerAddress = new WindowCounter();
  readonly #pairingsPerNameplate = new WindowCounter();
  #nextId = 1;
  #stopping = false;

  constructor(options: RelayOptions = {}) {
    this.limits = { ...DEFAULT_RELAY_LIMITS, ...options.limits };
    this.#log = options.log ?? (() => {});
    this.#nameplates = new Nameplates(this.limits, (nameplate) => this.#log({ event: 'lapsed', nameplate }));
  }

  /** Nameplates held, connections posted, pairs running: for tests and a status line. */
  get counts(): { nameplates: number; posted: number; pairs: number; connections: number } {
    return { nameplates: this.#nameplates.heldCount, posted: this.#posted.size, pairs: this.#pairs.size, connections: this.#open.size };
  }

  /** Takes an accepted stream; `address` is its source address, for the per-address limits. */
  accept(stream: Duplex, address: string): void {
    const connection: Connection = {
      id: this.#nextId++,
      stream,
      address,
      received: Buffer.alloc(0),
      state: 'request',
      onBytes: () => this.#readRequest(connection),
      listeners: {
        data: (chunk: Buffer) => {
          connection.received = connection.received.length === 0 ? chunk : Buffer.concat([connection.received, chunk]);
          connection.onBytes();
        },
        // A connection that ends before its answer, or while posted, has given up.
        end: () => {
          if (connection.state === 'request' || connection.state === 'posted') stream.destroy();
        },
      },
      timer: null,
      postedFor: null,
    };
    this.#open.add(connection);
    this.#connectionsPerAddress.set(address, (this.#connectionsPerAddress.get(address) ?? 0) + 1);
    stream.on('error', () => {}); // a reset is handled by 'close'
    stream.once('close', () => this.#closed(connection));
    stream.on('data', connection.listeners.data);
    stream.on('end', connection.listeners.end);
    this.#log({ event: 'connection', connection: connection.id, address });

    if (this.#stopping) return this.#refuse(connection, 'E_RELAY_FULL', SHUTTING_DOWN);
    if (this.#open.size > this.limits.maxConnections) return this.#refuse(connection, 'E_RELAY_FULL', 'the relay has too many connections; try again later');
    if (this.#connectionsPerAddress.get(address)! > this.limits.maxConnectionsPerAddress) {
      return this.#refuse(connection, 'E_RELAY_RATE', 'too many connections from your address; close some and try again');
    }
    // Section 9: no answer to a request that has not arrived in time.
    connection.timer = setTimeout(() => stream.destroy(), this.limits.requestTimeoutMs);
  }

  /**
   * Graceful stop: new connections and requests are refused, posted connections let go; running
   * pairs may finish for `graceMs`, then they are closed. Resolves once nothing is open.
   */
  async stop(graceMs: number): Promise<void> {
    this.#stopping = true;
    for (const connection of this.#open) {
      if (connection.state === 'request' || connection.state === 'posted') this.#refuse(connection, 'E_RELAY_FULL', SHUTTING_DOWN);
    }
    const pairs = [...this.#pairs];
    const grace = setTimeout(() => pairs.forEach((pair) => pair.stop()), graceMs);
    await Promise.all(pairs.map((pair) => pair.done));
    clearTimeout(grace);
    await Promise.all([...this.#open].map((c) => (c.stream.closed ? undefined : new Promise((resolve) => c.stream.once('close', resolve)))));
    this.#nameplates.clear();
  }

  /** Section 9: the length is checked before the payload is read; any byte after the request refuses it. */
  #readRequest(connection: Connection): void {
    const { received } = connection;
    if (received.length < FRAME_HEADER_BYTES) return;
    const length = received.readUInt32BE(0);
    if (!isRelayFrameLength(length)) return this.#refuseWith(connection, relayFrameLengthRefusal(length));
    const frameBytes = FRAME_HEADER_BYTES + length;
    if (received.length < frameBytes) return;
    if (received.length > frameBytes) return this.#refuse(connection, 'E_RELAY_REQUEST', 'not a valid relay request: bytes followed the request before pairing');
    clearTimeout(connection.timer!);
    connection.timer = null;
    connection.received = Buffer.alloc(0);
    // Bytes after the request and before `paired` refuse it, whenever they come (section 9).
    connection.onBytes = () => this.#refuse(connection, 'E_RELAY_REQUEST', 'not a valid relay request: bytes before pairing');
    const parsed = parseRelayRequest(received.subarray(FRAME_HEADER_BYTES, frameBytes));
    if (!parsed.ok) return this.#refuseWith(connection, parsed.refusal);
    if (this.#stopping) return this.#refuse(connection, 'E_RELAY_FULL', SHUTTING_DOWN);
    if (!this.#requestsPerAddress.tryAdd(connection.address, this.limits.maxRequestsPerAddressPerMinute)) {
      return this.#refuse(connection, 'E_RELAY_RATE', 'too many requests from your address; wait a minute');
    }
    this.#handle(connection, parsed.request);
  }

  #handle(connection: Connection, request: RelayRequest): void {
    if (request.nameplate === undefined) return this.#allocate(connection);
    // Section 9's order: held, then the token (host and release), then whether one is posted.
    const held = this.#nameplates.get(request.nameplate);
    if (held === undefined) return this.#refuse(connection, 'E_RELAY_NAMEPLATE', 'no host holds this nameplate: the code is wrong or has expired');
    if (request.op !== 'join' && !Nameplates.tokenMatches(held, request.token)) {
      return this.#refuse(connection, 'E_RELAY_TOKEN', 'the token does not match this nameplate');
    }
    if (request.op === 'release') return this.#release(connection, held);
    const posted = this.#posted.get(held.nameplate);
    if (request.op === 'host') {
      if (posted !== undefined) return this.#refuse(connection, 'E_RELAY_BUSY', 'a connection is already posted for this nameplate');
      return this.#post(connection, held);
    }
    if (posted === undefined) return this.#refuse(connection, 'E_RELAY_BUSY', 'the other side is busy with someone else; try again shortly');
    if (!this.#pairingsPerNameplate.tryAdd(held.nameplate, this.limits.maxPairingsPerNameplatePerMinute)) {
      return this.#refuse(connection, 'E_RELAY_RATE', 'too many joins for this nameplate; wait a minute');
    }
    this.#pair(posted, connection, held);
  }

  #allocate(connection: Connection): void {
    const allocated = this.#nameplates.heldCount < this.limits.maxNameplates ? this.#nameplates.allocate() : null;
    if (allocated === null) return this.#refuse(connection, 'E_RELAY_FULL', 'the relay holds too many nameplates; try again later');
    this.#log({ event: 'allocated', nameplate: allocated.nameplate });
    this.#post(connection, allocated);
  }

  /** Section 9: every host answer repeats the nameplate, its token and the ttl in seconds. */
  #post(connection: Connection, held: HeldNameplate): void {
    connection.stream.write(encodeHosted(held.nameplate, held.token.toString('hex'), Math.floor(this.limits.ttlMs / 1000)));
    connection.state = 'posted';
    connection.postedFor = held;
    this.#posted.set(held.nameplate, connection);
    this.#nameplates.connectionOpened(held);
    connection.timer = setTimeout(() => this.#refuse(connection, 'E_RELAY_TIMEOUT', 'no guest came in time; post again'), this.limits.postedWaitMs);
    this.#log({ event: 'posted', connection: connection.id, nameplate: held.nameplate });
  }

  /** The posted connection is no longer posted (paired, refused or closed). */
  #unpost(connection: Connection): HeldNameplate | null {
    const held = connection.postedFor;
    if (held === null) return null;
    connection.postedFor = null;
    if (connection.timer !== null) clearTimeout(connection.timer);
    connection.timer = null;
    if (this.#posted.get(held.nameplate) === connection) this.#posted.delete(held.nameplate);
    return held;
  }

  #release(connection: Connection, held: HeldNameplate): void {
    this.#nameplates.release(held.nameplate);
    this.#log({ event: 'released', nameplate: held.nameplate });
    const posted = this.#posted.get(held.nameplate);
    if (posted !== undefined) {
      this.#unpost(posted);
      posted.stream.destroy();
    }
    connection.state = 'closing';
    connection.stream.end(encodeReleased());
    connection.onBytes = () => {};
    connection.stream.once('finish', () => connection.stream.destroy());
  }

  #pair(host: Connection, guest: Connection, held: HeldNameplate): void {
    this.#unpost(host);
    for (const side of [host, guest]) {
      side.state = 'paired';
      side.stream.off('data', side.listeners.data);
      side.stream.off('end', side.listeners.end);
      side.stream.pause();
      side.stream.write(encodePaired());
    }
    this.#log({ event: 'paired', nameplate: held.nameplate, host: host.id, guest: guest.id });
    const pair = splice(host.stream, guest.stream, { idleMs: this.limits.pairIdleMs, maxBytes: this.limits.maxBytesPerPair });
    this.#pairs.add(pair);
    // The host's paired connection keeps its nameplate from lapsing (section 9).
    this.#nameplates.connectionOpened(held);
    void pair.done.then((result) => {
      this.#pairs.delete(pair);
      this.#nameplates.connectionClosed(held);
      this.#log({ event: 'closed', nameplate: held.nameplate, ...result });
    });
  }

  #refuse(connection: Connection, code: RelayErrorCode, message: string): void {
    this.#refuseWith(connection, { code, message });
  }

  /** Section 9: answer, shut the sending side, read and discard for up to 2 s, then close. */
  #refuseWith(connection: Connection, refusal: RelayRefusal): void {
    const held = this.#unpost(connection);
    if (held !== null) this.#nameplates.connectionClosed(held);
    if (connection.timer !== null) clearTimeout(connection.timer);
    const { stream } = connection;
    this.#log({ event: 'refused', connection: connection.id, address: connection.address, code: refusal.code });
    connection.state = 'closing';
    connection.received = Buffer.alloc(0);
    connection.onBytes = () => {
      connection.received = Buffer.alloc(0);
    };
    stream.once('end', () => (stream.writableFinished ? stream.destroy() : stream.once('finish', () => stream.destroy())));
    stream.end(encodeRefusal(refusal));
    connection.timer = setTimeout(() => stream.destroy(), this.limits.drainMs);
  }

  #closed(connection: Connection): void {
    const held = this.#unpost(connection);
    if (held !== null) this.#nameplates.connectionClosed(held);
    if (connection.timer !== null) clearTimeout(connection.timer);
    this.#open.delete(connection);
    const left = this.#connectionsPerAddress.get(connection.address)! - 1;
    if (left === 0) this.#connectionsPerAddress.delete(connection.address);
    else this.#connectionsPerAddress.set(connection.address, left);
  }
}
