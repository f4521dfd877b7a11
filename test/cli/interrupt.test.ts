/**
 * Ctrl-C (src/cli/interrupt.ts): the first SIGINT or SIGTERM rejects the command with
 * E_INTERRUPTED (exit 130) after running the registered cleanups; a removed cleanup does not run;
 * a second Ctrl-C, or cleanups that take too long, exit 130 at once. The signals are emitted on
 * `process` (no real signal is sent) and process.exit is stubbed.
 */
import { spawnSync } from 'node:child_process';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { EXIT_INTERRUPTED, exitStatusFor } from '../../src/cli/exit-status.js';
import { interruption, onInterrupt } from '../../src/cli/interrupt.js';

const SIGNALS = ['SIGINT', 'SIGTERM'] as const;
let listenersBefore: Map<string, Function[]>;
let exit: ReturnType<typeof vi.spyOn>;
const removals: Array<() => void> = [];

beforeEach(() => {
  listenersBefore = new Map(SIGNALS.map((signal) => [signal, process.listeners(signal)]));
  exit = vi.spyOn(process, 'exit').mockImplementation((() => undefined) as never);
});

afterEach(() => {
  for (const remove of removals.splice(0)) remove();
  // interruption() listens with process.once: take away whatever this test left behind.
  for (const signal of SIGNALS) {
    for (const listener of process.listeners(signal)) {
      if (!listenersBefore.get(signal)!.includes(listener)) process.off(signal, listener as () => void);
    }
  }
  exit.mockRestore();
  vi.useRealTimers();
});

/** As Node delivers a signal to its listeners: with the signal's name. */
function deliver(signal: NodeJS.Signals): void {
  (process.emit as (event: string, ...args: unknown[]) => boolean)(signal, signal);
}

function register(cleanup: () => void): () => void {
  const remove = onInterrupt(cleanup);
  removals.push(remove);
  return remove;
}

describe('Ctrl-C', () => {
  it.each(SIGNALS)('%s rejects with E_INTERRUPTED (exit 130), after running every registered cleanup', async (signal) => {
    const ran: string[] = [];
    register(() => ran.push('socket'));
    register(() => ran.push('listener'));
    const interrupted = interruption();
    deliver(signal);
    const error = await interrupted.catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'E_INTERRUPTED', message: `interrupted (${signal}); nothing was kept under a final name` });
    expect(exitStatusFor((error as { code: 'E_INTERRUPTED' }).code)).toBe(130);
    expect(ran).toEqual(['socket', 'listener']);
    expect(exit).not.toHaveBeenCalled();
  });

  it('does not run a cleanup that was removed', async () => {
    const ran: string[] = [];
    register(() => ran.push('kept'));
    const remove = register(() => ran.push('removed'));
    remove();
    const interrupted = interruption();
    deliver('SIGINT');
    await expect(interrupted).rejects.toMatchObject({ code: 'E_INTERRUPTED' });
    expect(ran).toEqual(['kept']);
  });

  it('exits 130 at once on a second Ctrl-C', async () => {
    const interrupted = interruption();
    deliver('SIGINT');
    await expect(interrupted).rejects.toMatchObject({ code: 'E_INTERRUPTED' });
    expect(exit).not.toHaveBeenCalled();
    deliver('SIGINT');
    expect(exit).toHaveBeenCalledWith(130);
  });

  it('exits 130 when the cleanups take longer than their grace time', async () => {
    vi.useFakeTimers();
    const interrupted = interruption();
    deliver('SIGINT');
    await expect(interrupted).rejects.toMatchObject({ code: 'E_INTERRUPTED' });
    vi.advanceTimersByTime(2_999);
    expect(exit).not.toHaveBeenCalled();
    vi.advanceTimersByTime(1);
    expect(exit).toHaveBeenCalledWith(130);
  });

  it('does nothing before a signal', async () => {
    const ran: string[] = [];
    register(() => ran.push('cleanup'));
    const settled = vi.fn();
    interruption().then(settled, settled);
    await new Promise((resolve) => setImmediate(resolve));
    expect(settled).not.toHaveBeenCalled();
    expect(ran).toEqual([]);
  });
});

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

describe('Ctrl-C while a command is finishing (in a process of its own: `finishing` is process-wide)', () => {
  it('interrupts a command: its cleanups run and it is rejected with E_INTERRUPTED', () => {
    expect(interrupted(false)).toEqual({ stdout: 'interrupted E_INTERRUPTED cleaned up: true\n', status: 0 });
  });

  it('lets a finishing command finish: the first Ctrl-C neither runs cleanups nor rejects; a second exits at once', () => {
    expect(interrupted(true)).toEqual({ stdout: 'went on cleaned up: false\n', status: EXIT_INTERRUPTED });
  });
});
