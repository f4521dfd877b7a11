/** How a failed command ends: the stderr line, the --json object and the exit status (src/cli/failure-report.ts). */
import { describe, expect, it } from 'vitest';
import { reportFailure } from '../../src/cli/failure-report.js';
import { Output } from '../../src/cli/output.js';
import { SealdropError } from '../../src/errors.js';
import { stdioOfEachTest } from '../support/stdio.js';

const stdio = stdioOfEachTest();

describe('reportFailure', () => {
  it('prints one line on stderr, nothing on stdout, and returns the status of the code', () => {
    expect(reportFailure(new SealdropError('E_EXISTS', 'a.txt already exists (use --overwrite to replace it)'), Output.plain(false))).toBe(5);
    expect(stdio.stderr).toBe('sealdrop: E_EXISTS: a.txt already exists (use --overwrite to replace it)\n');
    expect(stdio.stdout).toBe('');
  });

  it('with --json also prints {"ok":false,"code","message"} on stdout', () => {
    expect(reportFailure(new SealdropError('E_DECLINED', 'the receiver declined: no thanks'), Output.plain(true))).toBe(4);
    expect(stdio.stdout).toBe('{"ok":false,"code":"E_DECLINED","message":"the receiver declined: no thanks"}\n');
    expect(stdio.stderr).toBe('sealdrop: E_DECLINED: the receiver declined: no thanks\n');
  });

  it('reports anything else thrown as E_INTERNAL, exit 1', () => {
    expect(reportFailure(new TypeError('x is not a function'), Output.plain(true))).toBe(1);
    expect(stdio.stderr).toBe('sealdrop: E_INTERNAL: x is not a function\n');
    expect(JSON.parse(stdio.stdout)).toEqual({ ok: false, code: 'E_INTERNAL', message: 'x is not a function' });
  });

  it('Ctrl-C ends with 130', () => {
    expect(reportFailure(new SealdropError('E_INTERRUPTED', 'interrupted (SIGINT); nothing was kept under a final name'), Output.plain(false))).toBe(130);
  });

  it('lets no terminal control through, on either stream, and the JSON still holds the exact message', () => {
    const message = 'peer said \x1b[2J\u202egnp.exe\u009b';
    reportFailure(new SealdropError('E_PEER', message), Output.plain(true));
    expect(stdio.stderr).not.toMatch(/[\x00-\x09\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]/u);
    expect(stdio.stdout).not.toMatch(/[\x00-\x09\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]/u);
    expect(JSON.parse(stdio.stdout)).toEqual({ ok: false, code: 'E_PEER', message });
  });
});
