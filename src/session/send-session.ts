/**
 * The sending side of a transfer (PROTOCOL.md section 6), after the handshake: offer, wait for
 * ACCEPT, then each entry of the source (from where the receiver's kept prefix matches ours, if
 * it has one) through source → hash → seal → socket with backpressure, DONE, and success only
 * once the receiver's RECEIPT names the same SHA-256 for every entry.
 */
import { pipeline } from 'node:stream/promises';
import { SealdropError } from '../errors.js';
import { forDisplay } from '../protocol/display.js';
import type { HashedPrefix } from '../protocol/hashed-prefix.js';
import { encodeFilesOffer, encodeStreamEnd, encodeStreamOffer, encodeTextOffer, parseAccept, parseDecline, parseReceipt, type FileEntry, type ResumePoint } from '../protocol/messages.js';
import { RecordType, recordTypeName, type Record } from '../protocol/records.js';
import { HashTap } from './hash-tap.js';
import type { EntrySource, OpenedEntry, StreamSource } from './source.js';
import type { TransferProgress } from './progress.js';
import { PeerStopped, type SecureChannel } from '../channel/secure-channel.js';

/** What the entries of one transfer share while they stream. */
interface Streaming {
  readonly connection: SecureChannel;
  /** Aborts the entry in flight when the receiver speaks up (with an ERROR) mid-transfer. */
  readonly signal: AbortSignal;
}

export interface SentFile {
  readonly path: string;
  readonly size: number;
  readonly sha256: string;
}

export interface SendOptions {
  readonly onAccepted?: () => void;
  readonly onProgress?: (progress: TransferProgress) => void;
}

/** Sends an OFFER and waits for the answer: ACCEPT goes on, DECLINE and ERROR end the transfer. */
async function offerAndAwaitAccept(connection: SecureChannel, offerBodies: readonly Buffer[]): Promise<ResumePoint[]> {
  for (const body of offerBodies) await connection.send(RecordType.OFFER, body);
  // The receiver's person may be reading the offer at a prompt: no idle timeout for this one.
  const answer = await connection.receive('ACCEPT', { waitsForPerson: true });
  if (answer.type === RecordType.DECLINE) {
    throw new SealdropError('E_DECLINED', `the receiver declined: ${forDisplay(parseDecline(answer.body))}`);
  }
  if (answer.type !== RecordType.ACCEPT) throw unexpected('ACCEPT', answer);
  return parseAccept(answer.body);
}

function unexpected(wanted: string, record: Record): SealdropError {
  return new SealdropError('E_PROTOCOL', `expected ${wanted} from the receiver, got ${recordTypeName(record.type)}`);
}

export async function sendText(connection: SecureChannel, text: string): Promise<void> {
  const body = encodeTextOffer(text);
  if (body === null) throw new SealdropError('E_TOO_LARGE', 'the text does not fit in one record (1 MiB); send it as a file instead');
  await runSending(connection, async () => {
    await offerAndAwaitAccept(connection, [body]);
    await connection.sendJson(RecordType.DONE, {});
    const receipt = await connection.receive('RECEIPT');
    if (receipt.type !== RecordType.RECEIPT) throw unexpected('RECEIPT', receipt);
    parseReceipt(receipt.body);
  });
}

export async function sendFiles(connection: SecureChannel, source: EntrySource, options: SendOptions = {}): Promise<SentFile[]> {
  return runSending(connection, async () => {
    const resumePoints = new Map((await offerAndAwaitAccept(connection, encodeFilesOffer(source.name, source.entries))).map((p) => [p.index, p]));
    options.onAccepted?.();
    return streamUntilReceipt(connection, async (signal) => {
      const streaming: Streaming = { connection, signal };
      const sent: SentFile[] = [];
      const progress = { doneBytes: 0, totalBytes: source.entries.reduce((sum, e) => sum + e.size, 0) };
      for (const [index, entry] of source.entries.entries()) {
        const opened = await source.open(index);
        try {
          const start = await resumeOffset(connection, index, entry, opened, resumePoints.get(index));
          progress.doneBytes += start?.bytes ?? 0;
          sent.push(await sendFile(streaming, index, entry, opened, start, (bytes) => {
            progress.doneBytes += bytes;
            options.onProgress?.({ index, path: entry.path, fileBytes: bytes, fileSize: entry.size, ...progress });
          }));
        } finally {
          await opened.close();
        }
      }
      await connection.sendJson(RecordType.DONE, {});
      return sent;
    });
  });
}

/**
 * Section 11: one stream, read to its end as the channel takes it, so memory stays flat whatever
 * its length. FILE_END carries the size, which the OFFER could not. A stream never resumes: its
 * bytes are consumed as they go, so a break-off is the end (the caller reports failure).
 */
