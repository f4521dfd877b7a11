/**
 * The one error class of sealdrop. Every failure carries a stable `code`; callers (and the CLI's
 * exit-status table) match on the code, never on the message text. Messages are written for the
 * person at the terminal and never contain key material, exponents or the code.
 */

/** Codes a peer may send in an ERROR record (PROTOCOL.md section 8). */
export const WIRE_ERROR_CODES = [
  'E_BAD_PATH',
  'E_INTEGRITY',
  'E_TOO_LARGE',
  'E_NO_SPACE',
  'E_EXISTS',
  'E_PROTOCOL',
  'E_INTERNAL',
] as const;
export type WireErrorCode = (typeof WIRE_ERROR_CODES)[number];

/** The error codes of a relay's answers (PROTOCOL.md section 9's table). */
export const RELAY_ERROR_CODES = [
  'E_RELAY_REQUEST',
  'E_RELAY_NAMEPLATE',
  'E_RELAY_TOKEN',
  'E_RELAY_BUSY',
  'E_RELAY_FULL',
  'E_RELAY_RATE',
  'E_RELAY_TIMEOUT',
] as const;
export type RelayErrorCode = (typeof RELAY_ERROR_CODES)[number];

/** Codes that only ever arise on this side: they are shown to the person, never sent in ERROR. */
export const LOCAL_ERROR_CODES = [
  'E_USAGE', // bad command-line arguments or a missing input file
  'E_BAD_CODE', // a code that breaks PROTOCOL.md section 1
  'E_WRONG_CODE', // the confirmations did not match: one side typed another code
  'E_HANDSHAKE', // the peer refused or broke the handshake (FAIL, bad HELLO, invalid element)
  'E_CONNECT', // no TCP connection could be made, or it closed early
  'E_TIMEOUT', // the peer stayed silent for too long
  'E_DECLINED', // the receiver (or its person) declined the offer
  'E_PEER', // the peer reported an error in an ERROR record
  'E_CODE_SPENT', // too many wrong attempts: the receiver stopped listening for this code
  'E_INTERRUPTED', // Ctrl-C
  'E_RELAY', // the relay could not be reached, or answered something other than PROTOCOL.md section 9
  // A relay's refusals, as this side reports them to its person:
  ...RELAY_ERROR_CODES,
] as const;
export type LocalErrorCode = (typeof LOCAL_ERROR_CODES)[number];

export type ErrorCode = WireErrorCode | LocalErrorCode;

export class SealdropError extends Error {
  override readonly name = 'SealdropError';

  constructor(
    readonly code: ErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

export function isWireErrorCode(code: string): code is WireErrorCode {
  return (WIRE_ERROR_CODES as readonly string[]).includes(code);
}

/** Wraps anything thrown into a SealdropError, keeping an existing code. */
export function toSealdropError(error: unknown): SealdropError {
  if (error instanceof SealdropError) return error;
  const message = error instanceof Error ? error.message : String(error);
  return new SealdropError('E_INTERNAL', message, { cause: error });
}
