/** Where each kind of line goes under --quiet and --json (src/cli/output.ts); nothing is animated off a terminal. */
import { describe, expect, it } from 'vitest';
import { Output } from '../../src/cli/output.js';
import { stdioOfEachTest } from '../support/stdio.js';

const stdio = stdioOfEachTest();

const PROGRESS_EVENT = '{"event":"progress","index":0,"path":"a.txt","fileSize":2,"doneBytes":1,"totalBytes":2}';

async function printEveryKind(options: { quiet: boolean; json: boolean }): Promise<void> {
  const output = await Output.create(options);
  output.info('a note');
  output.essential('Code: 7-a-b-c');
  output.warn('careful');
  output.spin('spinning');
  output.progress({ index: 0, path: 'a.txt', fileBytes: 1, fileSize: 2, doneBytes: 1, totalBytes: 2 });
  output.result('abc  a.txt');
  output.jsonResult({ ok: true, kind: 'text', text: 'hi' });
  output.finish();
}

describe('Output', () => {
  it.each([
    [{ quiet: false, json: false }, 'abc  a.txt\n', 'a note\nCode: 7-a-b-c\nsealdrop: warning: careful\n'],
    [{ quiet: true, json: false }, 'abc  a.txt\n', 'Code: 7-a-b-c\nsealdrop: warning: careful\n'],
    [{ quiet: false, json: true }, `${PROGRESS_EVENT}\n{"ok":true,"kind":"text","text":"hi"}\n`, 'Code: 7-a-b-c\nsealdrop: warning: careful\n'],
    [{ quiet: true, json: true }, `${PROGRESS_EVENT}\n{"ok":true,"kind":"text","text":"hi"}\n`, 'Code: 7-a-b-c\nsealdrop: warning: careful\n'],
  ])('%j: stdout holds the result (after its events with --json); stderr what the person needs', async (options, stdout, stderr) => {
    await printEveryKind(options);
    expect(stdio.stdout).toBe(stdout);
    expect(stdio.stderr).toBe(stderr);
  });

  it('writes the --json object on one line, with controls and bidi marks escaped', async () => {
    const output = await Output.create({ quiet: false, json: true });
    const text = 'a\nb \u202e\u0007';
    output.jsonResult({ ok: true, kind: 'text', text });
    expect(stdio.stdout.split('\n')).toEqual([expect.any(String), '']);
    expect(stdio.stdout).not.toMatch(/[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u202a-\u202e]/u);
    expect(JSON.parse(stdio.stdout)).toEqual({ ok: true, kind: 'text', text });
  });

  it('writes each --json event on its own line, escaped as the result is, and nothing without --json', async () => {
    const name = 'evil\u202etxt.exe\u009b';
    (await Output.create({ quiet: false, json: false })).event('offer', { name });
    expect(stdio.stdout).toBe('');
    const output = await Output.create({ quiet: false, json: true });
    output.event('offer', { name });
    output.event('accepted');
    expect(stdio.stdout).toBe('{"event":"offer","name":"evil\\u202etxt.exe\\u009b"}\n{"event":"accepted"}\n');
    expect(JSON.parse(stdio.stdout.split('\n')[0]!)).toEqual({ event: 'offer', name });
  });
});
