/**
 * Runs the real `bin/sealdrop` as a child process for the end-to-end tests: collects stdout and
 * stderr, waits for a line matching a pattern or for the exit, and always gives up after a timeout
 * with an error that shows everything the process printed, so a test fails instead of hanging.
 *
 * Processes are started through a `ProcessGroup` (one per test; `killAll()` at the end of the test
 * kills what is still running); `killLeftovers()` kills every process this module started. The
 * children get a stdin that is not a terminal (/dev/null) and, unless a test passes one, no
 * SEALDROP_CODE from the environment of the test runner.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export const SEALDROP_BIN = fileURLToPath(new URL('../../bin/sealdrop', import.meta.url));

/** Generous for a loaded machine, below the per-test timeout (20 s) so a failure shows the output. */
export const DEFAULT_WAIT_MS = 15_000;

/** The loopback address every test uses, and nothing else. */
export const LOOPBACK = '127.0.0.1';

export type StreamName = 'stdout' | 'stderr';

export interface RunOptions {
  /** Extra environment variables (merged over the runner's environment without SEALDROP_CODE). */
  readonly env?: Readonly<Record<string, string>>;
  readonly cwd?: string;
  /** The file-mode creation mask to run with (through `sh -c 'umask …; exec …'`); the runner's by default. */
  readonly umask?: number;
  /** Standard input as a pipe the test writes to (`typeLine`, `endInput`) instead of /dev/null. */
  readonly stdinPipe?: boolean;
}

/** What `runToEnd` gives: the exit code, the output, and the process (for `describe()`). */
export interface RunResult {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
  readonly process: SealdropProcess;
}

export interface Exit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}

const running = new Set<SealdropProcess>();

// If the test runner's process goes away anyway, take the children with it.
process.once('exit', () => {
  for (const child of running) child.kill('SIGKILL');
});

export class SealdropProcess {
  readonly child: ChildProcess;
  readonly args: readonly string[];
  stdout = '';
  stderr = '';
  exit: Exit | null = null;
  readonly #listeners = new Set<() => void>();

  constructor(args: readonly string[], options: RunOptions = {}) {
    this.args = args;
    const env: NodeJS.ProcessEnv = { ...process.env };
    delete env.SEALDROP_CODE;
    Object.assign(env, options.env ?? {});
    // Node cannot set a child's umask, so a shell sets it and then becomes the sealdrop process.
    const [command, commandArgs] =
      options.umask === undefined
        ? [process.execPath, [SEALDROP_BIN, ...args]]
        : ['/bin/sh', ['-c', `umask ${options.umask.toString(8)} && exec "$0" "$@"`, process.execPath, SEALDROP_BIN, ...args]];
    this.child = spawn(command, commandArgs, {
      cwd: options.cwd,
      env,
      stdio: [options.stdinPipe ? 'pipe' : 'ignore', 'pipe', 'pipe'],
    });
    running.add(this);
    this.child.stdin?.on('error', () => undefined); // a process that exited takes no more input
    this.child.stdout!.setEncoding('utf8');
    this.child.stderr!.setEncoding('utf8');
    this.child.stdout!.on('data', (chunk: string) => {
      this.stdout += chunk;
      this.#notify();
    });
    this.child.stderr!.on('data', (chunk: string) => {
      this.stderr += chunk;
      this.#notify();
    });
    // 'close' (not 'exit') so that all output has been read when the exit is reported.
    this.child.once('close', (code, signal) => this.#exited({ code, signal }));
    this.child.once('error', (error) => {
      this.stderr += `\n[the test could not run the process: ${error.message}]\n`;
      this.#exited({ code: null, signal: null });
    });
  }

  #exited(exit: Exit): void {
    if (this.exit !== null) return;
    this.exit = exit;
    running.delete(this);
    this.#notify();
  }

  get running(): boolean {
    return this.exit === null;
  }

  /** The command line and everything printed so far, for failure messages. */
  describe(): string {
    const status = this.exit === null ? 'still running' : `exited with ${this.exit.code ?? this.exit.signal}`;
    return [
      `$ sealdrop ${this.args.join(' ')}   (${status})`,
      `--- stdout ---\n${this.stdout}`,
      `--- stderr ---\n${this.stderr}`,
    ].join('\n');
  }

