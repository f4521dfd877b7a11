/** `sealdrop receive`: listen, show the code and the command for the other side, receive, verify. */
import { SealdropError } from '../../errors.js';
import { generateCode, normaliseCode } from '../../protocol/code.js';
import { assertStrongCode } from '../../protocol/code-strength.js';
import { forDisplay } from '../../protocol/display.js';
import { Intent } from '../../protocol/handshake-messages.js';
import { Destination } from '../../transport/destination.js';
import { Listener, type ListenerEvent } from '../../transport/listener.js';
import { isResumable, receiveTransfer, type FilesOfferSummary, type ReceiveResult } from '../../transport/receive-session.js';
import { joinHostPort, reachableAddresses } from '../addresses.js';
import { readCode } from '../code-input.js';
import { formatBytes, plural, sha256sumLine } from '../format.js';
import { onInterrupt } from '../interrupt.js';
import type { Output } from '../output.js';
import { canAsk, confirm } from '../prompt.js';

export interface ReceiveArguments {
  readonly port: number;
  readonly host: string;
  readonly out: string;
  readonly code?: string;
  readonly yes: boolean;
  readonly overwrite: boolean;
  readonly handshakeTimeout: number;
  /** Seconds a sender that owes a record may stay silent. */
  readonly idleTimeout: number;
}

/** How many offered paths are listed before "… and N more". */
const OFFER_LINES_SHOWN = 10;


export async function runReceive(args: ReceiveArguments, output: Output): Promise<void> {
  const given = await readCode(args.code, output, { prompt: false });
  const code = given?.text ?? generateCode();
  const codeBytes = given?.bytes ?? normaliseCode(code);
  const destination = await Destination.open(args.out, args.overwrite);
  // A chosen code guards the files as well as a generated one only if it takes as many guesses.
  if (given !== null) assertStrongCode(given.bytes);
  const listener = await Listener.open(args.host, args.port);
  const removeCleanup = onInterrupt(() => void listener.close());
  try {
    announce(code, args.host, listener.port, output);
    const result = await receiveUntilDone(listener, codeBytes, destination, args, output);
    report(result, destination.root, output);
  } finally {
    removeCleanup();
    output.finish();
    await listener.close();
  }
}

function announce(code: string, host: string, port: number, output: Output): void {
  output.essential(`Code: ${code}`);
  output.essential('On the other machine, run:');
  for (const address of reachableAddresses(host)) {
    output.essential(`  sealdrop send FILE... --to ${joinHostPort(address, port)} --code ${code}`);
  }
}

async function receiveUntilDone(listener: Listener, codeBytes: Buffer, destination: Destination, args: ReceiveArguments, output: Output): Promise<ReceiveResult> {
  for (;;) {
    output.spin('Waiting for the sender…');
    const connection = await listener.acceptSecure({
      codeBytes,
      intent: Intent.RECEIVE,
      handshakeTimeoutMs: args.handshakeTimeout * 1000,
      idleTimeoutMs: args.idleTimeout * 1000,
      onEvent: (event) => reportListenerEvent(event, output),
    });
    const removeCleanup = onInterrupt(() => connection.socket.destroy(new SealdropError('E_INTERRUPTED', 'interrupted')));
    output.info(`Secure connection established. Session fingerprint: ${connection.fingerprint} (the sender sees the same)`);
    try {
      return await receiveTransfer(connection, {
        destination,
        decide: (offer) => decide(offer, args.yes, output),
        onOffer: (offer) => describeOffer(offer, output),
        onProgress: (progress) => output.progress(progress),
      });
    } catch (error) {
      // A dropped connection or a sender that gave up leaves the code valid (section 7): wait for
      // the same send to be run again, which resumes. Anything else ends the receive.
      if (!(error instanceof SealdropError) || !isResumable(error) || error.code === 'E_INTERRUPTED') throw error;
      output.warn(`the transfer broke off (${error.code}: ${error.message}); nothing is under its final name, partial files are kept to resume. Waiting for the sender to try again (Ctrl-C to stop)`);
      listener.release();
    } finally {
      removeCleanup();
    }
  }
}

function reportListenerEvent(event: ListenerEvent, output: Output): void {
  if (event.type === 'connection') {
    output.spin(`Securing the connection from ${event.remote}…`);
    return;
  }
  const { error, attemptsLeft, remote } = event;
  const left = error.code === 'E_WRONG_CODE' ? ` (${plural(attemptsLeft, 'attempt')} left)` : '';
  output.warn(`connection from ${remote} failed: ${error.code}: ${error.message}${left}`);
  if (attemptsLeft > 0) output.spin('Waiting for the sender…');
}

function describeOffer(offer: FilesOfferSummary, output: Output): void {
  output.info(`Incoming: ${offer.name} (${plural(offer.files.length, 'file')}, ${formatBytes(offer.totalBytes)})`);
  for (const file of offer.files.slice(0, OFFER_LINES_SHOWN)) output.info(`  ${forDisplay(file.path)}  ${formatBytes(file.size)}`);
  if (offer.files.length > OFFER_LINES_SHOWN) output.info(`  … and ${offer.files.length - OFFER_LINES_SHOWN} more`);
}

async function decide(offer: FilesOfferSummary, yes: boolean, output: Output): Promise<boolean> {
  if (yes) return true;
  if (!canAsk()) {
    output.warn('no terminal to ask whether to accept: declining (run with --yes to accept without asking)');
    return false;
  }
  return confirm(`Accept ${plural(offer.files.length, 'file')} (${formatBytes(offer.totalBytes)})?`);
}

function report(result: ReceiveResult, root: string, output: Output): void {
  output.finish();
  switch (result.kind) {
    case 'declined':
      throw new SealdropError('E_DECLINED', `declined ${result.name}; the code is spent`);
    case 'text':
      // Line breaks are ours to draw (one result line each); every other control is replaced.
      for (const line of result.text.split(/\r?\n/)) output.result(forDisplay(line));
      output.jsonResult({ ok: true, kind: 'text', text: result.text });
      return;
    case 'files':
      for (const file of result.files) output.result(sha256sumLine(file.sha256, file.path));
      output.info(`Received and verified ${plural(result.files.length, 'file')} (${formatBytes(result.totalBytes)}) in ${root}`);
      output.jsonResult({ ok: true, kind: 'files', destination: root, totalBytes: result.totalBytes, files: result.files.map(({ path, size, sha256 }) => ({ path, size, sha256 })) });
  }
}
