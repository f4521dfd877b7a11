/**
 * Transfers between two real processes on 127.0.0.1: sealdrop's CLI (bin/sealdrop receive and
 * send) and, as the I/O ceiling, raw-copy.mjs. Each is timed from the spawn of the sender (the
 * receiver is already listening) until both processes have exited, so both include one Node
 * start-up, and each copy is checked against the source's SHA-256 afterwards (not timed).
 */
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { fileURLToPath } from 'node:url';
import { READ_CHUNK_BYTES } from '../../dist/files/local-source.js';
import { verifyCopy, verifyTree } from './files.mjs';
import { NodeProcess, disturbanceMeter } from './processes.mjs';

/** The bench stays on the loopback interface; no other address is ever used. */
const HOST = '127.0.0.1';
const REPO = fileURLToPath(new URL('../../', import.meta.url));
const SEALDROP = path.join(REPO, 'bin', 'sealdrop');
const RAW_COPY = fileURLToPath(new URL('./raw-copy.mjs', import.meta.url));

/** Both receivers print the address to send to, `--to 127.0.0.1:PORT`, once they listen (sealdrop even with --quiet). */
const LISTENING_LINE = /--to 127\.0\.0\.1:(\d+)/;
const LISTENING_TIMEOUT_MS = 30_000;

/** A transfer that takes longer than this has hung: one minute plus the size at 10 MB/s. */
const deadlineMs = (bytes) => 60_000 + bytes / 10_000;

