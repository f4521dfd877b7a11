/** Captures what code under test writes to process.stdout and process.stderr, for the CLI's unit tests. */
import { afterEach, beforeEach, vi } from 'vitest';

export interface CapturedStdio {
  stdout: string;
  stderr: string;
  /** Resolves with the match once what was written to `stream` matches `pattern`. */
  written(stream: 'stdout' | 'stderr', pattern: RegExp): Promise<RegExpMatchArray>;
  /** Puts the real writes back. */
  restore(): void;
}

export function captureStdio(): CapturedStdio {
  const waiters = new Set<() => void>();
  const spies = (['stdout', 'stderr'] as const).map((name) =>
    vi.spyOn(process[name], 'write').mockImplementation((chunk: string | Uint8Array) => {
      captured[name] += String(chunk);
      for (const waiter of waiters) waiter();
      return true;
    }),
  );
  const captured: CapturedStdio = {
    stdout: '',
    stderr: '',
    written: (stream, pattern) =>
      new Promise((resolve) => {
        const check = () => {
          const match = pattern.exec(captured[stream]);
          if (match === null) return;
          waiters.delete(check);
          resolve(match);
        };
        waiters.add(check);
        check();
      }),
    restore: () => spies.forEach((spy) => spy.mockRestore()),
  };
  return captured;
}

/** Captures stdio in each test of the calling file, and restores it after; call at the top level. */
export function stdioOfEachTest(): Omit<CapturedStdio, 'restore'> {
  let current: CapturedStdio | undefined;
  beforeEach(() => {
    current = captureStdio();
  });
  afterEach(() => current?.restore());
  return {
    get stdout() {
      return current!.stdout;
    },
    get stderr() {
      return current!.stderr;
    },
    written: (stream, pattern) => current!.written(stream, pattern),
  };
}
