/**
 * Section 7: the whole handshake completes within 30 seconds of the TCP accept. A module of its
 * own so that the CLI can show the default in --help without loading the handshake and the group.
 */
export const DEFAULT_HANDSHAKE_TIMEOUT_MS = 30_000;
