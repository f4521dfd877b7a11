/**
 * Reads what a command printed on stdout with --json: one JSON object a line, every line but the
 * last an event (`{"event": NAME, ...}`) and the last the result (`{"ok": ...}`, no `event`).
 * Throws, showing stdout, if it is not that.
 */
export interface JsonLines {
  readonly events: ReadonlyArray<Record<string, unknown> & { event: string }>;
  readonly result: Record<string, unknown>;
}

export function parseJsonLines(stdout: string): JsonLines {
  const fail = (why: string): never => {
    throw new Error(`--json stdout: ${why}\n--- stdout ---\n${stdout}`);
  };
  if (!stdout.endsWith('\n')) fail('does not end with a line feed');
  const objects = stdout
    .slice(0, -1)
    .split('\n')
    .map((line, i) => {
      try {
        return JSON.parse(line) as Record<string, unknown>;
      } catch {
        return fail(`line ${i + 1} is not JSON`);
      }
    });
  const result = objects.pop()!;
  if ('event' in result || typeof result.ok !== 'boolean') fail('the last line is not a result');
  for (const [i, object] of objects.entries()) if (typeof object.event !== 'string') fail(`line ${i + 1} is not an event`);
  return { events: objects as unknown as JsonLines['events'], result };
}
