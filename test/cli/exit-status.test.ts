/** The exit statuses of README.md's table: every error code, and a code the table does not know. */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { EXIT_INTERRUPTED, EXIT_OK, exitStatusFor } from '../../src/cli/exit-status.js';
import { LOCAL_ERROR_CODES, WIRE_ERROR_CODES, type ErrorCode } from '../../src/errors.js';

const ALL_CODES: readonly ErrorCode[] = [...WIRE_ERROR_CODES, ...LOCAL_ERROR_CODES];

/** README.md's "Exit statuses" table, as code → status. */
function documentedStatuses(): Map<string, number> {
  const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
  const section = readme.slice(readme.indexOf('### Exit statuses'));
  const table = section.slice(0, section.indexOf('\n\n', section.indexOf('| ---')));
  const statuses = new Map<string, number>();
  for (const [, status, codes] of table.matchAll(/^\| (\d+) \| ([^|]*) \|/gm)) {
    for (const [code] of codes!.matchAll(/E_[A-Z_]+/g)) statuses.set(code, Number(status));
  }
  return statuses;
}

describe('exit statuses', () => {
  const documented = documentedStatuses();

  it('README.md documents every error code, and nothing else', () => {
    expect([...documented.keys()].sort()).toEqual([...ALL_CODES].sort());
  });

  it.each(ALL_CODES)('%s exits with the status README.md documents, never 0', (code) => {
    expect(exitStatusFor(code)).toBe(documented.get(code));
    expect(exitStatusFor(code)).not.toBe(EXIT_OK);
  });

  it('Ctrl-C (E_INTERRUPTED) is 130, as a shell reports SIGINT', () => {
    expect(EXIT_INTERRUPTED).toBe(130);
    expect(exitStatusFor('E_INTERRUPTED')).toBe(130);
  });

  it('a code missing from the table fails like E_INTERNAL instead of exiting 0', () => {
    expect(exitStatusFor('E_FROM_A_NEWER_VERSION' as ErrorCode)).toBe(exitStatusFor('E_INTERNAL'));
    expect(exitStatusFor('toString' as ErrorCode)).toBe(exitStatusFor('E_INTERNAL'));
  });
});
