/**
 * `sealdrop receive`: listen, show the code and the command for the other side, receive, verify;
 * into a directory, or with --stdout (section 11) a stream or a single file to standard output.
 */
import { SealdropError } from '../../errors.js';
import { assertStrongCode } from '../../protocol/code-strength.js';
import { forDisplay } from '../../protocol/display.js';
import { Intent } from '../../protocol/handshake-messages.js';
import { DirectorySink } from '../../files/directory-sink.js';
import { SumsFile } from '../../files/sums-file.js';
import { WritableSink } from '../../pipes/writable-sink.js';
import { openSecureChannel, type SecureChannel } from '../../channel/secure-channel.js';
import { Gate } from '../../session/gate.js';
import { isHiddenName, needingLeave, shownNames, type TopLevelFacts } from '../../protocol/top-level.js';
import { OfferRefused, receiveTransfer, type OfferAnswer, type OfferToDecide, type ReceiveOptions, type ReceiveResult } from '../../session/receive-session.js';
import { receiveWithRetries } from '../../session/receive-retries.js';
import { readCode } from '../code-input.js';
import { announceHosting, reportBusy, reportGateEvent, reportRoute } from '../meeting-output.js';
import { planMeeting } from '../rendezvous.js';
import { formatBytes, plural, sha256sumLine } from '../format.js';
import { finishWithoutInterruption, onInterrupt } from '../interrupt.js';
import type { Output } from '../output.js';
import { canAsk, confirm } from '../prompt.js';

export interface ReceiveArguments {
  /** Where to listen (direct, when this side goes first); undefined when not given (see rendezvous.ts). */
  readonly port?: number;
  readonly host?: string;
  /** Through this relay (HOST:PORT), else SEALDROP_RELAY, unless an address option says direct. */
  readonly relay?: string;
  /** The sender went first: join it (through the relay, or directly at --from HOST:PORT). */
  readonly join?: boolean;
  readonly from?: string;
  /** Seconds to keep trying while the relay says the sender is busy with someone else. */
  readonly busyWait?: number;
  readonly out: string;
  readonly code?: string;
  readonly yes: boolean;
  readonly overwrite: boolean;
  /** Lets an offer write into directories that exist and create hidden top-level entries (section 6 step 2). */
  readonly merge: boolean;
  /** Writes a stream or a single file to standard output; everything for the person goes to stderr. */
  readonly stdout?: boolean;
  /** The one JSON result on stdout: not with --stdout, whose stdout holds the data. */
  readonly json?: boolean;
  /** Seconds a connecting peer has to finish the handshake; by default 30, through a relay 10 (section 9). */
  readonly handshakeTimeout?: number;
  /** Seconds a sender that owes a record may stay silent. */
  readonly idleTimeout: number;
  /** Where to write the received files' sha256sum lines (a new file). */
  readonly sums?: string;
}

