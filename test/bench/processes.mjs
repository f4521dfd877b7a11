/**
 * Node child processes for the bench, each timed from spawn to exit and with its peak resident
 * set size and CPU time read from the OS (not from inside the child, which would have to be
 * changed for it): under GNU time (`/usr/bin/time -f '%M %U %S'`) when it is installed, else by
 * polling /proc/PID/status (VmHWM) and /proc/PID/stat (utime, stime) every 50 ms.
 *
 * Every child gets its own process group, so that on failure or Ctrl-C the bench can kill the
 * child together with the `time` wrapper around it, and never leaves a receiver listening.
 */
import { spawn, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';

const GNU_TIME = '/usr/bin/time';
/** Peak RSS in KiB, then user and system CPU seconds. */
const GNU_TIME_FORMAT = '%M %U %S';
const PROC_POLL_MS = 50;
/** The unit of the CPU times in /proc/stat and /proc/PID/stat (USER_HZ, 100 on Linux). */
const CLOCK_TICKS_PER_SECOND = 100;
/** How much of a child's stderr is kept for error messages and for finding its port. */
const STDERR_KEPT_CHARS = 64 * 1024;

/** The children still running, killed by `killAllChildren`. */
const running = new Set();
let childrenStarted = 0;
/** CPU seconds of all children that have ended, for `disturbanceMeter`. */
let endedChildrenCpuSeconds = 0;

/** 'gnu-time' if /usr/bin/time exists and takes GNU's -f and -o, else 'proc-polling'. */
export const usageMethod = detectUsageMethod();

function detectUsageMethod() {
  const probe = spawnSync(GNU_TIME, ['-f', GNU_TIME_FORMAT, '-o', '/dev/null', process.execPath, '-e', ''], { stdio: 'ignore' });
  return probe.status === 0 ? 'gnu-time' : 'proc-polling';
}

export function killAllChildren() {
  for (const child of running) child.kill();
}

/**
 * Seconds of CPU time, summed over all cores since boot, that were busy (user, nice, system,
 * irq: what libuv's os.cpus() counts) and that the hypervisor stole, from the first line of
 * /proc/stat ("cpu user nice system idle iowait irq softirq steal ..."). Null where no /proc.
 */
function machineCpuSeconds() {
  try {
    const ticks = readFileSync('/proc/stat', 'utf8').split('\n', 1)[0].trim().split(/\s+/).slice(1).map(Number);
    const [user, nice, system, , , irq, , steal] = ticks;
    return { busy: (user + nice + system + irq) / CLOCK_TICKS_PER_SECOND, steal: steal / CLOCK_TICKS_PER_SECOND };
  } catch {
    return null;
  }
}

/**
 * The bench shares the machine, and perhaps the host: this tells how much CPU time processes
 * other than the bench and its children used, and how much the hypervisor stole from this
 * machine, from now until the returned function is called, to show when a measurement was
 * disturbed. Both are counted in 10 ms ticks, so values of a few hundredths are noise.
 * The function returns { otherCpuSeconds, stealSeconds }, null each where /proc is missing.
 */
export function disturbanceMeter() {
  const machineAtStart = machineCpuSeconds();
  const ownAtStart = process.cpuUsage();
  const childrenAtStart = endedChildrenCpuSeconds;
  return () => {
    const machine = machineCpuSeconds();
    if (machineAtStart === null || machine === null) return { otherCpuSeconds: null, stealSeconds: null };
    const own = process.cpuUsage(ownAtStart);
    const ours = (own.user + own.system) / 1e6 + (endedChildrenCpuSeconds - childrenAtStart);
    return {
      otherCpuSeconds: Math.max(0, machine.busy - machineAtStart.busy - ours),
      stealSeconds: machine.steal - machineAtStart.steal,
    };
  };
}

/**
 * What /proc says of process `pid` now: { rssBytes, peakRssBytes, cpuSeconds } (VmRSS, VmHWM,
 * utime + stime); throws if it is gone or there is no /proc.
 */
export function procUsage(pid) {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const kib = (name) => Number(new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN) * 1024;
  // After the command name in parentheses: state is field 3, utime field 14, stime field 15.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return { rssBytes: kib('VmRSS'), peakRssBytes: kib('VmHWM'), cpuSeconds: (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS_PER_SECOND };
}

/**
 * One `node ARGS...` child. `scratchDir` holds the file GNU time writes its figures to.
 * The result of `finished()` rejects, naming the child and quoting its stderr, unless it exits 0.
 */
export class NodeProcess {
  #child;
  #label;
  #stderr = '';
  #stderrWatchers = new Set();
  #startNs;
  #exitNs = null;
  #usageFile = null;
  #usage = { peakRssBytes: null, cpuSeconds: null };
  #pollTimer = null;
  #ended = false;
  #closed;

  /**
   * With `pipes`, the child's stdin and stdout are pipes to the bench (`stdin`, `stdout`); else
   * ignored. With `openFiles`, the child may open that many files (its soft limit, through `sh -c
   * 'ulimit -n'`). With `bare`, no GNU time around it, so that `pid` is the node process itself,
   * whose /proc files the caller reads (and `finished()` gives no peak RSS or CPU time).
   */
  constructor(label, args, { env = process.env, cwd, scratchDir, pipes = false, openFiles, bare = false }) {
    this.#label = label;
    const node = bare ? [process.execPath, ...args] : this.#command(args, scratchDir);
    // exec: the shell becomes the command, so the pid stays the command's.
    const command = openFiles === undefined ? node : ['sh', '-c', `ulimit -n ${openFiles} && exec "$@"`, 'sh', ...node];
    this.#startNs = process.hrtime.bigint();
    const io = pipes ? 'pipe' : 'ignore';
    this.#child = spawn(command[0], command.slice(1), { env, cwd, detached: true, stdio: [io, io, 'pipe'] });
    running.add(this);
    if (usageMethod === 'proc-polling') this.#pollTimer = setInterval(() => this.#pollUsage(), PROC_POLL_MS);
    this.#child.stderr.setEncoding('utf8');
    this.#child.stderr.on('data', (text) => this.#onStderr(text));
    // 'exit' comes as soon as the process is gone; 'close' only once its stderr is drained too.
    this.#child.once('exit', () => {
      this.#exitNs = process.hrtime.bigint();
      clearInterval(this.#pollTimer);
    });
    this.#closed = new Promise((resolve, reject) => {
      this.#child.once('error', reject);
      this.#child.once('close', (code, signal) => resolve({ code, signal }));
    }).finally(() => {
      this.#ended = true;
      if (this.#usageFile !== null) this.#readGnuTimeUsage();
      endedChildrenCpuSeconds += this.#usage.cpuSeconds ?? 0;
      running.delete(this);
      for (const watcher of this.#stderrWatchers) watcher();
    });
    this.#closed.catch(() => undefined); // a failure to spawn is reported by finished()
  }

  #command(args, scratchDir) {
    if (usageMethod !== 'gnu-time') return [process.execPath, ...args];
    childrenStarted += 1;
    this.#usageFile = path.join(scratchDir, `usage-${childrenStarted}.txt`);
    return [GNU_TIME, '-f', GNU_TIME_FORMAT, '-o', this.#usageFile, process.execPath, ...args];
  }

  get pid() {
    return this.#child.pid;
  }

  get startNs() {
    return this.#startNs;
  }

  get stdin() {
    return this.#child.stdin;
  }

  get stdout() {
    return this.#child.stdout;
  }

  /** Resolves with the first match of `pattern` in the child's stderr; rejects if it ends first. */
  waitForStderr(pattern, timeoutMs) {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => settle(new Error(`${this.#label}: no ${pattern} on stderr within ${timeoutMs / 1000} s`)), timeoutMs);
      const settle = (error, match) => {
        clearTimeout(timer);
        this.#stderrWatchers.delete(check);
        if (error) reject(error);
        else resolve(match);
      };
      const check = () => {
        const match = pattern.exec(this.#stderr);
        if (match) settle(null, match);
        else if (this.#ended) settle(this.#failure(`ended before printing ${pattern}`));
      };
      this.#stderrWatchers.add(check);
      check();
    });
  }

  /**
   * Waits for a clean exit: { wallSeconds, exitNs, peakRssBytes, cpuSeconds }, the last two
   * null if the OS did not tell (cpuSeconds is user plus system time).
   */
  async finished() {
    const { code, signal } = await this.#closed;
    if (code !== 0) throw this.#failure(signal ? `was killed by ${signal}` : `exited with status ${code}`);
    return {
      wallSeconds: Number(this.#exitNs - this.#startNs) / 1e9,
      exitNs: this.#exitNs,
      ...this.#usage,
    };
  }

  kill() {
    try {
      process.kill(-this.#child.pid, 'SIGKILL'); // the whole group: `time` and the node under it
    } catch {
      // Already gone.
    }
  }

  #onStderr(text) {
    this.#stderr = (this.#stderr + text).slice(-STDERR_KEPT_CHARS);
    for (const watcher of this.#stderrWatchers) watcher();
  }

  /** Both figures only grow, so the last reading before the exit is the closest to the final one. */
  #pollUsage() {
    try {
      const { peakRssBytes, cpuSeconds } = procUsage(this.#child.pid);
      if (!Number.isNaN(peakRssBytes)) this.#usage.peakRssBytes = peakRssBytes;
      this.#usage.cpuSeconds = cpuSeconds;
    } catch {
      // The process is exiting; the last reading stands.
    }
  }

  #readGnuTimeUsage() {
    try {
      // GNU time writes "Command exited with non-zero status N" first when there is one; ours is last.
      const lastLine = readFileSync(this.#usageFile, 'utf8').trim().split('\n').at(-1);
      const [peakKiB, userSeconds, systemSeconds] = lastLine.split(' ').map(Number);
      this.#usage = { peakRssBytes: peakKiB * 1024, cpuSeconds: userSeconds + systemSeconds };
    } catch {
      // Killed together with its `time` wrapper: no figures.
    }
  }

  #failure(what) {
    const tail = this.#stderr.trim().split('\n').slice(-12).join('\n  ');
    return new Error(`${this.#label} ${what}${tail ? `:\n  ${tail}` : ''}`);
  }
}
