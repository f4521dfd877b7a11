/**
 * Codes through a relay (PROTOCOL.md section 9): `nameplate-secret`. The nameplate, the text
 * before the first `-`, is the relay's; the secret is the host's and never goes to the relay.
 * The whole code, nameplate included, is section 1's `code_bytes`. Pure: no I/O.
 */
import { SealdropError } from '../errors.js';
import { isNameplate } from './relay-messages.js';

/**
 * The nameplate a guest joins with, read from `code_bytes` (already normalised). A code whose
 * first part is not a nameplate, or whose secret is empty (`482`, `482-`), is refused before
 * connecting (section 9); the message never repeats the code.
 */
export function nameplateOfCode(codeBytes: Buffer): string {
  const text = codeBytes.toString('ascii');
  const dash = text.indexOf('-');
  const nameplate = dash < 0 ? text : text.slice(0, dash);
  if (dash < 0 || !isNameplate(nameplate) || dash === text.length - 1) {
    throw new SealdropError('E_BAD_CODE', 'Through a relay the code is a number, a dash and the rest (such as 315-crisp-maple-unit), as the other side was shown: check that you typed it whole.');
  }
  return nameplate;
}

/** The host's code: the nameplate the relay gave, put in front of the secret. */
export function relayCode(nameplate: string, secret: string): string {
  return `${nameplate}-${secret}`;
}
