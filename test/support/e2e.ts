/**
 * The vitest side of the end-to-end tests: `e2e`, a `test` whose context carries `sd`, a fresh
 * workspace (temporary `src/` and `out/`) and a group of sealdrop processes for this test alone.
 * After the test (passed, failed or timed out) every process of the group still running is
 * killed and the workspace is removed, so tests can run concurrently without touching each other.
 * At most MAX_CONCURRENT_TESTS of them run at once, whatever vitest's maxConcurrency: each test
 * starts several Node processes, and too many at a time only make every one of them slow.
 */
import type { Socket } from 'node:net';
import { test } from 'vitest';
import { ProcessGroup } from './cli.js';
import { makeWorkspace, type Workspace } from './files.js';

export class E2EScope extends ProcessGroup {
  readonly ws: Workspace = makeWorkspace();
  /** Raw sockets a test opened; destroyed at the end. */
  readonly sockets: Socket[] = [];

  async dispose(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await this.killAll();
    this.ws.cleanup();
  }
}

export const MAX_CONCURRENT_TESTS = 3;

/**
 * The time limit of a concurrent e2e test. It counts from the test's start, so it includes the
 * wait for a free slot behind up to MAX_CONCURRENT_TESTS others: generous, so that a loaded
 * machine (CI, two cores) slows a test down without failing it. Tests wait on events, never on it.
 */
export const E2E_TIMEOUT_MS = 60_000;

let activeTests = 0;
const waitingTests: Array<() => void> = [];

/** Waits for a free slot; returns the function that frees it (handing it straight to a waiting test). */
async function acquireSlot(): Promise<() => void> {
  if (activeTests < MAX_CONCURRENT_TESTS) activeTests += 1;
  else await new Promise<void>((resolve) => waitingTests.push(resolve));
  return () => {
    const next = waitingTests.shift();
    if (next) next();
    else activeTests -= 1;
  };
}

export const e2e = test.extend<{ sd: E2EScope }>({
  // eslint-disable-next-line no-empty-pattern
  sd: async ({}, use) => {
    const release = await acquireSlot();
    const scope = new E2EScope();
    try {
      await use(scope);
    } finally {
      await scope.dispose();
      release();
    }
  },
});
