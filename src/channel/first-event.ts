/**
 * Waits for whichever of several events an emitter fires first, and removes every listener it
 * added. Plain listeners, not events.once with an AbortSignal: this runs once per record on the
 * data path, and each AbortController costs a DOMException when aborted, which showed in the
 * sender's CPU profile.
 */
import type { EventEmitter } from 'node:events';

/** The event that came first; with `timeoutMs`, 'timeout' if none came within that time. */
export function firstEvent(emitter: EventEmitter, events: readonly string[], timeoutMs?: number): Promise<string> {
  return new Promise((resolve) => {
    let timer: NodeJS.Timeout | undefined;
    const settle = (outcome: string) => {
      clearTimeout(timer);
      for (const [name, added] of listeners) emitter.off(name, added);
      resolve(outcome);
    };
    const listeners = events.map((event) => {
      const listener = () => settle(event);
      emitter.on(event, listener);
      return [event, listener] as const;
    });
    if (timeoutMs !== undefined) timer = setTimeout(() => settle('timeout'), timeoutMs);
  });
}