export async function runReceive(args: ReceiveArguments, output: Output): Promise<void> {
  const meeting = planMeeting({ goesFirst: !args.join, relay: args.relay, peer: args.from, peerOption: '--from', port: args.port, host: args.host, busyWaitSeconds: args.busyWait });
  if (args.stdout && args.json) throw new SealdropError('E_USAGE', '--stdout and --json both want standard output: choose one');
  const given = await readCode(args.code, output, { prompt: meeting.role === 'guest', from: 'sender' });
  if (meeting.role === 'guest') meeting.check(given!.bytes);
  const destination = args.stdout ? null : await DirectorySink.open(args.out, args.overwrite);
  const where = destination?.root ?? null;
  // A chosen code guards the files as well as a generated one only if it takes as many guesses.
  if (meeting.role === 'host' && given !== null) assertStrongCode(given.bytes);
  const sums = args.sums === undefined ? null : await SumsFile.create(args.sums);
  const transfer: ReceiveOptions = {
    sink: destination ?? new WritableSink(process.stdout),
    decide: (offer) => decide(offer, args, output),
    onOffer: (offer) => describeOffer(offer, where, output),
    onProgress: (progress) => output.progress(progress),
    onFinishing: finishWithoutInterruption,
  };
  const interrupted = new AbortController();
  let stopHosting: () => Promise<void> = async () => undefined;
  const removeCleanup = onInterrupt(() => {
    interrupted.abort(new SealdropError('E_INTERRUPTED', 'interrupted'));
    void stopHosting();
  });
  try {
    const channelOptions = { idleTimeoutMs: args.idleTimeout * 1000, signal: interrupted.signal };
    let result: ReceiveResult;
    if (meeting.role === 'guest') {
      output.spin('Connecting to the sender…');
      const stream = await meeting.connect(given!.bytes, () => reportBusy(output));
      reportRoute(meeting.route, output);
      output.spin('Securing the connection…');
      const channel = await openSecureChannel(stream, { role: 'initiator', intent: Intent.RECEIVE, codeBytes: given!.bytes, ...channelOptions });
      reportSecured(channel, output);
      result = await receiveTransfer(channel, transfer);
    } else {
      const hosting = await meeting.open(given);
      stopHosting = () => hosting.close();
      announceHosting(hosting, 'sealdrop send FILE...', '--to', output);
      const gate = new Gate(hosting.incoming, {
        codeBytes: hosting.codeBytes,
        intent: Intent.RECEIVE,
        handshakeTimeoutMs: (args.handshakeTimeout ?? hosting.handshakeTimeoutMs / 1000) * 1000,
        ...channelOptions,
        onEvent: (event) => reportGateEvent(event, 'sender', output),
      });
      result = await receiveWithRetries(gate, transfer, {
        onWaiting: () => output.spin('Waiting for the sender…'),
        onSecured: (channel) => reportSecured(channel, output),
        onRefused: (refusal, refusalsLeft) => reportRefusedOffer(refusal, refusalsLeft, output),
        onBrokeOff: (error, partsKept) => {
          const left = partsKept ? 'partial files are kept to resume' : 'the stream cannot resume, so its part is discarded';
          output.warn(`the transfer broke off (${error.code}: ${error.message}); nothing is under its final name, ${left}. Waiting for the sender to try again (Ctrl-C to stop)`);
          output.event('broke-off', { code: error.code, message: error.message, partsKept });
        },
      });
    }
    await stopHosting(); // the code is spent: a relay forgets the nameplate now
    await report(result, where, sums, output);
  } finally {
    removeCleanup();
    output.finish();
    await stopHosting();
    await sums?.abandon();
  }
}

function reportSecured(channel: SecureChannel, output: Output): void {
  output.info(`Secure connection established. Session fingerprint: ${channel.fingerprint} (the sender sees the same)`);
  output.event('secured', { fingerprint: channel.fingerprint });
}

/**
 * Section 6 step 2: a refused offer leaves the code valid for a corrected one. The person sees why
 * it was refused (the sender may have been told only the code, so the person may have to tell
 * them more); receiveWithRetries spends the code at the MAX_REFUSED_OFFERS-th refusal.
 */
function reportRefusedOffer(refusal: OfferRefused, left: number, output: Output): void {
  output.warn(`refused the offer: ${refusal.code}: ${refusal.message}`);
  output.warn(`the sender was told it was refused (${refusal.code}); the code is still valid: waiting for a corrected offer (Ctrl-C to stop; ${plural(left, 'more refused offer')} ${left === 1 ? 'spends' : 'spend'} the code)`);
  output.event('refused', { code: refusal.code, message: refusal.message, refusalsLeft: left });
}

/**
 * Section 6 step 2: every top-level entry of the offer and which exist here, whatever --quiet or
 * --json say. The offer's name is only what the sender calls it; these are what lands.
 */
function describeOffer(offer: OfferToDecide, root: string | null, output: Output): void {
  const count = offer.topLevel.length;
  if (offer.kind === 'stream') output.essential(`Incoming stream: ${offer.name} (its size is known only at its end)`);
  else output.essential(`Incoming: ${offer.name} (${plural(offer.files.length, 'file')}, ${formatBytes(offer.totalBytes)})`);
  if (root === null) {
    if (offer.files.length === 1) output.essential('It goes to standard output as it arrives.');
    return;
  }
  if (offer.kind === 'stream') {
    output.essential(`It is saved as ${shownNames(offer.topLevel)} in ${forDisplay(root)}${entryNotes(offer.topLevel[0]!)}`);
    return;
  }
  output.essential(`It puts ${count} top-level ${count === 1 ? 'entry' : 'entries'} into ${forDisplay(root)}:`);
  for (const entry of offer.topLevel) output.essential(`  ${describeEntry(entry)}`);
  output.event('offer', { name: offer.name, fileCount: offer.files.length, totalBytes: offer.totalBytes, topLevel: topLevelForJson(offer.topLevel) });
}

