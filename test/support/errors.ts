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
