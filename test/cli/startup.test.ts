/**
 * What the commands that need no peer load at start-up. `--help`, `--version` and `hash` must
 * not load the handshake, the group, the secure channel or the relay's pairing logic: main.ts imports each command's
 * module only when it runs, and takes its option defaults from modules that load nothing more.
 * Runs the real bin/sealdrop (built by `npm test`) and reads Node's ESM loader trace.
 */
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { SEALDROP_BIN } from '../support/cli.js';

/** The dist/ modules one run of `sealdrop ...args` loads, as paths relative to dist/. */
function modulesLoadedBy(args: readonly string[]): string[] {
  const run = spawnSync(process.execPath, [SEALDROP_BIN, ...args], { env: { ...process.env, NODE_DEBUG: 'esm' }, encoding: 'utf8' });
  expect(run.status, run.stderr).toBe(0);
  return [...new Set([...run.stderr.matchAll(/\/dist\/([\w/.-]+\.js)/g)].map((match) => match[1]!))].sort();
}

const HANDSHAKE_AND_CHANNEL = /^(protocol\/(handshake|key-schedule|frames|records)|crypto\/|channel\/(secure-connection|connect)|session\/|relay\/(relay|splice|nameplates))/;

describe('start-up of the commands that need no peer', () => {
  it.each([[['--help']], [['--version']], [['hash', SEALDROP_BIN]], [['relay', '--help']]])('sealdrop %j loads nothing of the handshake, the group or the channel', (args) => {
    const loaded = modulesLoadedBy(args);
    expect(loaded).toContain('cli/main.js'); // the trace works, so an empty match below means something
    expect(loaded.filter((module) => HANDSHAKE_AND_CHANNEL.test(module))).toEqual([]);
  });
});