/** The top-level entries as --json shows them, in the offer event and the result. */
function topLevelForJson(entries: readonly TopLevelFacts[]): object[] {
  return entries.map(({ name, isDirectory, fileCount, totalBytes, exists }) => ({ name, isDirectory, fileCount, totalBytes, existed: exists }));
}

function describeEntry(entry: TopLevelFacts): string {
  const size = entry.isDirectory ? `${plural(entry.fileCount, 'file')}, ${formatBytes(entry.totalBytes)}` : formatBytes(entry.totalBytes);
  return `${shownNames([entry])}  ${size}${entryNotes(entry)}`;
}

/** What the person must know of a top-level name: that it exists here, that it is hidden. */
function entryNotes(entry: TopLevelFacts): string {
  const notes = [
    entry.createdByEarlierAttempt ? 'created by an earlier attempt of this transfer' : entry.exists ? 'ALREADY EXISTS here' : '',
    isHiddenName(entry.name) ? 'hidden' : '',
  ].filter(Boolean);
  return notes.length > 0 ? `  (${notes.join(', ')})` : '';
}

async function decide(offer: OfferToDecide, args: ReceiveArguments, output: Output): Promise<OfferAnswer> {
  if (args.stdout && offer.files.length > 1) {
    output.warn(`--stdout takes a stream or a single file, and this offer holds ${plural(offer.files.length, 'file')}: declining (receive them without --stdout, or have the sender pipe an archive: tar c DIR | sealdrop send -)`);
    return 'decline';
  }
  const accepted: OfferAnswer = args.merge ? 'merge' : 'accept';
  // With --yes alone, the session refuses an offer that needs leave: --yes was given before anyone saw it.
  if (args.yes) return accepted;
  if (!canAsk()) {
    output.warn('no terminal to ask whether to accept: declining (run with --yes to accept without asking)');
    return 'decline';
  }
  const what = offer.kind === 'stream' ? `the stream ${offer.name}` : `${plural(offer.files.length, 'file')} (${formatBytes(offer.totalBytes)})`;
  const { hidden, existingDirectories } = needingLeave(offer.topLevel);
  if (args.merge || hidden.length + existingDirectories.length === 0) return (await confirm(`Accept ${what}?`)) ? accepted : 'decline';
  // A yes counts as leave only to a question that named what it allows.
  const newHidden = hidden.filter((entry) => !existingDirectories.includes(entry));
  const allows = [
    existingDirectories.length > 0 ? `writes into existing ${shownNames(existingDirectories)}` : '',
    newHidden.length > 0 ? `creates hidden ${shownNames(newHidden)}` : '',
  ].filter(Boolean);
  return (await confirm(`The offer ${allows.join(', and ')}. Accept ${what} and merge?`)) ? 'merge' : 'decline';
}

async function report(result: ReceiveResult, root: string | null, sums: SumsFile | null, output: Output): Promise<void> {
  output.finish();
  switch (result.kind) {
    case 'declined':
      throw new SealdropError('E_DECLINED', `declined ${result.name}; the code is spent`);
    case 'text':
      // Line breaks are ours to draw (one result line each); every other control is replaced.
      for (const line of result.text.split(/\r?\n/)) output.result(forDisplay(line));
      if (sums !== null) output.warn(`a text arrived, not files: no list written to ${sums.path}`);
      output.jsonResult({ ok: true, kind: 'text', text: result.text });
      return;
    case 'files':
    case 'stream':
      // Every file lands or none does: each is verified and under its name only now.
      for (const { path, size, sha256 } of result.files) output.event('verified', { path, size, sha256 });
      // With --stdout, standard output holds the data: the hash lines, for the person, go to stderr.
      for (const file of result.files) (root === null ? output.essential.bind(output) : output.result.bind(output))(sha256sumLine(file.sha256, file.path));
      await sums?.write(result.files.map((file) => sha256sumLine(file.sha256, file.path)));
      output.info(`Received and verified ${result.kind === 'stream' ? 'the stream' : plural(result.files.length, 'file')} (${formatBytes(result.totalBytes)}) ${root === null ? 'to standard output' : `in ${root}`}`);
      if (!result.receiptSent) output.warn('the connection ended before the sender could be told: it will report that the transfer failed, though every file arrived, verified');
      output.jsonResult({
        ok: true,
        kind: result.kind,
        destination: root,
        totalBytes: result.totalBytes,
        files: result.files.map(({ path, size, sha256 }) => ({ path, size, sha256 })),
        // What the person was shown before accepting (section 6 step 2), for a script to check.
        topLevel: topLevelForJson(result.topLevel),
      });
  }
}
