/**
 * The relay under load (issue 12, "Measured"): one real `sealdrop relay` process on 127.0.0.1,
 * driven by raw relay-protocol clients (relay-clients.mjs, spread over a few child processes), its
 * memory and CPU time read from /proc/PID while they run:
 *
 *   pairs   N pairs at once, each moving M bytes host to guest, compared byte for byte; the
 *           total time, the relay's CPU seconds per GiB copied, its RSS at the start, at its peak
 *           (VmHWM) and once it is idle again (no pair, no nameplate, by its own log);
 *   posted  N idle posted connections: the relay's RSS per connection.
 *
 * Everything comes from one source address, which the relay's per-address defaults would refuse:
 * RELAY_BENCH_OPTIONS raises those limits (and those only).
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { NodeProcess, disturbanceMeter, procUsage } from './processes.mjs';

const HOST = '127.0.0.1';
const REPO = fileURLToPath(new URL('../../', import.meta.url));
const SEALDROP = path.join(REPO, 'bin', 'sealdrop');
const RELAY_CLIENTS = fileURLToPath(new URL('./relay-clients.mjs', import.meta.url));

/**
 * The relay runs as the README's systemd unit runs it. Under load V8 grows its young generation to
 * two 16 MiB semi-spaces and keeps them once idle, with the garbage of the last copies in them (no
 * collection runs while nothing is allocated); at 1 MiB it collects the copies' short-lived
 * buffers sooner and gives the memory back (issue 12: memory back near its start once idle).
 */
export const RELAY_NODE_OPTIONS = '--max-semi-space-size=1';
/** Every connection of the bench comes from 127.0.0.1: the per-address limits must let it all in. */
export const RELAY_BENCH_OPTIONS = ['--max-connections-per-address', '100000', '--max-requests-per-minute', '1000000'];
/** Posted connections made and released before the "before" reading, so that it includes the code the first ones load and compile. */
const WARM_UP_POSTED = 200;
/** How long the relay is left alone before a reading of its resting RSS. */
const SETTLE_MS = 2_000;
/** And before a second reading once the pairs are done: V8 and glibc give memory back over seconds, not at once. */
const REST_MS = 30_000;
const RSS_POLL_MS = 50;
const STEP_TIMEOUT_MS = 300_000;
/** Descriptors a process needs beyond its sockets (stdio, libuv, the listener). */
const SPARE_FILES = 64;
const GIB = 1024 ** 3;

/** The relay's JSON-lines log read as it comes: counts of each event, and a wait for a condition on them. */
class RelayLog {
  counts = new Map();
  bytesHostToGuest = [];
  #watchers = new Set();

  constructor(stdout) {
    createInterface({ input: stdout }).on('line', (line) => {
      const event = JSON.parse(line);
      this.counts.set(event.event, (this.counts.get(event.event) ?? 0) + 1);
      if (event.event === 'closed') this.bytesHostToGuest.push(event.bytesHostToGuest);
      for (const watcher of this.#watchers) watcher();
    });
  }

  count(event) {
    return this.counts.get(event) ?? 0;
  }

  /** Nameplates held and pairs running, by the relay's own account of what it allocated and ended. */
  get held() {
    return {
      nameplates: this.count('allocated') - this.count('released') - this.count('lapsed'),
      pairs: this.count('paired') - this.count('closed'),
    };
  }

  until(condition, what) {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => finish(new Error(`the relay's log did not show ${what} within ${STEP_TIMEOUT_MS / 1000} s`)), STEP_TIMEOUT_MS);
      const finish = (error) => {
        clearTimeout(timer);
        this.#watchers.delete(check);
        if (error) reject(error);
        else resolve();
      };
      const check = () => condition(this) && finish(null);
      this.#watchers.add(check);
      check();
    });
  }
}

/** The bench's and its children's soft limit on open files: as many as `needed`, within the hard limit. */
function openFilesFor(needed) {
  const hard = hardOpenFilesLimit();
  if (needed > hard) throw new Error(`the relay bench needs ${needed} open files per process, but the hard limit (ulimit -Hn) is ${hard}; raise it or use smaller --relay-pairs / --relay-posted`);
  return needed;
}

