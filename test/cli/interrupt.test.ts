/**
 * Ctrl-C (src/cli/interrupt.ts), in a process of its own, since a SIGINT is process-wide: the
 * first one interrupts the command, unless the command is finishing (a receiver whose files are
 * landing, after DONE); then only a second one ends the process. Runs the built module (dist/).
 */
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { EXIT_INTERRUPTED } from '../../src/cli/exit-status.js';

const INTERRUPT_MODULE = new URL('../../dist/cli/interrupt.js', import.meta.url).href;

/** A process that registers a cleanup, is finishing or not, and sends itself SIGINTs: what it printed, and its exit status. */
function interrupted(finishing: boolean): { stdout: string; status: number | null } {
  const script = `
    import { finishWithoutInterruption, interruption, onInterrupt } from ${JSON.stringify(INTERRUPT_MODULE)};
    let cleanedUp = false;
    onInterrupt(() => (cleanedUp = true));
    if (${finishing}) finishWithoutInterruption();
    interruption().catch((error) => {
      console.log('interrupted', error.code, 'cleaned up:', cleanedUp);
      process.exit(0);
    });
    process.kill(process.pid, 'SIGINT');
    setTimeout(() => {
      console.log('went on', 'cleaned up:', cleanedUp);
      process.kill(process.pid, 'SIGINT');
    }, 100);
    setTimeout(() => console.log('still running after the second Ctrl-C'), 5_000);
  `;
  const child = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8', timeout: 10_000 });
  return { stdout: child.stdout, status: child.status };
}

describe('Ctrl-C', () => {
  it('interrupts a command: its cleanups run and it is rejected with E_INTERRUPTED', () => {
    expect(interrupted(false)).toEqual({ stdout: 'interrupted E_INTERRUPTED cleaned up: true\n', status: 0 });
  });

  it('lets a finishing command finish: the first Ctrl-C neither runs cleanups nor rejects; a second exits at once', () => {
    expect(interrupted(true)).toEqual({ stdout: 'went on cleaned up: false\n', status: EXIT_INTERRUPTED });
  });
});
