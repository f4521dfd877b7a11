/**
 * The command line: yargs commands, and one top-level catch that reports a failure (a one-line
 * reason and the exit status of its code, in failure-report.ts). Library code below never
 * prints or exits.
 *
 * Each command's module is imported only when that command runs, so a sender never loads the
 * receiver's half (nor a receiver the sender's), and --help, --version and `hash` load neither,
 * nor the handshake (test/cli/startup.test.ts): less work at start-up.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type YargsFactory from 'yargs/yargs';
import { SealdropError } from '../errors.js';
import { DEFAULT_IDLE_TIMEOUT_MS } from '../channel/idle-watch.js';
import { DEFAULT_HANDSHAKE_TIMEOUT_MS } from '../channel/handshake-timeout.js';
import { DEFAULT_BUSY_RETRY_WINDOW_MS, RELAY_HANDSHAKE_TIMEOUT_MS } from '../rendezvous/relay-timing.js';
import { DEFAULT_LISTEN_HOST, DEFAULT_PORT, RELAY_ENVIRONMENT_VARIABLE } from './meeting-defaults.js';
import { DEFAULT_RELAY_LIMITS, MIN_PAIR_IDLE_SECONDS, MIN_PAIRINGS_PER_NAMEPLATE_PER_MINUTE, MIN_POSTED_WAIT_SECONDS, MIN_TTL_SECONDS } from '../relay/limits.js';
import { EXIT_OK } from './exit-status.js';
import { reportFailure } from './failure-report.js';
import { interruption } from './interrupt.js';
import { Output } from './output.js';

// yargs is CommonJS. Required directly, it starts sooner than through its ESM wrapper, for
// which Node first parses the CommonJS source to find its exports; and its CommonJS build wraps
// help text between words, which the ESM build of yargs 17 does not.
const yargs = createRequire(import.meta.url)('yargs/yargs') as typeof YargsFactory;

const packageJson = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };

interface CommonArguments {
  quiet: boolean;
  json: boolean;
}

async function main(argv: string[]): Promise<number> {
  let output = Output.plain(argv.includes('--json'));
  const run = async (command: (output: Output) => Promise<void>, args: CommonArguments) => {
    output = await Output.create({ quiet: args.quiet, json: args.json });
    return Promise.race([command(output), interruption()]);
  };
  try {
    await yargs(argv)
      .scriptName('sealdrop')
      .usage('$0 <command> [options]\n\nEnd-to-end encrypted file and text transfer with a short one-time code.')
      .option('quiet', { alias: 'q', type: 'boolean', default: false, describe: 'No spinner, bars or notes; results and errors only' })
      .option('json', { type: 'boolean', default: false, describe: 'Print JSON on stdout, one object a line: events as they happen, the result last' })
      .command(
        'receive',
        'Wait for a sender: print a one-time code and the command to run on the other machine',
        (y) =>
          y
            .option('port', { alias: 'p', type: 'number', describe: `TCP port to listen on, directly (default ${DEFAULT_PORT}; 0 picks a free one)` })
            .option('host', { type: 'string', describe: `Address to listen on, directly (default ${DEFAULT_LISTEN_HOST})` })
            .option('relay', RELAY_OPTION)
            .option('join', { type: 'boolean', default: false, describe: 'The sender went first (send --wait): join it with its code, through the relay or at --from' })
            .option('from', { type: 'string', describe: 'With --join: the waiting sender, as HOST:PORT (a direct connection)' })
            .option('busy-wait', BUSY_WAIT_OPTION)
            .option('out', { alias: 'o', type: 'string', default: '.', describe: 'Directory to save received files in' })
            .option('code', { type: 'string', describe: 'Use this code instead of a generated one (visible in the process list; prefer SEALDROP_CODE)' })
            .option('yes', { alias: 'y', type: 'boolean', default: false, describe: 'Accept the offer without asking' })
            .option('overwrite', { type: 'boolean', default: false, describe: 'Replace existing files (atomically, after verification)' })
            .option('merge', { type: 'boolean', default: false, describe: 'Let the offer write into directories that exist and create hidden (dot) top-level entries' })
            .option('stdout', { type: 'boolean', default: false, describe: 'Write a received stream, or a single file, to standard output (messages go to stderr)' })
            .option('handshake-timeout', HANDSHAKE_TIMEOUT_OPTION)
            .option('idle-timeout', IDLE_TIMEOUT_OPTION)
            .option('sums', { type: 'string', describe: 'Write the received files\' SHA-256 lines to this new file, for `sealdrop hash --check` on the sending machine' })
            .check((a) => (a.port === undefined || checkPort(a.port)) && checkIdleTimeout(a['idle-timeout']))
            .example('$0 receive --out ~/Downloads', 'Show a code, wait for a sender, ask before saving into ~/Downloads')
            .example('$0 receive --relay 192.0.2.1:7879', 'The same through a relay, when the sender cannot reach this machine: the code starts with the relay\'s nameplate')
            .example('$0 receive --join --relay 192.0.2.1:7879', 'The sender went first (send --wait): join it with the code it shows'),
        (a) => run(async (out) => (await import('./commands/receive.js')).runReceive({ ...a, handshakeTimeout: a['handshake-timeout'], idleTimeout: a['idle-timeout'], busyWait: a['busy-wait'] }, out), a),
      )
      .command(
        'send [paths..]',
        'Send files, directories or a text message to a waiting receiver',
        (y) =>
          y
            .positional('paths', { type: 'string', array: true, default: [] as string[], describe: 'Files and directories to send; - alone sends standard input as a stream' })
            .option('to', { type: 'string', describe: 'The waiting receiver, as HOST:PORT (a direct connection)' })
            .option('relay', RELAY_OPTION)
            .option('wait', { type: 'boolean', default: false, describe: 'Go first: show a code and wait for the receiver (receive --join), on the relay or directly on --port' })
            .option('port', { alias: 'p', type: 'number', describe: `With --wait: TCP port to listen on, directly (default ${DEFAULT_PORT}; 0 picks a free one)` })
            .option('host', { type: 'string', describe: `With --wait: address to listen on, directly (default ${DEFAULT_LISTEN_HOST})` })
            .option('busy-wait', BUSY_WAIT_OPTION)
            .option('handshake-timeout', HANDSHAKE_TIMEOUT_OPTION)
            .option('code', { type: 'string', describe: 'The code the receiver shows (else SEALDROP_CODE, else asked)' })
            .option('text', { alias: 't', type: 'string', describe: 'Send this text message instead of files' })
            .option('name', { type: 'string', describe: 'With -: the name the receiver sees, and saves the stream as (default: stdin)' })
            .option('idle-timeout', IDLE_TIMEOUT_OPTION)
            .check((a) => (a.port === undefined || checkPort(a.port)) && checkIdleTimeout(a['idle-timeout']))
            .example('$0 send a.pdf pics/ --to 10.0.0.5:7878', 'Send a file and a directory; type the code the receiver shows when asked')
            .example('$0 send a.pdf --relay 192.0.2.1:7879', 'Through a relay; type the code when asked, or set SEALDROP_CODE (a --code would be in the process list for every user to see)')
            .example('$0 send a.pdf --wait --relay 192.0.2.1:7879', 'Go first: show a code and wait for `sealdrop receive --join`'),
        (a) => run(async (out) => (await import('./commands/send.js')).runSend({ ...a, paths: withStdinDash(argv, a.paths), idleTimeout: a['idle-timeout'], busyWait: a['busy-wait'], handshakeTimeout: a['handshake-timeout'] }, out), a),
      )
      .command(
        'chat',
        'Chat with another person, or host a room: whoever goes first is shown a code, the others join with it (--join)',
        (y) =>
          y
            .option('join', { type: 'boolean', default: false, describe: 'The other side went first: join its chat or room with its code, through the relay or at --to' })
            .option('to', { type: 'string', describe: 'Join the chat or room waiting there, as HOST:PORT (a direct connection)' })
            .option('relay', RELAY_OPTION)
            .option('wait', { type: 'boolean', default: false, describe: 'Go first (the default without --join or --to): show a code and wait, on the relay or directly on --port' })
            .option('port', { alias: 'p', type: 'number', describe: `When going first: TCP port to listen on, directly (default ${DEFAULT_PORT}; 0 picks a free one)` })
            .option('host', { type: 'string', describe: `When going first: address to listen on, directly (default ${DEFAULT_LISTEN_HOST})` })
            .option('room', { type: 'boolean', default: false, describe: 'Host a room that any number of people join with the code; you read everything they write' })
            .option('name', { type: 'string', describe: 'The name the others see (default: your login name)' })
            .option('code', { type: 'string', describe: 'Use this code (visible in the process list; prefer SEALDROP_CODE)' })
            .option('busy-wait', BUSY_WAIT_OPTION)
            .option('handshake-timeout', HANDSHAKE_TIMEOUT_OPTION)
            .check((a) => a.port === undefined || checkPort(a.port))
            .example('$0 chat --name ana', `Go first as "ana": show a code, wait for the other person (on port ${DEFAULT_PORT}, or through ${RELAY_ENVIRONMENT_VARIABLE} if set), then chat; /quit or Ctrl-D ends it`)
            .example('$0 chat --join --relay 192.0.2.1:7879', 'Join through that relay with the code the other person shows (--join --to HOST:PORT joins one waiting on a port)')
            .example('$0 chat --room --relay 192.0.2.1:7879', 'Host a room there; everyone with the code joins with `sealdrop chat --join --relay 192.0.2.1:7879`'),
        (a) =>
          run(async (out) => {
            const { runChat } = await import('./commands/chat.js');
            return runChat({ to: a.to, relay: a.relay, wait: a.wait, join: a.join, port: a.port, host: a.host, busyWait: a['busy-wait'], room: a.room, name: a.name, code: a.code, json: a.json, handshakeTimeout: a['handshake-timeout'] }, out);
          }, a),
      )
      .command(
        'relay',
        'Run a relay (PROTOCOL.md section 9): pair two peers that both connect out and copy their sealed bytes; logs events as JSON lines on stdout (--quiet: no log)',
        (y) =>
          y
            .option('host', { type: 'string', default: '0.0.0.0', describe: 'Address to listen on' })
            .option('port', { alias: 'p', type: 'number', default: 7879, describe: 'TCP port to listen on (0 picks a free one)' })
            .option('ttl', { type: 'number', default: DEFAULT_RELAY_LIMITS.ttlMs / 1000, describe: `Seconds a nameplate is kept while its host has no connection there (at least ${MIN_TTL_SECONDS})` })
            .option('posted-wait', { type: 'number', default: DEFAULT_RELAY_LIMITS.postedWaitMs / 1000, describe: `Seconds a posted connection may wait for a guest (at least ${MIN_POSTED_WAIT_SECONDS})` })
            .option('pair-idle', { type: 'number', default: DEFAULT_RELAY_LIMITS.pairIdleMs / 1000, describe: `Seconds a pair may stay silent both ways before it is closed (at least ${MIN_PAIR_IDLE_SECONDS})` })
            .option('max-nameplates', { type: 'number', default: DEFAULT_RELAY_LIMITS.maxNameplates, describe: 'Nameplates held at once' })
            .option('max-connections', { type: 'number', default: DEFAULT_RELAY_LIMITS.maxConnections, describe: 'Open connections in all' })
            .option('max-connections-per-address', { type: 'number', default: DEFAULT_RELAY_LIMITS.maxConnectionsPerAddress, describe: 'Open connections from one source address' })
            .option('max-requests-per-minute', { type: 'number', default: DEFAULT_RELAY_LIMITS.maxRequestsPerAddressPerMinute, describe: 'Requests from one source address per minute' })
            .option('max-joins-per-minute', { type: 'number', default: DEFAULT_RELAY_LIMITS.maxPairingsPerNameplatePerMinute, describe: `Joins that pair, per nameplate per minute (at least ${MIN_PAIRINGS_PER_NAMEPLATE_PER_MINUTE})` })
            .option('max-bytes-per-pair', { type: 'number', describe: 'Bytes both ways after which a pair is closed (default: no limit)' })
            .option('grace', { type: 'number', default: 30, describe: 'Seconds running pairs may go on after SIGTERM or Ctrl-C' })
            .check((a) => checkPort(a.port) && checkRelayLimits(a))
            .example('$0 relay', 'Relay on every address, port 7879, logging JSON lines to stdout')
            .example('$0 relay --port 443 --max-bytes-per-pair 10000000000 --quiet', 'On port 443, cutting off a pair after 10 GB, with no log'),
        async (a) => {
          output = await Output.create({ quiet: a.quiet, json: a.json });
          const limits = {
            ttlMs: a.ttl * 1000,
            postedWaitMs: a['posted-wait'] * 1000,
            pairIdleMs: a['pair-idle'] * 1000,
            maxNameplates: a['max-nameplates'],
            maxConnections: a['max-connections'],
            maxConnectionsPerAddress: a['max-connections-per-address'],
            maxRequestsPerAddressPerMinute: a['max-requests-per-minute'],
            maxPairingsPerNameplatePerMinute: a['max-joins-per-minute'],
            maxBytesPerPair: a['max-bytes-per-pair'] ?? Infinity,
          };
          // Not raced with interruption(): a signal here is the graceful stop, and exits 0.
          await (await import('./commands/relay.js')).runRelay({ host: a.host, port: a.port, limits, graceSeconds: a.grace, quiet: a.quiet }, output);
        },
      )
      .command(
        'hash [files..]',
        'Print SHA-256 digests in the format of sha256sum, or check files against such a list',
        (y) =>
          y
            .positional('files', { type: 'string', array: true, default: [] as string[], describe: 'Files to hash' })
            .option('check', { alias: 'c', type: 'string', describe: 'Check the files this list names (sha256sum format; - for standard input)' })
            .check((a) => checkHashArguments(a.files, a.check))
            .example('$0 hash report.pdf', 'Print its SHA-256 line, as sha256sum does')
            .example('$0 hash --check received.sha256', 'Check the files a list names (written by sha256sum, send, or receive --sums); exit status 1 if any differs or is missing'),
        (a) =>
          run(async (out) => {
            const hash = await import('./commands/hash.js');
            return a.check === undefined ? hash.runHash(a.files, out) : hash.runHashCheck(a.check, out);
          }, a),
      )
      .completion('completion', 'Print a bash or zsh completion script (add it to ~/.bashrc or ~/.zshrc)')
      .demandCommand(1, 'Choose a command: receive, send, chat, relay, hash or completion')
      .strict()
      .help()
      .alias('help', 'h')
      .version(packageJson.version)
      .alias('version', 'V')
      .wrap(Math.min(100, process.stdout.columns ?? 100))
      .fail((message, error) => {
        throw error ?? new SealdropError('E_USAGE', `${message} (see sealdrop --help)`);
      })
      .parseAsync();
    return EXIT_OK;
  } catch (error) {
    return reportFailure(error, output);
  }
}

const IDLE_TIMEOUT_OPTION = {
  type: 'number',
  default: DEFAULT_IDLE_TIMEOUT_MS / 1000,
  describe: 'Seconds the other side may stay silent when it owes a reply (not while its person decides)',
} as const;

const RELAY_OPTION = {
  type: 'string',
  describe: `Meet the other side through this relay, as HOST:PORT (default: ${RELAY_ENVIRONMENT_VARIABLE}, unless an address option says direct)`,
} as const;

const BUSY_WAIT_OPTION = {
  type: 'number',
  default: DEFAULT_BUSY_RETRY_WINDOW_MS / 1000,
  describe: 'Seconds to keep trying, once a second, while the relay says the other side is busy with someone else',
} as const;

const HANDSHAKE_TIMEOUT_OPTION = {
  type: 'number',
  describe: `Seconds a connecting peer has to finish the handshake (default ${DEFAULT_HANDSHAKE_TIMEOUT_MS / 1000}; through a relay ${RELAY_HANDSHAKE_TIMEOUT_MS / 1000})`,
} as const;

function checkIdleTimeout(seconds: number): true {
  if (!(seconds > 0) || !Number.isFinite(seconds)) throw new SealdropError('E_USAGE', `--idle-timeout must be a number of seconds above 0, got ${seconds}`);
  return true;
}

/** Section 9's floors: ttl ≥ 60 s, a posted wait ≥ 10 min, a silent pair ≥ 15 min, ≥ 10 pairing joins a minute. */
function checkRelayLimits(a: Record<string, unknown>): true {
  const atLeast = (name: string, min: number, integer = false) => {
    const value = a[name] as number | undefined;
    if (value === undefined) return;
    if (!Number.isFinite(value) || value < min || (integer && !Number.isInteger(value))) {
      throw new SealdropError('E_USAGE', `--${name} must be ${integer ? 'a whole number' : 'a number'} of at least ${min}, got ${value}`);
    }
  };
  atLeast('ttl', MIN_TTL_SECONDS);
  atLeast('posted-wait', MIN_POSTED_WAIT_SECONDS);
  atLeast('pair-idle', MIN_PAIR_IDLE_SECONDS);
  atLeast('max-joins-per-minute', MIN_PAIRINGS_PER_NAMEPLATE_PER_MINUTE, true);
  for (const name of ['max-nameplates', 'max-connections', 'max-connections-per-address', 'max-requests-per-minute', 'max-bytes-per-pair']) atLeast(name, 1, true);
  atLeast('grace', 0);
  return true;
}

function checkHashArguments(files: readonly string[], check: string | undefined): true {
  if ((check === undefined) === (files.length === 0)) throw new SealdropError('E_USAGE', 'give either FILE... or --check LIST, not both and not neither');
  return true;
}

/** yargs drops a bare `-` argument; `sealdrop send -` means standard input (section 11), so put it back. */
function withStdinDash(argv: readonly string[], paths: readonly string[]): string[] {
  const afterCommand = argv.slice(argv.indexOf('send') + 1);
  return afterCommand.includes('-') ? [...paths, '-'] : [...paths];
}

function checkPort(port: number): true {
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new SealdropError('E_USAGE', `--port must be 0 to 65535, got ${port}`);
  return true;
}

process.exitCode = await main(process.argv.slice(2));
