/**
 * Where the code comes from. A code on the command line is visible to every local user in the
 * process list, so SEALDROP_CODE and the terminal prompt are read first, and --code gets a warning.
 */
import { SealdropError } from '../errors.js';
import { normaliseCode } from '../protocol/code.js';
import type { Output } from './output.js';
import { ask, canAsk } from './prompt.js';

export const CODE_ENVIRONMENT_VARIABLE = 'SEALDROP_CODE';

/** The code as typed (for display) and its normalised bytes; null when none was given. */
export async function readCode(
  commandLineCode: string | undefined,
  output: Output,
  options: { prompt: boolean; question?: string },
): Promise<{ text: string; bytes: Buffer } | null> {
  const fromEnvironment = process.env[CODE_ENVIRONMENT_VARIABLE];
  let text: string | undefined;
  if (fromEnvironment !== undefined && fromEnvironment.trim() !== '') {
    text = fromEnvironment;
  } else if (commandLineCode !== undefined) {
    output.warn(`--code is visible to other users of this machine (process list); prefer ${CODE_ENVIRONMENT_VARIABLE} or the prompt`);
    text = commandLineCode;
  } else if (options.prompt) {
    if (!canAsk()) throw new SealdropError('E_USAGE', `no code: give --code, set ${CODE_ENVIRONMENT_VARIABLE}, or run in a terminal to be asked`);
    text = await ask(options.question ?? 'Code from the receiver: ');
  }
  if (text === undefined) return null;
  return { text: text.trim(), bytes: normaliseCode(text) };
}