/** `ulimit -Hn`, from /proc/self/limits ("Max open files  SOFT  HARD  files"). */
function hardOpenFilesLimit() {
  const hard = /^Max open files\s+\S+\s+(\S+)/m.exec(readFileSync('/proc/self/limits', 'utf8'))?.[1];
  return hard === undefined || hard === 'unlimited' ? Infinity : Number(hard);
}

/**
 * A `sealdrop relay` on a free port of 127.0.0.1 with `options`, its log on stdout: { relay, log,
 * port }; `relay.pid` is the node process itself, for procUsage.
 */
export async function startRelay(scratchDir, openFiles, options = RELAY_BENCH_OPTIONS) {
  const nodeOptions = [process.env.NODE_OPTIONS, RELAY_NODE_OPTIONS].filter(Boolean).join(' ');
  const relay = new NodeProcess('sealdrop relay', [SEALDROP, 'relay', '--host', HOST, '--port', '0', ...options], {
    env: { ...process.env, NODE_OPTIONS: nodeOptions },
    cwd: REPO,
    scratchDir,
    pipes: true,
    openFiles,
    bare: true,
  });
  const log = new RelayLog(relay.stdout);
  const [, port] = await relay.waitForStderr(/Relay listening on 127\.0\.0\.1:(\d+)/, 30_000);
  return { relay, log, port };
}

export async function stopRelay(relay) {
  process.kill(relay.pid, 'SIGTERM');
  await relay.finished();
}

/**
 * `count` clients spread over `workers` children of relay-clients.mjs with `args`; each child's
 * JSON lines are awaited with `next(key)` (all children's, summed) and words sent with `say(word)`.
 */
function startClients(mode, args, count, workers, scratchDir) {
  const shares = Array.from({ length: workers }, (_, i) => Math.floor(count / workers) + (i < count % workers ? 1 : 0)).filter((n) => n > 0);
  const children = shares.map((share, i) => {
    const child = new NodeProcess(`relay clients ${i + 1}`, [RELAY_CLIENTS, mode, ...args(share)], { cwd: REPO, scratchDir, pipes: true, openFiles: openFilesFor(2 * share + SPARE_FILES) });
    const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
    return { child, lines };
  });
  const finished = Promise.all(children.map(({ child }) => child.finished()));
  // Rejects as soon as a child fails; never resolves.
  const failure = finished.then(() => new Promise(() => {}));
  failure.catch(() => {});
  return {
    /** Sums the field `key` of every child's next line; rejects if a child fails first. */
    async next(key) {
      const lines = await Promise.race([Promise.all(children.map(({ lines }) => lines.next())), failure]);
      return lines.reduce((sum, { value, done }) => {
        if (done) throw new Error(`the relay clients ended before reporting ${key}`);
        const fields = JSON.parse(value);
        if (!(key in fields)) throw new Error(`the relay clients reported ${value}, not ${key}`);
        return sum + fields[key];
      }, 0);
    },
    say(word) {
      for (const { child } of children) child.stdin.write(`${word}\n`);
    },
    finished: () => finished,
    kill: () => children.forEach(({ child }) => child.kill()),
  };
}

/** The highest VmRSS seen while `promise` runs, polled (VmHWM gives the true peak; this shows when). */
async function whileSampling(pid, promise) {
  const samples = [];
  const timer = setInterval(() => {
    try {
      samples.push(procUsage(pid).rssBytes);
    } catch {
      // the relay is gone; its failure surfaces elsewhere
    }
  }, RSS_POLL_MS);
  try {
    return { result: await promise, highestSampledRssBytes: Math.max(0, ...samples) };
  } finally {
    clearInterval(timer);
  }
}

/** The relay's RSS after `ms` of rest. */
async function settledRss(pid, ms = SETTLE_MS) {
  await sleep(ms);
  return procUsage(pid).rssBytes;
}

/**
 * `pairs` pairs at once through one relay, each moving `bytesEach` bytes: pairing, copying,
 * releasing, then the relay's return to idle. Throws unless every pair's bytes arrived intact and
 * the relay's log counts `bytesEach` for every pair.
 */
