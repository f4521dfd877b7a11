/**
 * Help a person can act on, and shell completion (issue 14): each command's --help ends with
 * examples of its common uses; `sealdrop completion` prints a bash (or zsh) script whose callback,
 * `sealdrop --get-yargs-completions`, lists the commands and a command's options.
 * Runs the real bin/sealdrop (built by `npm test`).
 */
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { SEALDROP_BIN } from '../support/cli.js';

function sealdrop(args: readonly string[], env: NodeJS.ProcessEnv = {}): string {
  const run = spawnSync(process.execPath, [SEALDROP_BIN, ...args], { env: { ...process.env, ...env }, encoding: 'utf8' });
  expect(run.status, run.stderr).toBe(0);
  return run.stdout;
}

describe('--help of each command', () => {
  it.each([['receive'], ['send'], ['chat'], ['hash']])('sealdrop %s --help ends with two or three examples of that command', (command) => {
    const help = sealdrop([command, '--help']);
    const examples = help.slice(help.lastIndexOf('\nExamples:\n'));
    expect(examples, help).not.toBe(help); // there is an Examples section
    const lines = examples.trimEnd().split('\n').slice(2); // after the blank line and the heading
    const starts = lines.filter((line) => /^ {2}\S/.test(line));
    expect(starts.length, examples).toBeGreaterThanOrEqual(2);
    expect(starts.length, examples).toBeLessThanOrEqual(3);
    // Each is a command line of this command (an environment variable may come first), and
    // every other line continues a description: nothing follows the examples.
    for (const line of starts) expect(line).toMatch(new RegExp(`^ {2}([A-Z_]+=\\S+ )?sealdrop ${command} `));
    for (const line of lines) expect(line).toMatch(/^ {2}\S| {20}\S/);
  });
});

describe('sealdrop completion', () => {
  const COMMANDS = ['receive', 'send', 'chat', 'relay', 'hash', 'completion'];

  it('prints a bash completion script that asks sealdrop for the words', () => {
    const script = sealdrop(['completion'], { SHELL: '/bin/bash' });
    expect(script).toContain('complete -o bashdefault -o default -F _sealdrop_yargs_completions sealdrop');
    expect(script).toContain('sealdrop --get-yargs-completions');
  });

  it('prints a zsh script under zsh', () => {
    const script = sealdrop(['completion'], { SHELL: '/usr/bin/zsh' });
    expect(script).toMatch(/^#compdef sealdrop$/m);
    expect(script).toContain('sealdrop --get-yargs-completions');
  });

  it('its callback lists the commands, and a command\'s options', () => {
    expect(sealdrop(['--get-yargs-completions', 'sealdrop', '']).trim().split('\n')).toEqual(COMMANDS);
    const sendOptions = sealdrop(['--get-yargs-completions', 'sealdrop', 'send', '--']).trim().split('\n');
    expect(sendOptions).toEqual(expect.arrayContaining(['--to', '--code', '--text', '--json']));
    const hashOptions = sealdrop(['--get-yargs-completions', 'sealdrop', 'hash', '--']).trim().split('\n');
    expect(hashOptions).toContain('--check');
  });
});
