/**
 * Section 9's times for a relay's clients. A module of its own so that the CLI can show them in
 * --help without loading the relay client.
 */

/** A guest told E_RELAY_BUSY tries again once a second, for up to 30 seconds. */
export const BUSY_RETRY_INTERVAL_MS = 1_000;
export const DEFAULT_BUSY_RETRY_WINDOW_MS = 30_000;

/** Through a relay a host gives the handshake 10 seconds, not 30. */
export const RELAY_HANDSHAKE_TIMEOUT_MS = 10_000;
