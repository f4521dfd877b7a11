/**
 * `sealdrop send`: files, directories, a text, or standard input (`-`, a stream), to a receiver
 * that went first (--to, or through a relay), or with --wait to one that joins later.
 */
import { SealdropError } from '../../errors.js';
import { findPathViolation, streamNameViolation } from '../../protocol/paths.js';
import { Intent } from '../../protocol/handshake-messages.js';
import { collectLocalFiles, type LocalSelection } from '../../files/local-files.js';
import { LocalFilesSource } from '../../files/local-source.js';
import { openSecureChannel, type SecureChannel } from '../../channel/secure-channel.js';
import { ReadableSource } from '../../pipes/readable-source.js';
import { sendFiles, sendStream, sendText } from '../../session/send-session.js';
import { Gate } from '../../session/gate.js';
import { sendWithRetries } from '../../session/send-retries.js';
import { assertStrongCode } from '../../protocol/code-strength.js';
import { readCode } from '../code-input.js';
import { announceHosting, reportBusy, reportGateEvent, reportRoute } from '../meeting-output.js';
import { planMeeting } from '../rendezvous.js';
import { formatBytes, plural, sha256sumLine } from '../format.js';
import { onInterrupt } from '../interrupt.js';
import type { Output } from '../output.js';

export interface SendArguments {
  readonly paths: readonly string[];
  readonly text?: string;
  /** The name of the stream that `-` sends (section 11); STDIN_STREAM_NAME by default. */
  readonly name?: string;
  /** The receiver went first: HOST:PORT to connect to directly. */
  readonly to?: string;
  /** Through this relay (HOST:PORT), else SEALDROP_RELAY, unless an address option says direct. */
  readonly relay?: string;
  /** This side goes first: show a code and wait for the receiver (on the relay, or on --port). */
  readonly wait?: boolean;
  readonly port?: number;
  readonly host?: string;
  /** Seconds to keep trying while the relay says the receiver is busy with someone else. */
  readonly busyWait?: number;
  /** With --wait: seconds a connecting receiver has to finish the handshake (30; through a relay 10). */
  readonly handshakeTimeout?: number;
  readonly code?: string;
  /** Seconds a receiver that owes a record may stay silent. */
  readonly idleTimeout: number;
}

/** What the receiver is shown, and saves the stream as, when `-` comes without --name. */
export const STDIN_STREAM_NAME = 'stdin';

export async function runSend(args: SendArguments, output: Output): Promise<void> {
  const meeting = planMeeting({ goesFirst: args.wait ?? false, relay: args.relay, peer: args.to, peerOption: '--to', port: args.port, host: args.host, busyWaitSeconds: args.busyWait });
  if ((args.text === undefined) === (args.paths.length === 0)) {
    throw new SealdropError('E_USAGE', 'give either PATH... or --text "message", not both and not neither');
  }
  // Everything local is checked before connecting, so no attempt is spent on a typo.
  const streamName = checkStreamArguments(args);
  const selection = args.text === undefined && streamName === null ? await selectFiles(args.paths, output) : null;
  const given = await readCode(args.code, output, { prompt: meeting.role === 'guest' });
  if (meeting.role === 'guest') meeting.check(given!.bytes);
  else if (given !== null) assertStrongCode(given.bytes);
  const deliver = (channel: SecureChannel) => deliverTo(channel, { text: args.text, streamName, selection }, output);

  const interrupted = new AbortController();
  let stopHosting: () => Promise<void> = async () => undefined;
  const removeCleanup = onInterrupt(() => {
    interrupted.abort(new SealdropError('E_INTERRUPTED', 'interrupted'));
    void stopHosting();
  });
  try {
    const channelOptions = { intent: Intent.SEND, idleTimeoutMs: args.idleTimeout * 1000, signal: interrupted.signal };
    if (meeting.role === 'guest') {
      output.spin(meeting.route.via === 'direct' ? `Connecting to ${args.to}…` : 'Connecting to the receiver…');
      const stream = await meeting.connect(given!.bytes, () => reportBusy(output)).catch((error: unknown) => {
        throw withReceiveHint(error);
      });
      reportRoute(meeting.route, output);
      output.spin('Securing the connection…');
      const channel = await openSecureChannel(stream, { role: 'initiator', codeBytes: given!.bytes, ...channelOptions });
      reportSecured(channel, output);
      await deliver(channel);
      return;
    }
    const hosting = await meeting.open(given);
    stopHosting = () => hosting.close();
    announceHosting(hosting, 'sealdrop receive --join', '--from', output);
    const gate = new Gate(hosting.incoming, {
      codeBytes: hosting.codeBytes,
      handshakeTimeoutMs: (args.handshakeTimeout ?? hosting.handshakeTimeoutMs / 1000) * 1000,
      ...channelOptions,
      onEvent: (event) => reportGateEvent(event, 'receiver', output),
    });
    // A stream never resumes (section 11): what was read of standard input is gone.
    await sendWithRetries(gate, deliver, { resumable: streamName === null }, {
      onWaiting: () => output.spin('Waiting for the receiver…'),
      onSecured: (channel) => reportSecured(channel, output),
      onBrokeOff: (error) => {
        output.warn(`the transfer broke off (${error.code}: ${error.message}); the code is still valid: waiting for the receiver to join again, which resumes (Ctrl-C to stop)`);
        output.event('broke-off', { code: error.code, message: error.message });
      },
    });
  } finally {
    removeCleanup();
    output.finish();
    await stopHosting();
  }
}

