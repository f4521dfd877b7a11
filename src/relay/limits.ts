/**
 * The relay's limits (PROTOCOL.md section 9), all settable. Section 9's floors are noted where it
 * sets one; the CLI enforces them, while tests may set shorter times through this interface.
 */
export interface RelayLimits {
  /** Section 9: a request must arrive within 10 s of the accept. */
  readonly requestTimeoutMs: number;
  /** `ttl`: a nameplate without a posted or paired connection lapses after it (section 9: ≥ 60 s). */
  readonly ttlMs: number;
  /** A lapsed or released nameplate rests this long before it is given out again (≥ 10 min). */
  readonly restMs: number;
  /** How long a posted connection may wait for a guest, then E_RELAY_TIMEOUT (≥ 10 min). */
  readonly postedWaitMs: number;
  /** A pair silent both ways this long is closed (≥ 15 min). */
  readonly pairIdleMs: number;
  /** After an error answer, read and discard for this long before closing (section 9: 2 s). */
  readonly drainMs: number;
  /** Nameplates held at once (E_RELAY_FULL beyond). */
  readonly maxNameplates: number;
  /** Open connections in all (E_RELAY_FULL beyond). */
  readonly maxConnections: number;
  /** Open connections from one source address (E_RELAY_RATE beyond). */
  readonly maxConnectionsPerAddress: number;
  /** Requests from one source address per minute (E_RELAY_RATE beyond). */
  readonly maxRequestsPerAddressPerMinute: number;
  /** Joins ending in a pairing, per nameplate per minute (section 9: ≥ 10; E_RELAY_RATE beyond). */
  readonly maxPairingsPerNameplatePerMinute: number;
  /** Bytes both ways per pair; over it the pair is closed without a word. Infinity: no limit. */
  readonly maxBytesPerPair: number;
}

export const MINUTE_MS = 60_000;
export const MIN_TTL_SECONDS = 60;
export const MIN_POSTED_WAIT_SECONDS = 600;
export const MIN_PAIR_IDLE_SECONDS = 900;
export const MIN_PAIRINGS_PER_NAMEPLATE_PER_MINUTE = 10;

export const DEFAULT_RELAY_LIMITS: RelayLimits = {
  requestTimeoutMs: 10_000,
  ttlMs: 600_000,
  restMs: 600_000,
  postedWaitMs: 3_600_000,
  pairIdleMs: 3_600_000,
  drainMs: 2_000,
  maxNameplates: 100_000,
  maxConnections: 50_000,
  maxConnectionsPerAddress: 1_000,
  maxRequestsPerAddressPerMinute: 600,
  maxPairingsPerNameplatePerMinute: 10,
  maxBytesPerPair: Infinity,
};
