/** Captures what code under test writes to process.stdout and process.stderr, for the CLI's unit tests. */
import { vi } from 'vitest';

export interface CapturedStdio {
  stdout: string;
  stderr: string;
  /** Puts the real writes back. */
  restore(): void;
}

export function captureStdio(): CapturedStdio {
  const spies = (['stdout', 'stderr'] as const).map((name) =>
    vi.spyOn(process[name], 'write').mockImplementation((chunk: string | Uint8Array) => {
      captured[name] += String(chunk);
      return true;
    }),
  );
  const captured: CapturedStdio = {
    stdout: '',
    stderr: '',
    restore: () => spies.forEach((spy) => spy.mockRestore()),
  };
  return captured;
}
