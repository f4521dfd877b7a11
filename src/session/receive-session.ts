/**
 * The receiving side of a transfer (PROTOCOL.md section 6), after the handshake: read the offer,
 * check it against the path rules and the sink, ask, offer to resume what an earlier transfer
 * left, then take each entry through records → hash → sink with backpressure, and commit only
 * after DONE.
 */
import type { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { SealdropError } from '../errors.js';
import { partsLength } from '../protocol/byte-parts.js';
import { forDisplay } from '../protocol/display.js';
import type { HashedPrefix } from '../protocol/hashed-prefix.js';
import { encodeAccept, parseFileEnd, parseFileStart, parseOffer, parseOfferContinuation, type FileEntry, type Offer, type OfferContinuation, type StreamOffer } from '../protocol/messages.js';
import { OfferPathChecker, describePathViolation, streamNameViolation } from '../protocol/paths.js';
import { RecordType, recordTypeName } from '../protocol/records.js';
import type { TopLevelFacts } from '../protocol/top-level.js';
import { HashTap } from './hash-tap.js';
import type { EntrySink } from './sink.js';
import { PeerStopped, type SecureChannel } from '../channel/secure-channel.js';
import type { TransferProgress } from './progress.js';

/** Receiver limits (section 7, E_TOO_LARGE): more entries than this is refused before any work. */
export const MAX_OFFER_FILES = 1_000_000;

/**
 * The bodies of an offer's OFFER records together (section 5: "a receiver may refuse an offer
 * whose records together exceed a limit it sets"). What the receiver holds of an offer before
 * anyone is asked grows with it: its entries (about 150 bytes each in memory) and the checker's
 * tree. 16 MiB is some 200,000 entries of ordinary paths (80 bytes of JSON each), 400,000 at most.
 */
export const DEFAULT_MAX_OFFER_BYTES = 16 * 1024 * 1024;

/**
 * Distinct file and directory names of an offer, which the path checker keeps (about 54 bytes
 * each): bytes alone do not bound them, since deep paths of 1-byte segments hold a name in every
 * 2 bytes. This many cost some 54 MB.
 */
export const MAX_OFFER_NAMES = 1_000_000;

/**
 * Section 11: a stream declares no size, so the receiver's own limit holds as bytes arrive
 * (E_TOO_LARGE). None by default (the disk's room, E_NO_SPACE, is the limit of a saved stream);
 * a caller may set one.
 */
export const DEFAULT_MAX_STREAM_BYTES = Number.MAX_SAFE_INTEGER;

/** Section 11: the mode of a stream saved as a file, before the umask (as a file a shell redirect creates). */
export const STREAM_FILE_MODE = 0o666;

const RESUMABLE_CODES: ReadonlySet<string> = new Set(['E_CONNECT', 'E_TIMEOUT', 'E_INTERRUPTED']);

/** The codes with which the receiver's own rules refuse an offer (section 8): its paths, a limit, the disk. */
const REFUSAL_CODES: ReadonlySet<string> = new Set(['E_BAD_PATH', 'E_EXISTS', 'E_NO_SPACE', 'E_TOO_LARGE']);

/**
 * An offer the receiver's rules refused before ACCEPT, with the refusal's code and message. It was
 * answered with ERROR, not DECLINE, so "the code stays valid for a corrected offer" (section 6
 * step 2): nothing of it was written, and the caller may wait for the sender to try again. Any
 * failure after ACCEPT, or the sender's own ERROR, is not one.
 */
export class OfferRefused extends SealdropError {}

/**
 * Refused offers after which the code is spent, as after a DECLINE. Every refusal tells a sender
 * who knows the code a fact about the destination even though it learns only the code (E_EXISTS:
 * something it offered is there; E_NO_SPACE: there is less room than it asked for), so a sender
 * that could offer again without end could map the destination, probe by probe. Three, like the
 * wrong codes of section 7, leave room to correct a mistake or two.
 */
export const MAX_REFUSED_OFFERS = 3;

/**
 * Failures that leave the code valid and the part files worth keeping for a resume: the
 * connection dropped, or the sender went silent (E_TIMEOUT: a connection lost without a reset
 * looks just like that), the sender gave up (its own ERROR), or the person pressed Ctrl-C. Anything
 * else (a protocol breach, a hash mismatch, a refusal) discards what this transfer wrote.
 */
export function isResumable(error: SealdropError): boolean {
  return !(error instanceof StreamBrokeOff) && (error instanceof PeerStopped || error instanceof StreamPartDiscarded || RESUMABLE_CODES.has(error.code));
}

/**
 * Section 11: a stream saved as a file that broke off leaves the code valid like any transfer, but
 * its part is discarded, not kept: a stream never resumes, so the next attempt starts it over.
 */
export class StreamPartDiscarded extends SealdropError {}

/**
 * Section 11: a transfer into a sink that passes bytes on as they come (stdout) that broke off,
 * however, is the end of the receive: a second attempt would follow the first one's partial output.
 */
export class StreamBrokeOff extends SealdropError {}

export interface FilesOfferSummary {
  /** A stream (section 11) is one entry, named after it, whose size (0 here) is known only at its end. */
  readonly kind: 'files' | 'stream';
  readonly name: string;
  readonly files: readonly FileEntry[];
  readonly totalBytes: number;
}

/** An offer as the person is asked about it: with its top-level entries (section 6 step 2). */
export interface OfferToDecide extends FilesOfferSummary {
  readonly topLevel: readonly TopLevelFacts[];
}

/**
 * The person's answer: decline, accept, or accept and also allow what section 6 step 2 guards
 * (writing into directories that existed before, creating hidden top-level entries). Only
 * `merge` allows those: an offer that needs them and is only accepted is refused.
 */
export type OfferAnswer = 'decline' | 'accept' | 'merge';

export interface ReceivedFile {
  readonly path: string;
  readonly size: number;
  readonly sha256: string;
}

export type ReceiveResult =
  | {
      readonly kind: 'files' | 'stream';
      readonly name: string;
      readonly files: readonly ReceivedFile[];
      readonly totalBytes: number;
      readonly topLevel: readonly TopLevelFacts[];
      /** False if the RECEIPT could not go out: the files landed, but the sender cannot know. */
      readonly receiptSent: boolean;
    }
  | { readonly kind: 'text'; readonly text: string }
  | { readonly kind: 'declined'; readonly name: string };

export interface ReceiveOptions {
  /** Where the entries go (the CLI's destination directory); also asked whether the offer fits. */
  readonly sink: EntrySink;
  /** Asks the person (or answers for them). Only called for file offers. */
  readonly decide: (offer: OfferToDecide) => Promise<OfferAnswer>;
  readonly onOffer?: (offer: OfferToDecide) => void;
  readonly onProgress?: (progress: TransferProgress) => void;
  /**
   * Called once DONE has arrived on a connection still up, just before the files land: from here
   * the transfer finishes by itself, landed or rolled back, whatever becomes of the connection.
   * The CLI stops a Ctrl-C from cutting it in two there.
   */
  readonly onFinishing?: () => void;
  /** Refuse (E_TOO_LARGE) an offer whose OFFER bodies together exceed this; DEFAULT_MAX_OFFER_BYTES. */
  readonly maxOfferBytes?: number;
  /** Stop (E_TOO_LARGE) a stream once more than this many bytes arrived; DEFAULT_MAX_STREAM_BYTES. */
  readonly maxStreamBytes?: number;
}

export async function receiveTransfer(connection: SecureChannel, options: ReceiveOptions): Promise<ReceiveResult> {
  const { sink } = options;
  // From the first look at the destination until ACCEPT, a refusal's details (which path exists,
  // the free space, a link found here) are for the person only: the peer learns the code.
  let refusalIsPrivate = false;
  let accepted = false;
  let isStream = false;
  try {
    const firstBody = await connection.expect(RecordType.OFFER);
    const offer = parseOffer(firstBody);
    if (offer.kind === 'text') return await receiveText(connection, offer.text, options);
    if (offer.kind === 'chat') throw new SealdropError('E_PROTOCOL', 'the peer offered a chat to a receiver');

    isStream = offer.kind === 'stream';
    const summary = offer.kind === 'stream' ? streamSummary(offer) : await readWholeOffer(connection, offer, firstBody.length, options.maxOfferBytes ?? DEFAULT_MAX_OFFER_BYTES);
    refusalIsPrivate = true;
    await sink.checkOffer(summary.files, summary.totalBytes);
    const toDecide: OfferToDecide = { ...summary, topLevel: sink.describeTopLevel(summary.files) };
    options.onOffer?.(toDecide);
    const answer = await options.decide(toDecide);
    if (answer === 'decline') {
      await connection.sendJson(RecordType.DECLINE, { reason: 'the receiver declined the offer' });
      await connection.close();
      return { kind: 'declined', name: summary.name };
    }
    // Only an accepted offer writes, so only it takes the locks: an offer of a million paths
    // costs no files before the person has said yes, and a prompt holds no lock.
    await sink.claim(summary.files);
    await sink.admit(summary.files, answer === 'merge');
    // Section 11: a stream never resumes (ACCEPT's resume stays empty).
    const resumable = isStream ? new Map<number, HashedPrefix>() : await findResumable(sink, summary.files);
    // Section 6: a MAC under k_resume proves each kept prefix; its plain SHA-256 would let a
    // sender lacking those bytes extend the hash past them, and the receiver land the result.
    const resume = [...resumable].map(([index, prefix]) => ({
      index,
      offset: prefix.bytes,
      mac: connection.resumeMac(index, prefix.bytes, prefix.hash.copy().digest()).toString('hex'),
    }));
    await connection.send(RecordType.ACCEPT, encodeAccept(resume));
    refusalIsPrivate = false;
    accepted = true;

    const received: ReceivedFile[] = [];
    if (isStream) received.push(await receiveStream(connection, summary.files[0]!, options));
    const progress = { totalBytes: summary.totalBytes, doneBytes: 0 };
    for (const [index, entry] of isStream ? [] : summary.files.entries()) {
      const start = parseFileStart(await connection.expect(RecordType.FILE));
      const prefix = resumable.get(index);
      if (start.index !== index || (start.offset !== 0 && start.offset !== prefix?.bytes)) {
        throw new SealdropError('E_PROTOCOL', `expected FILE for index ${index} from offset 0${prefix ? ` or ${prefix.bytes}` : ''}, got index ${start.index} offset ${start.offset}`);
      }
      // From 0 a kept prefix is not used: the sink starts afresh.
      const into = await sink.start(entry, start.offset);
      progress.doneBytes += start.offset;
      const { sha256 } = await receiveData(connection, entry.path, { maxBytes: entry.size, sizeDeclared: true }, into, start.offset > 0 ? prefix : undefined, (bytes) => {
        progress.doneBytes += bytes;
        options.onProgress?.({ index, path: entry.path, fileBytes: bytes, fileSize: entry.size, ...progress });
      });
      received.push({ path: entry.path, size: entry.size, sha256 });
    }
    await expectDone(connection, options);
    await sink.commitAll();
    const receiptSent = await sendReceipt(connection, received.map((f, index) => ({ index, sha256: f.sha256 })));
    const totalBytes = isStream ? received[0]!.size : summary.totalBytes;
    return { kind: summary.kind, name: summary.name, files: received, totalBytes, topLevel: toDecide.topLevel, receiptSent };
  } catch (error) {
    const failure = error instanceof SealdropError ? error : localFailure(error);
    // Section 11: a stream cannot resume, so what it left is of no use to a later attempt.
    if (isResumable(failure) && !isStream) await sink.keep();
    else await sink.discard();
    await connection.fail(failure, refusalIsPrivate ? `the receiver refused the offer (${failure.code})` : undefined);
    if (!accepted && isRefusal(failure)) throw new OfferRefused(failure.code, failure.message, { cause: failure });
    if (accepted && sink.passesBytesOn && isResumable(failure)) {
      throw new StreamBrokeOff(failure.code, `the transfer broke off (${failure.message}); what went out so far is incomplete, and it cannot resume`, { cause: failure });
    }
    if (isStream && isResumable(failure)) throw new StreamPartDiscarded(failure.code, failure.message, { cause: failure });
    throw failure;
  } finally {
    await sink.release();
  }
}

/** Whether the receiver's own rules stopped the offer (the sender's ERROR carries its code, but is the sender's). */
function isRefusal(failure: SealdropError): boolean {
  return REFUSAL_CODES.has(failure.code) && !(failure instanceof PeerStopped);
}

/**
 * Section 11: a stream as the one entry of an offer, checked as a path of a single segment. Its
 * size is known only at FILE_END (0 until then); it lands with mode 0o666 less the umask.
 */
function streamSummary(offer: StreamOffer): FilesOfferSummary {
  const violation = streamNameViolation(offer.name);
  if (violation !== null) throw violation;
  const entry: FileEntry = { path: offer.name, size: 0, mode: STREAM_FILE_MODE, mtime: 0 };
  return { kind: 'stream', name: forDisplay(offer.name), files: [entry], totalBytes: 0 };
}

/**
 * Section 11: FILE for index 0 from 0, then DATA counted and hashed as it arrives, under the
 * receiver's limit, into the sink; FILE_END must name the same size and SHA-256 (E_INTEGRITY
 * otherwise). The sink then learns the size that arrived and the arrival time, its mtime.
 */
async function receiveStream(connection: SecureChannel, entry: FileEntry, options: ReceiveOptions): Promise<ReceivedFile> {
  const start = parseFileStart(await connection.expect(RecordType.FILE));
  if (start.index !== 0 || start.offset !== 0) throw new SealdropError('E_PROTOCOL', `expected FILE for index 0 from offset 0 for a stream, got index ${start.index} offset ${start.offset}`);
  const into = await options.sink.start(entry, 0);
  const maxBytes = options.maxStreamBytes ?? DEFAULT_MAX_STREAM_BYTES;
  let doneBytes = 0;
  const { sha256, size } = await receiveData(connection, entry.path, { maxBytes, sizeDeclared: false }, into, undefined, (bytes) => {
    doneBytes += bytes;
    options.onProgress?.({ index: 0, path: entry.path, fileBytes: bytes, fileSize: null, doneBytes, totalBytes: null });
  });
  options.sink.settleStream({ ...entry, size, mtime: Date.now() });
  return { path: entry.path, size, sha256 };
}

/** Prefixes kept from an earlier transfer of the same entries, by offer index. */
async function findResumable(sink: EntrySink, files: readonly FileEntry[]): Promise<Map<number, HashedPrefix>> {
  const found = new Map<number, HashedPrefix>();
  for (const [index, entry] of files.entries()) {
    const prefix = await sink.findResumable(entry);
    if (prefix) found.set(index, prefix);
  }
  return found;
}

/** Maps local I/O errors to the codes of section 8. */
function localFailure(error: unknown): SealdropError {
  const code = (error as NodeJS.ErrnoException).code;
  if (code === 'ENOSPC' || code === 'EDQUOT') return new SealdropError('E_NO_SPACE', 'the destination disk is full', { cause: error });
  return new SealdropError('E_INTERNAL', `local error while receiving: ${(error as Error).message}`, { cause: error });
}

async function receiveText(connection: SecureChannel, text: string, options: ReceiveOptions): Promise<ReceiveResult> {
  await connection.sendJson(RecordType.ACCEPT, { resume: [] });
  await expectDone(connection, options);
  await sendReceipt(connection, []);
  return { kind: 'text', text };
}

/**
 * Reads DONE, and decides where the transfer ends (section 6): a connection that ended before
 * it, or together with it (a Ctrl-C, say, that destroyed it as DONE arrived), is an incomplete
 * transfer and nothing lands. From here on, what lands is complete: `onFinishing` is told.
 */
async function expectDone(connection: SecureChannel, options: ReceiveOptions): Promise<void> {
  await connection.expect(RecordType.DONE);
  connection.throwIfEnded();
  options.onFinishing?.();
}

/**
 * Section 6 step 4: RECEIPT, then close. The files are durable under their final names by now,
 * so the transfer is complete whatever happens to the connection; false if the RECEIPT could not
 * go out (the sender will report that it got none).
 */
async function sendReceipt(connection: SecureChannel, files: ReadonlyArray<{ index: number; sha256: string }>): Promise<boolean> {
  let sent = true;
  try {
    await connection.sendJson(RecordType.RECEIPT, { files });
  } catch {
    sent = false;
  }
  await connection.close();
  return sent;
}

/**
 * Collects continuation records until `more` is false, checking each record's paths as it arrives
 * and the size of the whole (section 5), so a refused offer costs at most the limit; then checks
 * the totals the first record declared.
 */
async function readWholeOffer(connection: SecureChannel, first: Offer & { kind: 'files' }, firstBytes: number, maxOfferBytes: number): Promise<FilesOfferSummary> {
  if (first.fileCount > MAX_OFFER_FILES) {
    throw new SealdropError('E_TOO_LARGE', `the offer holds ${first.fileCount} files; this receiver takes at most ${MAX_OFFER_FILES}`);
  }
  const checker = new OfferPathChecker();
  const files: FileEntry[] = [];
  let offerBytes = firstBytes;
  let record: OfferContinuation = first;
  for (;;) {
    if (offerBytes > maxOfferBytes) throw offerTooLarge(maxOfferBytes);
    const violation = checker.check(record.files.map((f) => f.path));
    if (violation !== null) throw describePathViolation(violation);
    if (checker.nameCount > MAX_OFFER_NAMES) {
      throw new SealdropError('E_TOO_LARGE', `the offer names more than ${MAX_OFFER_NAMES} files and directories; this receiver takes at most that many`);
    }
    files.push(...record.files);
    if (!record.more || files.length > first.fileCount) break;
    const body = await connection.expect(RecordType.OFFER);
    offerBytes += body.length;
    record = parseOfferContinuation(body);
  }
  const totalBytes = files.reduce((sum, f) => sum + f.size, 0);
  if (files.length !== first.fileCount || totalBytes !== first.totalBytes) {
    throw new SealdropError('E_PROTOCOL', `the offer's entries (${files.length} files, ${totalBytes} bytes) do not add up to its totals (${first.fileCount} files, ${first.totalBytes} bytes)`);
  }
  return { kind: 'files', name: forDisplay(first.name), files, totalBytes };
}

function offerTooLarge(maxOfferBytes: number): SealdropError {
  return new SealdropError('E_TOO_LARGE', `the offer's list of files is larger than ${formatMiB(maxOfferBytes)}, this receiver's limit: send fewer files at a time, or an archive of them`);
}

/** Sizes in the limit's message; the CLI's formatBytes lives a layer up. */
function formatMiB(bytes: number): string {
  return `${Number((bytes / 2 ** 20).toFixed(2))} MiB`;
}

/**
 * How much DATA an entry may bring: a file's declared size, exactly (section 6), or for a stream
 * the receiver's own limit, with the size that came checked against FILE_END's (section 11).
 */
interface DataBound {
  readonly maxBytes: number;
  readonly sizeDeclared: boolean;
}

/**
 * DATA records → hash → the sink's Writable, through one pipeline so a slow disk slows the
 * socket; each record's body travels as the pieces it was decrypted in, never joined.
 * Returns the verified SHA-256 and size; throws E_PROTOCOL on a declared size missed, E_TOO_LARGE
 * past a stream's limit, E_INTEGRITY on a hash (or a stream's size) that differs from FILE_END.
 */
async function receiveData(
  connection: SecureChannel,
  path: string,
  { maxBytes, sizeDeclared }: DataBound,
  into: Writable,
  prefix: HashedPrefix | undefined,
  onBytes: (bytes: number) => void,
): Promise<{ sha256: string; size: number }> {
  let expected = { sha256: '', size: 0 };
  async function* dataBodies(): AsyncGenerator<readonly Buffer[]> {
    let received = prefix?.bytes ?? 0;
    for (;;) {
      const record = await connection.receive('DATA');
      if (record.type === RecordType.FILE_END) {
        const end = parseFileEnd(record.body);
        if (sizeDeclared && received !== maxBytes) throw new SealdropError('E_PROTOCOL', `${forDisplay(path)}: FILE_END after ${received} of ${maxBytes} bytes`);
        if (!sizeDeclared && end.size === undefined) throw new SealdropError('E_PROTOCOL', `${forDisplay(path)}: the stream's FILE_END has no "size" (section 11)`);
        if (!sizeDeclared && end.size !== received) {
          throw new SealdropError('E_INTEGRITY', `${forDisplay(path)}: the sender says it sent ${end.size} bytes, but ${received} arrived; the stream is incomplete`);
        }
        expected = { sha256: end.sha256, size: received };
        return;
      }
      if (record.type !== RecordType.DATA) throw new SealdropError('E_PROTOCOL', `expected DATA or FILE_END, got ${recordTypeName(record.type)}`);
      received += partsLength(record.bodyParts);
      if (received > maxBytes) {
        if (sizeDeclared) throw new SealdropError('E_PROTOCOL', `${forDisplay(path)}: more DATA than its declared ${maxBytes} bytes`);
        throw new SealdropError('E_TOO_LARGE', `${forDisplay(path)}: the stream is longer than ${maxBytes} bytes, this receiver's limit`);
      }
      if (record.bodyParts.length > 0) yield record.bodyParts;
    }
  }
  const tap = new HashTap(onBytes, prefix);
  await pipeline(dataBodies(), tap, into);
  const actual = tap.digest();
  if (actual !== expected.sha256) {
    throw new SealdropError('E_INTEGRITY', `${forDisplay(path)}: SHA-256 ${actual} does not match the sender's ${expected.sha256}; the file was not kept`);
  }
  return { sha256: actual, size: expected.size };
}
