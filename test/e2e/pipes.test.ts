/**
 * Section 11 end to end, through real pipes and the real bin/sealdrop on 127.0.0.1: `send -`
 * reads standard input as a stream, `receive --stdout` writes it out as it is authenticated, and
 * a pipeline with `set -o pipefail` can rely on the exit statuses.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, statSync, writeFileSync, existsSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect } from 'vitest';
import { LOOPBACK, SEALDROP_BIN } from '../support/cli.js';
import { e2e, E2E_TIMEOUT_MS } from '../support/e2e.js';
import { sha256OfLargeFile } from '../support/files.js';
import { closedPort } from '../support/ports.js';

const CODE = '7-crossover-clockwork-abacus-zebra';
const WAIT_MS = 15_000;
const PIPE_BYTES = 200 * 1024 * 1024;

interface Shell {
  readonly child: ChildProcess;
  readonly done: Promise<{ code: number | null; stderr: string }>;
}

const shells: ChildProcess[] = [];
afterEach(() => {
  for (const child of shells.splice(0)) if (child.exitCode === null && child.signalCode === null) process.kill(-child.pid!, 'SIGKILL');
});

/** A bash pipeline with pipefail, in its own process group (so a test can kill all of it), with the code in SEALDROP_CODE. */
function shell(script: string): Shell {
  const child = spawn('bash', ['-c', `set -o pipefail; umask 022; ${script}`], { env: { ...process.env, SEALDROP_CODE: CODE }, detached: true, stdio: ['ignore', 'ignore', 'pipe'] });
  shells.push(child);
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const done = new Promise<{ code: number | null; stderr: string }>((resolve) => child.on('close', (code) => resolve({ code, stderr })));
  return { child, done };
}

