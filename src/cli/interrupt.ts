/**
 * Ctrl-C: the first SIGINT rejects the running command with E_INTERRUPTED and runs the cleanups
 * the command registered (closing sockets, so partial files are discarded by the normal error
 * paths). A second Ctrl-C, or cleanups taking too long, exits at once. Once the command is
 * finishing (finishWithoutInterruption), the first Ctrl-C no longer stops it, and only a second
 * one exits.
 */
import { SealdropError } from '../errors.js';
import { EXIT_INTERRUPTED } from './exit-status.js';

const cleanups = new Set<() => void>();
const CLEANUP_GRACE_MS = 3_000;
let finishing = false;

/** Registers a cleanup for Ctrl-C; returns a function that removes it. */
export function onInterrupt(cleanup: () => void): () => void {
  cleanups.add(cleanup);
  return () => cleanups.delete(cleanup);
}

/**
 * From now on the running command completes what it started, however that ends, and reports it:
 * a receiver whose files are landing (section 6, after DONE). Cut off there by a first Ctrl-C,
 * its files would land while it reported "interrupted", or half of them would; a second Ctrl-C
 * still exits at once, for a disk that hangs.
 */
export function finishWithoutInterruption(): void {
  finishing = true;
}

/** Resolves never; rejects with E_INTERRUPTED at the first SIGINT (or SIGTERM), unless finishing. */
export function interruption(): Promise<never> {
  return new Promise((_, reject) => {
    const stop = (signal: NodeJS.Signals) => {
      process.once('SIGINT', () => process.exit(EXIT_INTERRUPTED));
      if (finishing) return;
      setTimeout(() => process.exit(EXIT_INTERRUPTED), CLEANUP_GRACE_MS).unref();
      for (const cleanup of cleanups) cleanup();
      reject(new SealdropError('E_INTERRUPTED', `interrupted (${signal}); nothing was kept under a final name`));
    };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
}