function withDeadline(promise, ms, what) {
  let timer;
  const deadline = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not finish within ${Math.round(ms / 1000)} s`)), ms);
  });
  return Promise.race([promise, deadline]).finally(() => clearTimeout(timer));
}

/**
 * Starts the receiver, waits until it listens (its stderr matches `readyLine`), starts the sender
 * (`senderArgs` and `senderEnv` get the line's first group: a port, or a relay's code), waits for
 * both (and for `connect(sender, receiver)`, which feeds and drains their pipes, if given).
 * Returns { seconds, send, receive, disturbance } (send and receive as from
 * NodeProcess.finished(), disturbance as from disturbanceMeter); on failure kills both.
 */
async function timedTransfer({ label, receiverArgs, senderArgs, env, senderEnv = () => env, readyLine = LISTENING_LINE, scratchDir, bytes, connect }) {
  const spawnOptions = { env, cwd: REPO, scratchDir, pipes: connect !== undefined };
  const disturbance = disturbanceMeter();
  const receiver = new NodeProcess(`${label} receiver`, receiverArgs, spawnOptions);
  let sender = null;
  try {
    const [, ready] = await receiver.waitForStderr(readyLine, LISTENING_TIMEOUT_MS);
    sender = new NodeProcess(`${label} sender`, senderArgs(ready), { ...spawnOptions, env: senderEnv(ready) });
    const [send, receive] = await withDeadline(Promise.all([sender.finished(), receiver.finished(), connect?.(sender, receiver)]), deadlineMs(bytes), label);
    const lastExitNs = send.exitNs > receive.exitNs ? send.exitNs : receive.exitNs;
    return { seconds: Number(lastExitNs - sender.startNs) / 1e9, send, receive, disturbance: disturbance() };
  } catch (error) {
    receiver.kill();
    sender?.kill();
    throw error;
  }
}

/** A fresh code per transfer, passed the way the CLI recommends: in SEALDROP_CODE, not argv. */
const benchCode = () => `bench-${randomBytes(8).toString('hex')}`;

/**
 * The host's code through a relay: the nameplate in front of the secret given (section 9), which
 * the receiver prints even with --quiet; the sender is given all of it.
 */
const RELAY_CODE_LINE = /^Code: (\S+)$/m;

/**
 * How the two meet: directly (`receive --port 0`, `send --to`), or through the relay at `relay`
 * (HOST:PORT: `receive --relay`, `send --relay`, the code the receiver prints in SEALDROP_CODE).
 */
function meeting(relay) {
  const env = { ...process.env, SEALDROP_CODE: benchCode() };
  if (relay === undefined) {
    return { label: 'sealdrop', env, receiverArgs: ['--host', HOST, '--port', '0'], senderArgs: (port) => ['--to', `${HOST}:${port}`] };
  }
  return {
    label: 'sealdrop through the relay',
    env,
    readyLine: RELAY_CODE_LINE,
    receiverArgs: ['--relay', relay],
    senderArgs: () => ['--relay', relay],
    senderEnv: (code) => ({ ...env, SEALDROP_CODE: code }),
  };
}

/**
 * `bin/sealdrop receive` and `bin/sealdrop send SOURCE`, directly or through the relay at `relay`;
 * then `verify(copy)`, the received copy's path.
 */
async function sealdropTransferVerified(source, { scratchDir, bytes, relay }, verify) {
  const outDir = await mkdtemp(path.join(scratchDir, 'sealdrop-received-'));
  try {
    const route = meeting(relay);
    const result = await timedTransfer({
      ...route,
      receiverArgs: [SEALDROP, 'receive', ...route.receiverArgs, '--yes', '--quiet', '--out', outDir],
      senderArgs: (ready) => [SEALDROP, 'send', source, ...route.senderArgs(ready)],
      scratchDir,
      bytes,
    });
    await verify(path.join(outDir, path.basename(source)));
    return result;
  } finally {
    await rm(outDir, { recursive: true, force: true });
  }
}

/** sealdrop with one file, its copy checked against the source's SHA-256; with `options.relay` (HOST:PORT) through that relay. */
export function sealdropTransfer(source, sourceSha256, options) {
  return sealdropTransferVerified(source, options, (copy) => verifyCopy(copy, sourceSha256, options.relay === undefined ? 'sealdrop' : 'sealdrop through the relay'));
}

/** sealdrop with a directory of files (`tree` from makeRandomTree), every copy checked. */
export function sealdropTreeTransfer(sourceDirectory, tree, options) {
  return sealdropTransferVerified(sourceDirectory, options, (copy) => verifyTree(copy, tree, 'sealdrop'));
}

/**
 * The first `bytes` of `source` through pipes: into `sealdrop send -` on its stdin, out of
 * `sealdrop receive --stdout`, hashed as they come out and checked against `sourceSha256` (the
 * SHA-256 of those bytes). The bench only moves bytes between the pipes and the file.
 */
export async function sealdropPipeTransfer(source, sourceSha256, { scratchDir, bytes }) {
  let receivedSha256 = null;
  const result = await timedTransfer({
    label: 'sealdrop pipe',
    receiverArgs: [SEALDROP, 'receive', '--host', HOST, '--port', '0', '--yes', '--quiet', '--stdout'],
    senderArgs: (port) => [SEALDROP, 'send', '-', '--to', `${HOST}:${port}`],
    env: { ...process.env, SEALDROP_CODE: benchCode() },
    scratchDir,
    bytes,
    connect: async (sender, receiver) => {
      const hash = createHash('sha256');
      const drain = async () => {
        for await (const chunk of receiver.stdout) hash.update(chunk);
      };
      await Promise.all([pipeline(createReadStream(source, { end: bytes - 1 }), sender.stdin), drain()]);
      receivedSha256 = hash.digest('hex');
    },
  });
  if (receivedSha256 !== sourceSha256) throw new Error(`sealdrop pipe: the output's SHA-256 ${receivedSha256} is not the input's ${sourceSha256}`);
  return result;
}

/** raw-copy.mjs receive and send: the same file over plain TCP, verified the same way. */
export async function rawTransfer(source, sourceSha256, { scratchDir, bytes }) {
  const outFile = path.join(scratchDir, 'raw-received.bin');
  try {
    const result = await timedTransfer({
      label: 'raw copy',
      receiverArgs: [RAW_COPY, 'receive', outFile],
      senderArgs: (port) => [RAW_COPY, 'send', source, port, String(READ_CHUNK_BYTES)],
      env: process.env,
      scratchDir,
      bytes,
    });
    await verifyCopy(outFile, sourceSha256, 'raw copy');
    return result;
  } finally {
    await rm(outFile, { force: true });
  }
}

/** Wall seconds of `node bin/sealdrop --version`: Node's start-up plus loading the CLI's modules. */
export async function sealdropStartupSeconds({ scratchDir }) {
  const run = new NodeProcess('sealdrop --version', [SEALDROP, '--version'], { cwd: REPO, scratchDir });
  return (await run.finished()).wallSeconds;
}

/** Wall seconds of `node -e ''`: Node's own start-up, before any module of ours. */
export async function bareNodeStartupSeconds({ scratchDir }) {
  const run = new NodeProcess("node -e ''", ['-e', ''], { cwd: REPO, scratchDir });
  return (await run.finished()).wallSeconds;
}