export async function measureRelayPairs({ pairs, bytesEach, workers, scratchDir }) {
  const { relay, log, port } = await startRelay(scratchDir, openFilesFor(3 * pairs + SPARE_FILES));
  let clients = null;
  try {
    const start = procUsage(relay.pid);
    const disturbance = disturbanceMeter();
    const startedNs = process.hrtime.bigint();
    clients = startClients('pairs', (share) => [port, share, bytesEach], pairs, workers, scratchDir);
    const seconds = (since) => Number(process.hrtime.bigint() - since) / 1e9;

    const paired = await clients.next('paired');
    const pairingSeconds = seconds(startedNs);
    const copyStartedNs = process.hrtime.bigint();
    clients.say('go');
    const { result: intact, highestSampledRssBytes } = await whileSampling(relay.pid, clients.next('intact'));
    const copySeconds = seconds(copyStartedNs);
    if (paired !== pairs || intact !== pairs) throw new Error(`relay pairs: ${paired} of ${pairs} paired, ${intact} arrived intact`);
    await clients.next('released');
    await clients.finished();
    await log.until((l) => l.held.nameplates === 0 && l.held.pairs === 0 && l.count('released') === pairs, 'every pair closed and every nameplate released');
    const totalSeconds = seconds(startedNs);
    const busy = procUsage(relay.pid);
    const wrongCounts = log.bytesHostToGuest.filter((bytes) => bytes !== bytesEach).length;
    if (wrongCounts > 0) throw new Error(`relay pairs: the relay logged ${wrongCounts} pairs that did not copy ${bytesEach} bytes`);
    const afterRssBytes = await settledRss(relay.pid);
    const restedRssBytes = await settledRss(relay.pid, REST_MS - SETTLE_MS);
    const copiedBytes = pairs * bytesEach;
    return {
      pairs,
      bytesEach,
      workers,
      pairingSeconds,
      copySeconds,
      totalSeconds,
      copyMbPerSecond: copiedBytes / 1e6 / copySeconds,
      cpuSeconds: busy.cpuSeconds - start.cpuSeconds,
      cpuSecondsPerGiB: (busy.cpuSeconds - start.cpuSeconds) / (copiedBytes / GIB),
      rssBytes: { start: start.rssBytes, peak: busy.peakRssBytes, highestSampledWhileCopying: highestSampledRssBytes, after: afterRssBytes, rested: restedRssBytes },
      restSeconds: { after: SETTLE_MS / 1000, rested: REST_MS / 1000 },
      idle: { ...log.held, released: log.count('released'), closed: log.count('closed') },
      disturbance: disturbance(),
    };
  } catch (error) {
    clients?.kill();
    relay.kill();
    throw error;
  } finally {
    await stopRelay(relay).catch(() => relay.kill());
  }
}

/** `count` idle posted connections on one relay: (RSS with them − RSS before) / count. */
export async function measureRelayPosted({ count, workers, scratchDir }) {
  const { relay, log, port } = await startRelay(scratchDir, openFilesFor(count + WARM_UP_POSTED + SPARE_FILES));
  let clients = null;
  try {
    const warmUp = startClients('posted', (share) => [port, share], WARM_UP_POSTED, 1, scratchDir);
    await warmUp.next('posted');
    warmUp.say('release');
    await warmUp.next('released');
    await warmUp.finished();
    const beforeRssBytes = await settledRss(relay.pid);

    clients = startClients('posted', (share) => [port, share], count, workers, scratchDir);
    const startedNs = process.hrtime.bigint();
    const posted = await clients.next('posted');
    const postingSeconds = Number(process.hrtime.bigint() - startedNs) / 1e9;
    if (posted !== count) throw new Error(`relay posted: ${posted} of ${count} posted`);
    await log.until((l) => l.count('posted') === count + WARM_UP_POSTED, `${count} posted`);
    const withPostedRssBytes = await settledRss(relay.pid);
    clients.say('release');
    await clients.next('released');
    await clients.finished();
    await log.until((l) => l.held.nameplates === 0, 'every nameplate released');
    const afterRssBytes = await settledRss(relay.pid);
    return {
      count,
      workers,
      postingSeconds,
      rssBytes: { before: beforeRssBytes, withPosted: withPostedRssBytes, after: afterRssBytes, peak: procUsage(relay.pid).peakRssBytes },
      rssBytesPerPosted: (withPostedRssBytes - beforeRssBytes) / count,
    };
  } catch (error) {
    clients?.kill();
    relay.kill();
    throw error;
  } finally {
    await stopRelay(relay).catch(() => relay.kill());
  }
}