export async function sendStream(connection: SecureChannel, source: StreamSource, options: SendOptions = {}): Promise<SentFile> {
  return runSending(connection, async () => {
    const resume = await offerAndAwaitAccept(connection, [encodeStreamOffer(source.name)]).catch((error: unknown) => {
      throw streamsRefused(error);
    });
    if (resume.length > 0) throw new SealdropError('E_PROTOCOL', 'the receiver asked to resume a stream, which cannot resume (section 11)');
    options.onAccepted?.();
    const [sent] = await streamUntilReceipt(connection, async (signal) => {
      await connection.sendJson(RecordType.FILE, { index: 0, offset: 0 });
      const tap = new HashTap((bytes) => options.onProgress?.({ index: 0, path: source.name, fileBytes: bytes, fileSize: null, doneBytes: tap.bytes, totalBytes: null }));
      await pipeline(source.read(), tap, connection.dataSealer(), connection.recordSink(), { signal });
      const stream = { path: source.name, size: tap.bytes, sha256: tap.digest() };
      await connection.send(RecordType.FILE_END, encodeStreamEnd(stream.sha256, stream.size));
      await connection.sendJson(RecordType.DONE, {});
      return [stream];
    });
    return sent!;
  });
}

/**
 * Runs `stream` (the FILEs, their DATA and FILE_ENDs, DONE) while listening for the receiver,
 * which speaks again only with RECEIPT, or with ERROR if it gives up (disk full, say): then
 * `signal` stops the streaming at once, and the receiver's error is the one reported. Success
 * only once the RECEIPT names the same SHA-256 for every file sent.
 */
async function streamUntilReceipt(connection: SecureChannel, stream: (signal: AbortSignal) => Promise<SentFile[]>): Promise<SentFile[]> {
  const stop = new AbortController();
  const reply = connection.receive('RECEIPT').finally(() => stop.abort());
  reply.catch(() => undefined); // awaited below; this only marks it handled while data streams
  let sent: SentFile[];
  try {
    sent = await stream(stop.signal);
  } catch (error) {
    if (stop.signal.aborted) await reply; // the receiver's own error explains the abort
    throw error;
  }
  const receipt = await reply;
  if (receipt.type !== RecordType.RECEIPT) throw unexpected('RECEIPT', receipt);
  checkReceipt(parseReceipt(receipt.body), sent);
  return sent;
}

/** Section 11: a receiver that predates streams answers their OFFER with ERROR E_PROTOCOL; say what that means. */
function streamsRefused(error: unknown): unknown {
  if (!(error instanceof PeerStopped) || error.code !== 'E_PROTOCOL') return error;
  return new PeerStopped(error.code, `${error.message} (the receiver does not take streams, section 11: it may be an older sealdrop; save the data to a file and send that)`, { cause: error });
}

/** Runs the steps; on failure tells the receiver (sealed ERROR) and closes. */
async function runSending<T>(connection: SecureChannel, steps: () => Promise<T>): Promise<T> {
  try {
    const result = await steps();
    await connection.close();
    return result;
  } catch (error) {
    const failure = error instanceof SealdropError ? error : new SealdropError('E_INTERNAL', `local error while sending: ${(error as Error).message}`, { cause: error });
    await connection.fail(failure);
    throw failure;
  }
}

/**
 * Section 6: where the receiver kept a prefix, hash ours and compute its MAC; if the receiver's
 * MAC is the same (compared in constant time), continue after it (the returned hash goes on over
 * the rest), otherwise start from 0.
 */
async function resumeOffset(
  connection: SecureChannel,
  index: number,
  entry: FileEntry,
  opened: OpenedEntry,
  point: ResumePoint | undefined,
): Promise<HashedPrefix | undefined> {
  if (!point || point.offset === 0 || point.offset > entry.size) return undefined;
  const prefix = await opened.hashPrefix(point.offset);
  if (prefix.bytes !== point.offset) return undefined;
  return connection.resumeMacMatches(index, point.offset, prefix.hash.copy().digest(), Buffer.from(point.mac, 'hex')) ? prefix : undefined;
}

async function sendFile(
  { connection, signal }: Streaming,
  index: number,
  entry: FileEntry,
  opened: OpenedEntry,
  prefix: HashedPrefix | undefined,
  onBytes: (n: number) => void,
): Promise<SentFile> {
  const offset = prefix?.bytes ?? 0;
  await connection.sendJson(RecordType.FILE, { index, offset });
  const tap = new HashTap(onBytes, prefix);
  if (entry.size > offset) {
    // The sealer is a chunk's last user, so it gives the chunk back to the source.
    await pipeline(opened.read(offset), tap, connection.dataSealer((chunk) => opened.release(chunk)), connection.recordSink(), { signal });
  }
  // Before FILE_END: a changed entry's would have the receiver verify, and land, a torn copy.
  await opened.checkUnchanged(tap.bytes);
  const sha256 = tap.digest();
  await connection.sendJson(RecordType.FILE_END, { sha256 });
  return { path: entry.path, size: entry.size, sha256 };
}

function checkReceipt(receipt: ReadonlyArray<{ index: number; sha256: string }>, sent: readonly SentFile[]): void {
  const confirmed = new Map(receipt.map((entry) => [entry.index, entry.sha256]));
  for (const [index, file] of sent.entries()) {
    if (confirmed.get(index) !== file.sha256) {
      throw new SealdropError('E_INTEGRITY', `the receiver's RECEIPT does not confirm ${forDisplay(file.path)} with the SHA-256 that was sent`);
    }
  }
}