async function waitFor(check: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + WAIT_MS;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** Starts a receiver (its stderr to `errFile`, stdout through `into`), and waits until it listens. */
async function receiver(port: number, options: string, into: string, errFile: string): Promise<Shell> {
  const receiving = shell(`'${SEALDROP_BIN}' receive --host ${LOOPBACK} --port ${port} --yes ${options} 2>'${errFile}' ${into}`);
  await waitFor(() => existsSync(errFile) && readFileSync(errFile, 'utf8').includes(`--to ${LOOPBACK}:${port}`), 'the receiver to listen');
  return receiving;
}

function tree(root: string): Record<string, string> {
  const files: Record<string, string> = {};
  for (const name of readdirSync(root, { recursive: true, encoding: 'utf8' })) {
    const full = path.join(root, name);
    if (statSync(full).isFile()) files[name] = readFileSync(full).toString('base64');
  }
  return files;
}

describe('pipes (section 11)', () => {
  e2e('tar c | send - ... receive --stdout | tar x: the tree arrives byte for byte', async ({ sd }) => {
    const { root, src, out } = sd.ws;
    mkdirSync(path.join(src, 'd/e'), { recursive: true });
    writeFileSync(path.join(src, 'a.txt'), 'hello\n');
    writeFileSync(path.join(src, 'd/e/b.bin'), randomBytes(700_000));
    const port = await closedPort();
    const receiving = await receiver(port, '--stdout', `| tar x -C '${out}'`, path.join(root, 'recv.err'));
    const sending = shell(`tar c -C '${src}' . | '${SEALDROP_BIN}' send - --name backup.tar --to ${LOOPBACK}:${port}`);
    expect((await sending.done).code).toBe(0);
    expect((await receiving.done).code).toBe(0);
    expect(tree(out)).toEqual(tree(src));
    expect(readFileSync(path.join(root, 'recv.err'), 'utf8')).toMatch(/Incoming stream: backup\.tar[\s\S]*[0-9a-f]{64} {2}backup\.tar/);
  });

  // Issue 14: 200 MiB through the pipes, checked by hash at both ends so that the test never holds
  // them in memory (the bench measures that both sides' peak RSS stays that of 2 MiB).
  e2e('200 MiB of random bytes through a pipe arrive unchanged', { timeout: 2 * E2E_TIMEOUT_MS }, async ({ sd }) => {
    const { root } = sd.ws;
    const input = path.join(root, 'in.bin');
    const port = await closedPort();
    const receiving = await receiver(port, '--stdout', `| sha256sum > '${root}/out.sha'`, path.join(root, 'recv.err'));
    const sending = shell(`head -c ${PIPE_BYTES} /dev/urandom | tee '${input}' | '${SEALDROP_BIN}' send - --to ${LOOPBACK}:${port}`);
    expect((await sending.done).code).toBe(0);
    expect((await receiving.done).code).toBe(0);
    expect(statSync(input).size).toBe(PIPE_BYTES);
    expect(readFileSync(path.join(root, 'out.sha'), 'utf8').split(' ')[0]).toBe(await sha256OfLargeFile(input));
  });

  e2e('a sender killed half way: the receiver ends non-zero at once, its output shorter', async ({ sd }) => {
    const { root } = sd.ws;
    const port = await closedPort();
    const output = path.join(root, 'out.bin');
    const receiving = await receiver(port, '--stdout', `> '${output}'`, path.join(root, 'recv.err'));
    // A megabyte, then a producer that stalls: the sender has sent part of what it would.
    const sending = shell(`(head -c 1048576 /dev/urandom; sleep 60; head -c 1048576 /dev/urandom) | '${SEALDROP_BIN}' send - --to ${LOOPBACK}:${port}`);
    await waitFor(() => existsSync(output) && statSync(output).size === 1048576, 'the first megabyte to come out');
    process.kill(-sending.child.pid!, 'SIGKILL');
    const { code } = await receiving.done; // it does not wait for another attempt
    expect(code).not.toBe(0);
    expect(statSync(output).size).toBe(1048576);
    expect(readFileSync(path.join(root, 'recv.err'), 'utf8')).toMatch(/incomplete/);
  });

  e2e('without --stdout a stream is saved as a file under its name: mode 0o666 less the umask, mtime its arrival', async ({ sd }) => {
    const { root, out } = sd.ws;
    const data = randomBytes(300_000);
    writeFileSync(path.join(root, 'in.bin'), data);
    const port = await closedPort();
    const receiving = await receiver(port, `--out '${out}'`, '', path.join(root, 'recv.err'));
    const before = Date.now();
    const sending = shell(`cat '${root}/in.bin' | '${SEALDROP_BIN}' send - --name data.bin --to ${LOOPBACK}:${port}`);
    expect((await sending.done).code).toBe(0);
    expect((await receiving.done).code).toBe(0);
    expect(readdirSync(out)).toEqual(['data.bin']);
    const saved = statSync(path.join(out, 'data.bin'));
    expect(readFileSync(path.join(out, 'data.bin')).equals(data)).toBe(true);
    expect(saved.mode & 0o777).toBe(0o644);
    expect(saved.mtimeMs).toBeGreaterThanOrEqual(before - 1000);
  });

  e2e('a stream saved as a file that broke off: its part is discarded, and the warning says so', async ({ sd }) => {
    const { root, out } = sd.ws;
    const errFile = path.join(root, 'recv.err');
    const port = await closedPort();
    const receiving = await receiver(port, `--out '${out}'`, '', errFile);
    const sending = shell(`(head -c 1048576 /dev/urandom; sleep 60) | '${SEALDROP_BIN}' send - --name data.bin --to ${LOOPBACK}:${port}`);
    const part = () => readdirSync(out).find((name) => name.endsWith('.part'));
    await waitFor(() => part() !== undefined && statSync(path.join(out, part()!)).size === 1048576, 'the first megabyte in the part file');
    process.kill(-sending.child.pid!, 'SIGKILL');
    await waitFor(() => readFileSync(errFile, 'utf8').includes('Waiting for the sender to try again'), 'the broke-off warning');
    expect(readFileSync(errFile, 'utf8')).toMatch(/the transfer broke off \(E_[A-Z_]+: .*\); nothing is under its final name, the stream cannot resume, so its part is discarded\./);
    expect(readFileSync(errFile, 'utf8')).not.toMatch(/partial files are kept/);
    expect(readdirSync(out)).toEqual([]);
    process.kill(-receiving.child.pid!, 'SIGINT');
    await receiving.done;
  });

  e2e('a stream under a name that exists is refused (E_EXISTS), the file untouched', async ({ sd }) => {
    const { root, out } = sd.ws;
    writeFileSync(path.join(out, 'data.bin'), 'mine');
    const port = await closedPort();
    const receiving = await receiver(port, `--out '${out}'`, '', path.join(root, 'recv.err'));
    const sending = shell(`echo theirs | '${SEALDROP_BIN}' send - --name data.bin --to ${LOOPBACK}:${port}`);
    expect((await sending.done).code).not.toBe(0);
    process.kill(-receiving.child.pid!, 'SIGINT'); // the code stays valid for a corrected offer: stop waiting
    await receiving.done;
    expect(readFileSync(path.join(out, 'data.bin'), 'utf8')).toBe('mine');
    expect(readFileSync(path.join(root, 'recv.err'), 'utf8')).toMatch(/E_EXISTS/);
  });

  e2e('receive --stdout declines an offer of several files, saying why', async ({ sd }) => {
    const { root, src } = sd.ws;
    writeFileSync(path.join(src, 'a'), 'a');
    writeFileSync(path.join(src, 'b'), 'b');
    const port = await closedPort();
    const receiving = await receiver(port, '--stdout', `> '${root}/out.bin'`, path.join(root, 'recv.err'));
    const sending = shell(`'${SEALDROP_BIN}' send '${src}/a' '${src}/b' --to ${LOOPBACK}:${port}`);
    expect((await sending.done).code).toBe(4);
    expect((await receiving.done).code).toBe(4);
    expect(readFileSync(path.join(root, 'recv.err'), 'utf8')).toContain('--stdout takes a stream or a single file');
    expect(readFileSync(path.join(root, 'out.bin')).length).toBe(0);
  });

  e2e('receive --stdout writes a single offered file to standard output, the hash line on stderr', async ({ sd }) => {
    const { root, src } = sd.ws;
    const data = randomBytes(200_000);
    writeFileSync(path.join(src, 'one.bin'), data);
    const port = await closedPort();
    const receiving = await receiver(port, '--stdout', `> '${root}/out.bin'`, path.join(root, 'recv.err'));
    const sending = shell(`'${SEALDROP_BIN}' send '${src}/one.bin' --to ${LOOPBACK}:${port}`);
    expect((await sending.done).code).toBe(0);
    expect((await receiving.done).code).toBe(0);
    expect(readFileSync(path.join(root, 'out.bin')).equals(data)).toBe(true);
    expect(readFileSync(path.join(root, 'recv.err'), 'utf8')).toMatch(/[0-9a-f]{64} {2}one\.bin/);
  });

  e2e('a stream with a hidden name is not saved without --merge (section 6 step 2)', async ({ sd }) => {
    const { root, out } = sd.ws;
    const port = await closedPort();
    const receiving = await receiver(port, `--out '${out}'`, '', path.join(root, 'recv.err'));
    const sending = shell(`echo 'ssh-ed25519 AAAA' | '${SEALDROP_BIN}' send - --name .bashrc --to ${LOOPBACK}:${port}`);
    expect((await sending.done).code).not.toBe(0);
    process.kill(-receiving.child.pid!, 'SIGINT'); // the code stays valid for a corrected offer: stop waiting
    await receiving.done;
    expect(readdirSync(out)).toEqual([]);
    expect(readFileSync(path.join(root, 'recv.err'), 'utf8')).toMatch(/E_BAD_PATH.*hidden/);
  });
});
