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
      .option('json', { type: 'boolean', default: false, describe: 'Print one JSON object with the result on stdout' })
      .command(
        'receive',
        'Wait for a sender: print a one-time code and the command to run on the other machine',
        (y) =>
          y
            .option('port', { alias: 'p', type: 'number', default: 7878, describe: 'TCP port to listen on (0 picks a free one)' })
            .option('host', { type: 'string', default: '0.0.0.0', describe: 'Address to listen on' })
            .option('out', { alias: 'o', type: 'string', default: '.', describe: 'Directory to save received files in' })
            .option('code', { type: 'string', describe: 'Use this code instead of a generated one (visible in the process list; prefer SEALDROP_CODE)' })
            .option('yes', { alias: 'y', type: 'boolean', default: false, describe: 'Accept the offer without asking' })
            .option('overwrite', { type: 'boolean', default: false, describe: 'Replace existing files (atomically, after verification)' })
            .option('merge', { type: 'boolean', default: false, describe: 'Let the offer write into directories that exist and create hidden (dot) top-level entries' })
            .option('stdout', { type: 'boolean', default: false, describe: 'Write a received stream, or a single file, to standard output (messages go to stderr)' })
            .option('handshake-timeout', { type: 'number', default: DEFAULT_HANDSHAKE_TIMEOUT_MS / 1000, describe: 'Seconds a connecting peer has to finish the handshake' })
            .option('idle-timeout', IDLE_TIMEOUT_OPTION)
            .check((a) => checkPort(a.port) && checkIdleTimeout(a['idle-timeout'])),
        (a) => run(async (out) => (await import('./commands/receive.js')).runReceive({ ...a, handshakeTimeout: a['handshake-timeout'], idleTimeout: a['idle-timeout'] }, out), a),
      )
      .command(
        'send [paths..]',
        'Send files, directories or a text message to a waiting receiver',
        (y) =>
          y
            .positional('paths', { type: 'string', array: true, default: [] as string[], describe: 'Files and directories to send; - alone sends standard input as a stream' })
            .option('to', { type: 'string', demandOption: true, describe: 'The receiver, as HOST:PORT' })
            .option('code', { type: 'string', describe: 'The code the receiver shows (else SEALDROP_CODE, else asked)' })
            .option('text', { alias: 't', type: 'string', describe: 'Send this text message instead of files' })
            .option('name', { type: 'string', describe: 'With -: the name the receiver sees, and saves the stream as (default: stdin)' })
            .option('idle-timeout', IDLE_TIMEOUT_OPTION)
            .check((a) => checkIdleTimeout(a['idle-timeout'])),
        (a) => run(async (out) => (await import('./commands/send.js')).runSend({ paths: withStdinDash(argv, a.paths), to: a.to, code: a.code, text: a.text, name: a.name, idleTimeout: a['idle-timeout'] }, out), a),
      )
      .command(
        'hash <files..>',
        'Print SHA-256 digests in the format of sha256sum',
        (y) => y.positional('files', { type: 'string', array: true, demandOption: true }),
        (a) => run(async (out) => (await import('./commands/hash.js')).runHash(a.files, out), a),
      )
      .demandCommand(1, 'Choose a command: receive, send or hash')
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

function checkIdleTimeout(seconds: number): true {
  if (!(seconds > 0) || !Number.isFinite(seconds)) throw new SealdropError('E_USAGE', `--idle-timeout must be a number of seconds above 0, got ${seconds}`);
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
