/**
 * How a command that failed ends: one line on stderr, `sealdrop: E_CODE: reason`, the --json
 * object `{"ok": false, "code", "message"}` on stdout, and the exit status of the code.
 */
import { toSealdropError } from '../errors.js';
import { forDisplay } from '../protocol/display.js';
import { exitStatusFor } from './exit-status.js';
import type { Output } from './output.js';

/** Reports `error` (anything thrown; not a SealdropError is E_INTERNAL) and returns the exit status. */
export function reportFailure(error: unknown, output: Output): number {
  const failure = toSealdropError(error);
  output.finish();
  process.stderr.write(`sealdrop: ${failure.code}: ${forDisplay(failure.message)}\n`);
  output.jsonResult({ ok: false, code: failure.code, message: failure.message });
  return exitStatusFor(failure.code);
}
