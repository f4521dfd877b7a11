/**
 * Ctrl-C: the first SIGINT rejects the running command with E_INTERRUPTED and runs the cleanups
 * the command registered (closing sockets, so partial files are discarded by the normal error
 * paths). A second Ctrl-C, or cleanups taking too long, exits at once.
 */
import { SealdropError } from '../errors.js';
import { EXIT_INTERRUPTED } from './exit-status.js';

const cleanups = new Set<() => void>();
const CLEANUP_GRACE_MS = 3_000;

/** Registers a cleanup for Ctrl-C; returns a function that removes it. */
export function onInterrupt(cleanup: () => void): () => void {
  cleanups.add(cleanup);
  return () => cleanups.delete(cleanup);
}

/** Resolves never; rejects with E_INTERRUPTED at the first SIGINT (or SIGTERM). */
export function interruption(): Promise<never> {
  return new Promise((_, reject) => {
    const stop = (signal: NodeJS.Signals) => {
      process.once('SIGINT', () => process.exit(EXIT_INTERRUPTED));
      setTimeout(() => process.exit(EXIT_INTERRUPTED), CLEANUP_GRACE_MS).unref();
      for (const cleanup of cleanups) cleanup();
      reject(new SealdropError('E_INTERRUPTED', `interrupted (${signal}); nothing was kept under a final name`));
    };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
}