function reportSecured(channel: SecureChannel, output: Output): void {
  output.info(`Secure connection established. Session fingerprint: ${channel.fingerprint} (the receiver sees the same)`);
  output.event('secured', { fingerprint: channel.fingerprint });
}

/** What goes out: standard input, a text, or the selected files. */
interface Delivery {
  readonly text: string | undefined;
  readonly streamName: string | null;
  readonly selection: LocalSelection | null;
}

async function deliverTo(channel: SecureChannel, { text, streamName, selection }: Delivery, output: Output): Promise<void> {
  output.spin('Waiting for the receiver to accept…');
  if (streamName !== null) {
    await sendStdin(channel, streamName, output);
    return;
  }
  if (selection === null) {
    await sendText(channel, text!);
    output.finish();
    output.info('Text delivered.');
    output.jsonResult({ ok: true, kind: 'text' });
    return;
  }
  const sent = await sendFiles(channel, new LocalFilesSource(selection), {
    onAccepted: () => {
      output.spin('Accepted; sending…');
      output.event('accepted');
    },
    onProgress: (progress) => output.progress(progress),
  });
  output.finish();
  // The receiver's RECEIPT confirmed every file's SHA-256 at once (section 6 step 4).
  for (const { path, size, sha256 } of sent) output.event('verified', { path, size, sha256 });
  for (const file of sent) output.result(sha256sumLine(file.sha256, file.path));
  output.info(`Sent ${plural(sent.length, 'file')} (${formatBytes(selection.totalBytes)}); the receiver verified every SHA-256.`);
  output.jsonResult({ ok: true, kind: 'files', totalBytes: selection.totalBytes, files: sent });
}

/**
 * `-` alone sends standard input as a stream (section 11), under --name; the name obeys the path
 * rules with a single segment, checked here as the receiver will. Null when sending files or a text.
 */
function checkStreamArguments(args: SendArguments): string | null {
  if (!args.paths.includes('-')) {
    if (args.name !== undefined) throw new SealdropError('E_USAGE', '--name names the stream of `sealdrop send -`; files keep their own names');
    return null;
  }
  if (args.paths.length > 1) throw new SealdropError('E_USAGE', '`-` (standard input) is sent alone, as one stream: give no other path with it');
  const name = args.name ?? STDIN_STREAM_NAME;
  const violation = streamNameViolation(name);
  if (violation !== null) throw new SealdropError('E_USAGE', `--name ${JSON.stringify(name)} cannot name a stream: ${violation.message} Give a plain file name.`);
  return name;
}

/**
 * Section 11: standard input to its end, read only as fast as the channel takes it. A stream
 * never resumes (what was read is gone), so a break-off is a failure to report, not to retry.
 */
async function sendStdin(channel: SecureChannel, name: string, output: Output): Promise<void> {
  const sent = await sendStream(channel, new ReadableSource(name, process.stdin), {
    onAccepted: () => output.spin('Accepted; sending standard input…'),
    onProgress: (progress) => output.progress(progress),
  });
  output.finish();
  output.result(sha256sumLine(sent.sha256, sent.path));
  output.info(`Sent standard input as ${sent.path} (${formatBytes(sent.size)}); the receiver verified its SHA-256.`);
  output.jsonResult({ ok: true, kind: 'stream', totalBytes: sent.size, files: [sent] });
}

/** Nobody listening there most often means no receive runs there yet: say which command to start. */
function withReceiveHint(error: unknown): unknown {
  const refused = error instanceof SealdropError && (error.cause as NodeJS.ErrnoException | undefined)?.code === 'ECONNREFUSED';
  return refused ? new SealdropError('E_CONNECT', `${error.message} (is \`sealdrop receive\` running on that port?)`, { cause: error }) : error;
}

async function selectFiles(paths: readonly string[], output: Output): Promise<LocalSelection> {
  const selection = await collectLocalFiles(paths, (message) => output.warn(message));
  // The receiver would refuse these names (section 5); say so now, naming the file.
  const violation = findPathViolation(selection.files.map((f) => f.path));
  if (violation) {
    throw new SealdropError('E_BAD_PATH', `cannot send ${selection.files[violation.index]!.sourcePath}: its name breaks the rule "${violation.rule}" of the protocol; rename it first`);
  }
  return selection;
}
