/** The SealdropError a call throws; fails the test if it throws nothing or something else. */
import { SealdropError } from '../../src/errors.js';

export function thrownBy(run: () => unknown): SealdropError {
  try {
    run();
  } catch (error) {
    if (error instanceof SealdropError) return error;
    throw error;
  }
  throw new Error('expected a SealdropError, but nothing was thrown');
}

/** The SealdropError a promise rejects with, which must carry `code`. */
export async function expectCode(promise: Promise<unknown>, code: string): Promise<SealdropError> {
  let outcome: unknown;
  try {
    await promise;
    outcome = 'it resolved';
  } catch (error) {
    if (error instanceof SealdropError && error.code === code) return error;
    outcome = error;
  }
  throw new Error(`expected a SealdropError ${code}, got: ${outcome instanceof Error ? `${(outcome as SealdropError).code ?? ''} ${outcome.message}` : String(outcome)}`);
}
