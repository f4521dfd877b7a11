/**
 * `npm run bench [-- --size 1G] [--runs 3] [--dir DIR] [--json]`: how fast sealdrop moves one
 * file between two processes on 127.0.0.1, next to the two ceilings it cannot beat, on one random
 * file in a temporary directory under DIR, by default os.tmpdir() (removed at the end, also on
 * failure or Ctrl-C). A directory on tmpfs (/dev/shm) takes the disk's writeback out of both
 * transfers, which on a VM is the largest source of noise:
 *
 *   limit     AES-256-GCM sealing and SHA-256 in one process (the crypto ceiling of one core);
 *   raw       a plain TCP copy between two Node processes, no crypto (the I/O ceiling);
 *   sealdrop  the real CLI, `receive` and `send`, with the copy's SHA-256 checked.
 *
 * Then the same bytes through pipes, `send -` into `receive --stdout` (section 11), at 2 MiB and
 * at the full size: each side's peak RSS must be the same for both (issue 14). Then the same file
 * directly and through one `sealdrop relay` (section 9), in turn: the ratio of their throughputs
 * and the relay's CPU time and peak RSS (issue 12).
 *
 * Then the fixed costs: the wall time of sending an empty and a 1-byte file beyond Node's
 * start-up, a directory of many small files (--files of 4 KiB each), and the handshake's CPU
 * time in-process. Then the relay (section 9) under load: many pairs at once through one
 * `sealdrop relay`, and many idle posted connections (relay-load.mjs). `--only` picks some of
 * these sections. Notes go to stderr; the tables (or, with --json, the same results as JSON) to
 * stdout. Not part of `npm test`.
 */
import { execFileSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { mkdtemp, statfs, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { CRYPTO_LIMIT_SCRIPT, RESULT_LINE, limitEnvironment } from './crypto-limit.mjs';
import { makeRandomFile, makeRandomTree, sha256File } from './files.mjs';
import { measureHandshakes } from './handshake-cost.mjs';
import { measureHandshakeWall } from './handshake-wall.mjs';
import { NodeProcess, disturbanceMeter, killAllChildren, procUsage, usageMethod } from './processes.mjs';
import { RELAY_BENCH_OPTIONS, RELAY_NODE_OPTIONS, measureRelayPairs, measureRelayPosted, startRelay, stopRelay } from './relay-load.mjs';
import { formatSize, median, ratioBound, renderReport, throughput } from './report.mjs';
import { bareNodeStartupSeconds, rawTransfer, sealdropPipeTransfer, sealdropStartupSeconds, sealdropTransfer, sealdropTreeTransfer } from './transfers.mjs';

const DEFAULT_SIZE = '1G';
const DEFAULT_RUNS = 3;
const DEFAULT_FILES = 1000;
const MANY_FILES_BYTES_EACH = 4096;
const SMALL_FILE_RUNS = 9;
const HANDSHAKE_PAIRS = 20;
const HANDSHAKE_WALL_RUNS = 5;
/** Issue 14: a pipe's peak RSS for this many bytes is the yardstick for the bench's size. */
const SMALL_PIPE_BYTES = 2 * 1024 * 1024;
/** Issue 12: pairs at once through one relay, each moving RELAY_PAIR_BYTES; idle posted connections. */
const DEFAULT_RELAY_PAIRS = 1000;
const RELAY_PAIR_BYTES = 1024 * 1024;
const DEFAULT_RELAY_POSTED = 10_000;
/** Child processes the relay's clients are spread over (each holds a share of the sockets). */
const RELAY_PAIR_WORKERS = 2;
const RELAY_POSTED_WORKERS = 4;
/** The parts of the bench, in the order they run; `--only` picks some. */
const SECTIONS = ['throughput', 'pipes', 'relayed', 'latency', 'many', 'relay'];
/** Sealing and hashing even 2 GiB takes seconds; ten minutes means the child hangs. */
const LIMIT_TIMEOUT_MS = 600_000;

const USAGE = `usage: npm run bench -- [--only SECTIONS] [--size SIZE] [--runs N] [--files N] [--dir DIR] [--relay-pairs N] [--relay-posted N] [--json]
  --only SECTIONS   comma-separated, of ${SECTIONS.join(', ')}; default all
                    (throughput: limit, raw and sealdrop; latency: small files and the handshake;
                    relayed: the same file directly and through one relay, in turn;
                    many: many small files; relay: pairs and posted connections through one relay)
  --size SIZE       size of the random file: bytes, or with a suffix K, M or G (1K = 1024); default ${DEFAULT_SIZE}
  --runs N          measurements of each throughput; default ${DEFAULT_RUNS}
  --files N         files of ${MANY_FILES_BYTES_EACH / 1024} KiB in the directory sent as many small files; default ${DEFAULT_FILES}
  --dir DIR         where the files go (a temporary directory inside it); default ${os.tmpdir()}
  --relay-pairs N   pairs at once through the relay, ${RELAY_PAIR_BYTES / 1024 / 1024} MiB each; default ${DEFAULT_RELAY_PAIRS}
  --relay-posted N  idle posted connections on the relay; default ${DEFAULT_RELAY_POSTED}
  --json            print the results as JSON instead of tables`;

const note = (message) => process.stderr.write(`bench: ${message}\n`);

/**
 * The commit measured, and whether the tree differs from it (read-only: --no-optional-locks
 * keeps git status from refreshing the index under someone else's feet).
 */
function sourceVersion() {
  const git = (...args) => execFileSync('git', ['--no-optional-locks', ...args], { cwd: fileURLToPath(new URL('../../', import.meta.url)), encoding: 'utf8' }).trim();
  try {
    const dirty = git('status', '--porcelain', '--untracked-files=no') !== '';
    return `${git('rev-parse', '--short', 'HEAD')}${dirty ? ' with uncommitted changes' : ''}`;
  } catch {
    return 'unknown (not a git checkout)';
  }
}

/** `256M` → 268435456. Accepts K, M, G (powers of 1024), optionally followed by B or iB. */
function parseSize(text) {
  const match = /^(\d+(?:\.\d+)?)\s*([kmg]?)(?:i?b)?$/i.exec(text.trim());
  if (!match) throw new Error(`--size must be a number of bytes, optionally with K, M or G (like 256M), got "${text}"`);
  const scale = { '': 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3 }[match[2].toLowerCase()];
  const bytes = Math.round(Number(match[1]) * scale);
  if (bytes < 1) throw new Error('--size must be at least 1 byte');
  return bytes;
}

function parseOptions(argv) {
  const { values } = parseArgs({
    args: argv,
    options: {
      size: { type: 'string', default: DEFAULT_SIZE },
      runs: { type: 'string', default: String(DEFAULT_RUNS) },
      files: { type: 'string', default: String(DEFAULT_FILES) },
      dir: { type: 'string', default: os.tmpdir() },
      only: { type: 'string', default: SECTIONS.join(',') },
      'relay-pairs': { type: 'string', default: String(DEFAULT_RELAY_PAIRS) },
      'relay-posted': { type: 'string', default: String(DEFAULT_RELAY_POSTED) },
      json: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  const wholeNumber = (name) => {
    const value = Number(values[name]);
    if (!Number.isInteger(value) || value < 1) throw new Error(`--${name} must be a whole number of at least 1, got "${values[name]}" (see --help)`);
    return value;
  };
  const only = new Set(values.only.split(',').map((name) => name.trim()));
  const unknown = [...only].filter((name) => !SECTIONS.includes(name));
  if (unknown.length > 0) throw new Error(`--only takes ${SECTIONS.join(', ')}, not ${unknown.join(', ')}`);
  return {
    bytes: parseSize(values.size),
    runs: wholeNumber('runs'),
    files: wholeNumber('files'),
    dir: values.dir,
    only,
    relayPairs: wholeNumber('relay-pairs'),
    relayPosted: wholeNumber('relay-posted'),
    json: values.json,
    help: values.help,
  };
}

/** Fails early, with a clear reason, instead of filling the disk halfway through. */
async function checkFreeSpace(directory, bytesNeeded) {
  const space = await statfs(directory);
  const free = space.bavail * space.bsize;
  if (free < bytesNeeded) throw new Error(`${directory} has ${formatSize(free)} free; the bench needs ${formatSize(bytesNeeded)} (the file and one copy)`);
}

/** One measurement of crypto-limit.mjs, in a fresh process with its allocator settings. */
async function cryptoLimitOnce(source, scratchDir) {
  const child = new NodeProcess('crypto limit', [CRYPTO_LIMIT_SCRIPT, source], { env: limitEnvironment(process.env), scratchDir });
  const [, json] = await child.waitForStderr(RESULT_LINE, LIMIT_TIMEOUT_MS);
  await child.finished();
  return JSON.parse(json);
}

async function measureLimit(source, bytes, runs, scratchDir) {
  const seal = [];
  const sha256 = [];
  const disturbance = [];
  for (let run = 1; run <= runs; run += 1) {
    const meter = disturbanceMeter();
    const { sealSeconds, sha256Seconds } = await cryptoLimitOnce(source, scratchDir);
    disturbance.push(meter());
    note(`limit, run ${run}/${runs}: seal ${sealSeconds.toFixed(3)} s, SHA-256 ${sha256Seconds.toFixed(3)} s`);
    seal.push(sealSeconds);
    sha256.push(sha256Seconds);
  }
  return {
    aesGcmSeal: { ...throughput(seal, bytes), disturbance },
    sha256: { ...throughput(sha256, bytes), disturbance },
    // The sender does both to every byte on its one JavaScript thread, as does the receiver.
    sealAndSha256: { ...throughput(seal.map((s, i) => s + sha256[i]), bytes), disturbance },
  };
}

/** Throughput of the transfers, the median CPU time and the highest peak RSS of each side. */
function transferSummary(results, bytes) {
  const known = (side, key) => results.map((r) => r[side][key]).filter((value) => value !== null);
  const medianOrNull = (values) => (values.length > 0 ? median(values) : null);
  const highestOrNull = (values) => (values.length > 0 ? Math.max(...values) : null);
  return {
    ...throughput(results.map((r) => r.seconds), bytes),
    disturbance: results.map((r) => r.disturbance),
    cpuSeconds: { send: medianOrNull(known('send', 'cpuSeconds')), receive: medianOrNull(known('receive', 'cpuSeconds')) },
    peakRssBytes: { send: highestOrNull(known('send', 'peakRssBytes')), receive: highestOrNull(known('receive', 'peakRssBytes')) },
  };
}

/** Raw and sealdrop alternate run by run, so that a drift of the machine affects both alike. */
async function measureTransfers(source, sourceSha256, bytes, runs, scratchDir) {
  const raw = [];
  const sealdrop = [];
  for (let run = 1; run <= runs; run += 1) {
    raw.push(await rawTransfer(source, sourceSha256, { scratchDir, bytes }));
    note(`raw copy, run ${run}/${runs}: ${raw.at(-1).seconds.toFixed(3)} s`);
    sealdrop.push(await sealdropTransfer(source, sourceSha256, { scratchDir, bytes }));
    note(`sealdrop, run ${run}/${runs}: ${sealdrop.at(-1).seconds.toFixed(3)} s, copy verified`);
  }
  return { raw: transferSummary(raw, bytes), sealdrop: transferSummary(sealdrop, bytes) };
}

/**
 * Issue 14: the file's first SMALL_PIPE_BYTES, then all of it, through `send -` and `receive
 * --stdout`, `runs` times each: the peak RSS of both sides must not grow with the length.
 */
async function measurePipes(source, sourceSha256, bytes, runs, scratchDir) {
  const sizes = [Math.min(SMALL_PIPE_BYTES, bytes), bytes];
  const measured = [];
  for (const size of sizes) {
    const sha256 = size === bytes ? sourceSha256 : await sha256File(source, size);
    const results = [];
    for (let run = 1; run <= runs; run += 1) {
      results.push(await sealdropPipeTransfer(source, sha256, { scratchDir, bytes: size }));
      note(`pipe, ${formatSize(size)}, run ${run}/${runs}: ${results.at(-1).seconds.toFixed(3)} s, output verified`);
    }
    measured.push({ bytes: size, ...transferSummary(results, size) });
  }
  return { small: measured[0], large: measured[1] };
}

/**
 * Issue 12: the file sent directly and through one `sealdrop relay` process (run as an operator
 * would run it: no option but the address, the README's NODE_OPTIONS), in turn run by run so that a drift of the
 * machine affects both alike. The relay's CPU time is read from /proc before and after each of
 * its transfers; its peak RSS (VmHWM) covers them all, since it serves nothing else.
 */
async function measureRelayed(source, sourceSha256, bytes, runs, scratchDir) {
  const { relay, port } = await startRelay(scratchDir, undefined, []);
  try {
    const options = { scratchDir, bytes, relay: `127.0.0.1:${port}` };
    const direct = [];
    const relayed = [];
    let relayCpuSeconds = 0;
    for (let run = 1; run <= runs; run += 1) {
      direct.push(await sealdropTransfer(source, sourceSha256, { scratchDir, bytes }));
      note(`relayed, run ${run}/${runs}: directly ${direct.at(-1).seconds.toFixed(3)} s, copy verified`);
      const before = procUsage(relay.pid).cpuSeconds;
      const result = await sealdropTransfer(source, sourceSha256, options);
      const cpuSeconds = procUsage(relay.pid).cpuSeconds - before;
      relayCpuSeconds += cpuSeconds;
      // The relay is the bench's own child, still running: its CPU time is no disturbance.
      const otherCpuSeconds = result.disturbance.otherCpuSeconds === null ? null : Math.max(0, result.disturbance.otherCpuSeconds - cpuSeconds);
      relayed.push({ ...result, disturbance: { ...result.disturbance, otherCpuSeconds } });
      note(`relayed, run ${run}/${runs}: through the relay ${relayed.at(-1).seconds.toFixed(3)} s, copy verified`);
    }
    const summary = { direct: transferSummary(direct, bytes), relayed: transferSummary(relayed, bytes) };
    return {
      ...summary,
      // As the issue puts it: throughput through the relay over direct, so 1 would be no cost at all.
      relayedToDirectThroughputRatio: summary.direct.medianSeconds / summary.relayed.medianSeconds,
      relayCpuSecondsPerGiB: relayCpuSeconds / ((runs * bytes) / 1024 ** 3),
      relayPeakRssBytes: procUsage(relay.pid).peakRssBytes,
      relayNodeOptions: RELAY_NODE_OPTIONS,
    };
  } finally {
    await stopRelay(relay).catch(() => relay.kill());
  }
}

/** Writes a small file and returns what a transfer of it needs: its path and SHA-256. */
async function smallFile(scratchDir, name, content) {
  const file = path.join(scratchDir, name);
  await writeFile(file, content);
  return { file, sha256: await sha256File(file) };
}

/**
 * Wall time of the `send` process for an empty and a 1-byte file, and what is left of it after
 * start-up, measured two ways: the CLI's (`sealdrop --version`: Node plus our modules, so what
 * remains is the transfer itself) and bare Node's (`node -e ''`: what remains includes loading
 * our modules). The four are taken in turn, round by round, so that a slow spell of the machine
 * weighs on all of them rather than on one.
 */
async function measureSmallFiles(scratchDir) {
  const options = { scratchDir, bytes: 1 };
  const empty = await smallFile(scratchDir, 'empty.bin', Buffer.alloc(0));
  const oneByte = await smallFile(scratchDir, 'one-byte.bin', Buffer.of(0x2a));
  const sendSeconds = async ({ file, sha256 }) => (await sealdropTransfer(file, sha256, options)).send.wallSeconds;

  await sealdropStartupSeconds(options); // unmeasured: loads the CLI's modules into the page cache
  const samples = { bareNode: [], startup: [], empty: [], oneByte: [] };
  for (let round = 1; round <= SMALL_FILE_RUNS; round += 1) {
    samples.bareNode.push(await bareNodeStartupSeconds(options));
    samples.startup.push(await sealdropStartupSeconds(options));
    samples.empty.push(await sendSeconds(empty));
    samples.oneByte.push(await sendSeconds(oneByte));
  }
  const nodeStartup = { medianSeconds: median(samples.startup), seconds: samples.startup };
  const bareNodeStartup = { medianSeconds: median(samples.bareNode), seconds: samples.bareNode };
  const beyondStartup = (seconds) => {
    const sendMedianSeconds = median(seconds);
    return {
      sendMedianSeconds,
      beyondStartupSeconds: sendMedianSeconds - nodeStartup.medianSeconds,
      beyondBareNodeSeconds: sendMedianSeconds - bareNodeStartup.medianSeconds,
      seconds,
    };
  };
  const result = { runs: SMALL_FILE_RUNS, bareNodeStartup, nodeStartup, emptyFile: beyondStartup(samples.empty), oneByteFile: beyondStartup(samples.oneByte) };
  const ms = (seconds) => `${(seconds * 1000).toFixed(1)} ms`;
  note(
    `small files: node -e '' ${ms(bareNodeStartup.medianSeconds)}, sealdrop --version ${ms(nodeStartup.medianSeconds)}, ` +
      `empty ${ms(result.emptyFile.sendMedianSeconds)}, 1 byte ${ms(result.oneByteFile.sendMedianSeconds)} (medians)`,
  );
  return result;
}

/** A directory of `count` small files, sent whole `runs` times: what each file costs. */
async function measureManyFiles(workDir, count, runs) {
  const directory = path.join(workDir, 'many-files');
  const tree = await makeRandomTree(directory, count, MANY_FILES_BYTES_EACH);
  const seconds = [];
  for (let run = 1; run <= runs; run += 1) {
    seconds.push((await sealdropTreeTransfer(directory, tree, { scratchDir: workDir, bytes: count * MANY_FILES_BYTES_EACH })).seconds);
    note(`many files, run ${run}/${runs}: ${count} files in ${seconds.at(-1).toFixed(3)} s, every copy verified`);
  }
  const medianSeconds = median(seconds);
  return { count, bytesEach: MANY_FILES_BYTES_EACH, medianSeconds, filesPerSecond: count / medianSeconds, seconds };
}

async function measureHandshakeCost(workDir) {
  const samples = await measureHandshakes(HANDSHAKE_PAIRS);
  const medianOf = (key) => median(samples.map((s) => s[key]));
  const wall = await measureHandshakeWall(HANDSHAKE_WALL_RUNS, workDir);
  return {
    pairs: HANDSHAKE_PAIRS,
    pairMs: medianOf('pairMs'),
    initiatorMs: medianOf('initiatorMs'),
    responderMs: medianOf('responderMs'),
    wallRuns: HANDSHAKE_WALL_RUNS,
    wallMs: median(wall),
  };
}

/** Issue 12: 1 MiB through each of `pairs` pairs at once, then `posted` idle posted connections, each on a fresh relay. */
async function measureRelay(pairs, posted, scratchDir) {
  note(`relay: ${pairs} pairs at once, ${formatSize(RELAY_PAIR_BYTES)} each, through one sealdrop relay ${RELAY_BENCH_OPTIONS.join(' ')} (NODE_OPTIONS=${RELAY_NODE_OPTIONS})`);
  const load = await measureRelayPairs({ pairs, bytesEach: RELAY_PAIR_BYTES, workers: RELAY_PAIR_WORKERS, scratchDir });
  note(`relay: ${pairs} pairs in ${load.totalSeconds.toFixed(3)} s, every copy intact; ${posted} idle posted connections`);
  const idle = await measureRelayPosted({ count: posted, workers: RELAY_POSTED_WORKERS, scratchDir });
  return { options: RELAY_BENCH_OPTIONS.join(' '), nodeOptions: RELAY_NODE_OPTIONS, load, idle };
}

async function runBench({ bytes, runs, files, only, relayPairs, relayPosted }, workDir) {
  const started = process.hrtime.bigint();
  const meter = disturbanceMeter();
  const results = {};
  if (only.has('throughput') || only.has('pipes') || only.has('relayed')) {
    await checkFreeSpace(workDir, 2 * bytes + 64 * 1024 * 1024);
    const source = path.join(workDir, 'random.bin');
    note(`writing ${formatSize(bytes)} of random data to ${source}`);
    const sourceSha256 = await makeRandomFile(source, bytes);
    results.file = { bytes };
    if (only.has('throughput')) {
      note('limit: AES-256-GCM and SHA-256 in-process');
      results.limit = await measureLimit(source, bytes, runs, workDir);
      Object.assign(results, await measureTransfers(source, sourceSha256, bytes, runs, workDir));
      // The ratio: sealdrop's throughput over the raw copy's, so 1 would be as fast as raw.
      results.sealdropToRawThroughputRatio = results.raw.medianSeconds / results.sealdrop.medianSeconds;
      results.ratioBound = ratioBound(results.raw, results.limit, os.cpus().length);
    }
    if (only.has('pipes')) {
      note(`pipes: ${formatSize(Math.min(SMALL_PIPE_BYTES, bytes))} and ${formatSize(bytes)} through send - and receive --stdout`);
      results.pipes = await measurePipes(source, sourceSha256, bytes, runs, workDir);
    }
    if (only.has('relayed')) {
      note(`relayed: ${formatSize(bytes)} directly and through one sealdrop relay, in turn`);
      results.relayed = await measureRelayed(source, sourceSha256, bytes, runs, workDir);
    }
  }
  if (only.has('latency')) {
    note(`small files: ${SMALL_FILE_RUNS} rounds of node -e '', sealdrop --version, an empty and a 1-byte file`);
    results.small = await measureSmallFiles(workDir);
  }
  if (only.has('many')) {
    note(`many files: a directory of ${files} files of ${MANY_FILES_BYTES_EACH} bytes`);
    results.manyFiles = await measureManyFiles(workDir, files, runs);
  }
  if (only.has('latency')) {
    note(`handshake: ${HANDSHAKE_PAIRS} pairs in-process, ${HANDSHAKE_WALL_RUNS} against a real receiver`);
    results.handshake = await measureHandshakeCost(workDir);
  }
  if (only.has('relay')) results.relay = await measureRelay(relayPairs, relayPosted, workDir);

  const cpus = os.cpus().length;
  const environment = {
    commit: sourceVersion(),
    node: process.version,
    platform: `${os.platform()} ${os.arch()}`,
    cpus,
    cpuModel: os.cpus()[0]?.model.trim() ?? 'unknown CPU',
    directory: path.dirname(workDir),
    usageMethod: usageMethod === 'gnu-time' ? "/usr/bin/time -f '%M %U %S'" : '/proc/PID/status and stat, polled every 50 ms',
    // Node parses the extra certificates at start-up, even in a process that never opens TLS.
    nodeExtraCaCerts: Boolean(process.env.NODE_EXTRA_CA_CERTS),
    // Other work on the machine or its host skews every number here; this shows how much there was.
    benchSeconds: Number(process.hrtime.bigint() - started) / 1e9,
    disturbance: meter(),
  };
  return { runs, environment, ...results };
}

async function main(argv) {
  const options = parseOptions(argv);
  if (options.help) {
    process.stdout.write(`${USAGE}\n`);
    return;
  }
  const workDir = await mkdtemp(path.join(options.dir, 'sealdrop-bench-'));
  const cleanUp = () => {
    killAllChildren();
    rmSync(workDir, { recursive: true, force: true });
  };
  // On Ctrl-C the finally below would never run: clean up, then die of the same signal.
  const onSignal = (signal) => {
    cleanUp();
    process.kill(process.pid, signal);
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    const results = await runBench(options, workDir);
    process.stdout.write(options.json ? `${JSON.stringify(results, null, 2)}\n` : `${renderReport(results)}\n`);
  } finally {
    cleanUp();
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}

try {
  await main(process.argv.slice(2));
} catch (error) {
  process.stderr.write(`bench: failed: ${error.message}\n`);
  process.exitCode = 1;
}