  /** Complete lines printed so far on a stream. */
  lines(stream: StreamName): string[] {
    const text = this[stream];
    const end = text.lastIndexOf('\n');
    return end < 0 ? [] : text.slice(0, end).split('\n');
  }

  /**
   * Resolves with the match of the first complete line on `stream` matching `pattern`. Rejects,
   * with the collected output, if the process exits first or nothing matches within `timeoutMs`.
   */
  waitForLine(stream: StreamName, pattern: RegExp, timeoutMs = DEFAULT_WAIT_MS): Promise<RegExpMatchArray> {
    return this.#waitFor(`a line on ${stream} matching ${pattern}`, timeoutMs, () => {
      for (const line of this.lines(stream)) {
        const match = pattern.exec(line);
        if (match) return match;
      }
      return undefined;
    });
  }

  /** Resolves with the exit code; rejects with the collected output after `timeoutMs`. */
  async waitForExit(timeoutMs = DEFAULT_WAIT_MS): Promise<number | null> {
    const exit = await this.#waitFor('the exit', timeoutMs, () => this.exit ?? undefined, true);
    return exit.code;
  }

  /**
   * Waits for the exit; unless it is `expected`, fails with the command line and everything the
   * process printed, which says more than the two numbers.
   */
  async expectExit(expected: number, timeoutMs = DEFAULT_WAIT_MS): Promise<void> {
    const code = await this.waitForExit(timeoutMs);
    if (code !== expected) throw new Error(`expected exit status ${expected}, got ${code ?? this.exit?.signal}\n${this.describe()}`);
  }

  /** Fails if the process exits within `ms`: for "it keeps waiting" checks. */
  async expectStillRunningAfter(ms: number): Promise<void> {
    await new Promise((resolve) => setTimeout(resolve, ms));
    if (!this.running) throw new Error(`expected the process to keep running, but it exited\n${this.describe()}`);
  }

  /** Writes `line` and a line feed to standard input (started with `stdinPipe`). */
  typeLine(line: string): void {
    this.child.stdin!.write(`${line}\n`);
  }

  /** Ends standard input (started with `stdinPipe`). */
  endInput(): void {
    this.child.stdin!.end();
  }

  kill(signal: NodeJS.Signals = 'SIGKILL'): void {
    if (this.running) this.child.kill(signal);
  }

  async #waitFor<T>(what: string, timeoutMs: number, check: () => T | undefined, exitIsFine = false): Promise<T> {
    const found = check();
    if (found !== undefined) return found;
    return new Promise<T>((resolve, reject) => {
      let timer: NodeJS.Timeout | undefined;
      const done = () => {
        clearTimeout(timer);
        this.#listeners.delete(listener);
      };
      const listener = () => {
        const result = check();
        if (result !== undefined) {
          done();
          resolve(result);
        } else if (!exitIsFine && this.exit !== null) {
          done();
          reject(new Error(`waited for ${what}, but the process exited first\n${this.describe()}`));
        }
      };
      timer = setTimeout(() => {
        done();
        reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}\n${this.describe()}`));
      }, timeoutMs);
      this.#listeners.add(listener);
      listener();
    });
  }

  #notify(): void {
    for (const listener of [...this.#listeners]) listener();
  }
}

/** Kills every process started by this module that is still running, and waits for them to go. */
export async function killLeftovers(): Promise<void> {
  await killAndWait([...running]);
}

async function killAndWait(processes: readonly SealdropProcess[]): Promise<void> {
  const left = processes.filter((child) => child.running);
  for (const child of left) child.kill('SIGKILL');
  await Promise.all(left.map((child) => child.waitForExit().catch(() => undefined)));
}

export interface ReceiverOptions {
  /** The --out directory. */
  readonly out: string;
  /** A fixed code; without it the receiver generates one. */
  readonly code?: string;
  /** How the fixed code is given: SEALDROP_CODE (default) or --code. */
  readonly codeVia?: 'env' | 'flag';
  /** Further arguments, e.g. ['--yes'], ['--overwrite'], ['--json']. */
  readonly args?: readonly string[];
  readonly waitMs?: number;
  readonly umask?: number;
}

export interface Receiver {
  readonly process: SealdropProcess;
  readonly port: number;
  /** The code as the receiver shows it. */
  readonly code: string;
  /** HOST:PORT for `send --to`. */
  readonly address: string;
}

/** The line that tells the sender where to go: `  sealdrop send FILE... --to 127.0.0.1:PORT` (never the code). */
export const SEND_COMMAND_LINE = /^ {2}sealdrop send FILE\.\.\. --to 127\.0\.0\.1:(\d+)$/;
export const CODE_LINE = /^Code: (\S+)$/;

/** The receiver's warning after a refused offer: it keeps the code for a corrected one (section 6 step 2). */
export const AWAITING_CORRECTED_OFFER_LINE = /^sealdrop: warning: .*the code is still valid: waiting for a corrected offer/;

/**
 * A receiver that refused an offer ends no more: it waits for a corrected offer with the same
 * code (section 6 step 2). Waits for its warning saying so, then checks that it still runs.
 */
export async function expectAwaitingCorrectedOffer(receiver: SealdropProcess): Promise<void> {
  await receiver.waitForLine('stderr', AWAITING_CORRECTED_OFFER_LINE);
  await receiver.expectStillRunningAfter(100);
}

export interface SenderOptions {
  /** HOST:PORT of the receiver. */
  readonly to: string;
  readonly code: string;
  readonly codeVia?: 'env' | 'flag';
  /** Paths to send, or the text of --text. */
  readonly paths?: readonly string[];
  readonly text?: string;
  readonly args?: readonly string[];
  readonly cwd?: string;
}

/** The processes of one test: started through it, killed together by `killAll()`. */
export class ProcessGroup {
  readonly processes: SealdropProcess[] = [];

  /** Starts `sealdrop ARGS...`. */
  run(args: readonly string[], options: RunOptions = {}): SealdropProcess {
    const child = new SealdropProcess(args, options);
    this.processes.push(child);
    return child;
  }

  /** Runs `sealdrop ARGS...` to the end: exit code and output. */
  async runToEnd(args: readonly string[], options: RunOptions & { timeoutMs?: number } = {}): Promise<RunResult> {
    const child = this.run(args, options);
    const code = await child.waitForExit(options.timeoutMs);
    return { code, stdout: child.stdout, stderr: child.stderr, process: child };
  }

  /**
   * Runs several `sealdrop` commands to the end, at most `parallel` at a time (each one is a Node
   * process that takes a CPU for a moment to start); the results come in the order of `commands`.
   */
  async runAllToEnd(commands: ReadonlyArray<{ args: readonly string[]; options?: RunOptions }>, parallel = 3): Promise<RunResult[]> {
    const results: RunResult[] = [];
    let next = 0;
    const worker = async () => {
      while (next < commands.length) {
        const index = next++;
        results[index] = await this.runToEnd(commands[index]!.args, commands[index]!.options);
      }
    };
    await Promise.all(Array.from({ length: Math.min(parallel, commands.length) }, worker));
    return results;
  }

  /** Starts `sealdrop receive --host 127.0.0.1 --port 0 --out OUT ...` and waits until it shows where it listens. */
  async startReceiver(options: ReceiverOptions): Promise<Receiver> {
    const args = ['receive', '--host', LOOPBACK, '--port', '0', '--out', options.out, ...(options.args ?? [])];
    const env: Record<string, string> = {};
    if (options.code !== undefined) {
      if (options.codeVia === 'flag') args.push('--code', options.code);
      else env.SEALDROP_CODE = options.code;
    }
    const receiver = this.run(args, { env, umask: options.umask });
    const [, portText] = await receiver.waitForLine('stderr', SEND_COMMAND_LINE, options.waitMs);
    const [, code] = await receiver.waitForLine('stderr', CODE_LINE, options.waitMs);
    const port = Number(portText);
    return { process: receiver, port, code: code!, address: `${LOOPBACK}:${port}` };
  }

  /** Starts `sealdrop send ... --to HOST:PORT` with the code from SEALDROP_CODE (default) or --code. */
  startSender(options: SenderOptions): SealdropProcess {
    const args = ['send', ...(options.paths ?? []), '--to', options.to, ...(options.args ?? [])];
    if (options.text !== undefined) args.push('--text', options.text);
    const env: Record<string, string> = {};
    if (options.codeVia === 'flag') args.push('--code', options.code);
    else env.SEALDROP_CODE = options.code;
    return this.run(args, { env, cwd: options.cwd });
  }

  /** Kills the group's processes that still run, and waits until they are gone. */
  killAll(): Promise<void> {
    return killAndWait(this.processes);
  }
}
