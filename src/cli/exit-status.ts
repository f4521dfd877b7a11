/** The one place where error codes become exit statuses (documented in README.md). */
import type { ErrorCode } from '../errors.js';

export const EXIT_OK = 0;
export const EXIT_INTERRUPTED = 130;

const EXIT_STATUS_BY_CODE: Record<ErrorCode, number> = {
  E_INTERNAL: 1,
  E_PROTOCOL: 1,
  E_INTEGRITY: 1,
  E_PEER: 1,
  E_HANDSHAKE: 1,
  E_CONNECT: 1,
  E_TIMEOUT: 1,
  E_USAGE: 2,
  E_BAD_CODE: 2,
  E_WRONG_CODE: 3,
  E_CODE_SPENT: 3,
  E_DECLINED: 4,
  E_BAD_PATH: 5,
  E_EXISTS: 5,
  E_NO_SPACE: 5,
  E_TOO_LARGE: 5,
  E_RELAY: 1,
  E_RELAY_REQUEST: 1,
  E_RELAY_NAMEPLATE: 3,
  E_RELAY_TOKEN: 1,
  E_RELAY_BUSY: 1,
  E_RELAY_FULL: 1,
  E_RELAY_RATE: 1,
  E_RELAY_TIMEOUT: 1,
  E_INTERRUPTED: EXIT_INTERRUPTED,
};

/** A code the table lacks (a string cast to ErrorCode, say) still fails like E_INTERNAL: never 0. */
export function exitStatusFor(code: ErrorCode): number {
  return Object.hasOwn(EXIT_STATUS_BY_CODE, code) ? EXIT_STATUS_BY_CODE[code] : EXIT_STATUS_BY_CODE.E_INTERNAL;
}
