/**
 * The sending side of a transfer (PROTOCOL.md section 6), after the handshake: offer, wait for
 * ACCEPT, then each file (from where the receiver's kept prefix matches ours, if it has one)
 * through file → hash → seal → socket with backpressure, DONE, and success only once the
 * receiver's RECEIPT names the same SHA-256 for every file.
 */
import { fstatSync } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { SealdropError } from '../errors.js';
import { forDisplay } from '../protocol/display.js';
import { encodeFilesOffer, encodeTextOffer, parseAccept, parseDecline, parseReceipt, type ResumePoint } from '../protocol/messages.js';
import { RecordType, recordTypeName, type Record } from '../protocol/records.js';
import { BufferPool, readChunks } from '../files/file-chunks.js';
import { hashOpenFile } from '../files/file-hash.js';
import { HashTap, type HashedPrefix } from './hash-tap.js';
import { openLocalFile, type LocalFile, type LocalSelection } from '../files/local-files.js';
import type { TransferProgress } from './progress.js';
import type { SecureChannel } from '../channel/secure-channel.js';

/** Bytes per file read, and so per DATA record: one full record, to amortise the per-record cost. */
export const READ_CHUNK_BYTES = 1024 * 1024;

/**
 * Read buffers kept for reuse: enough for every chunk a file's pipeline holds at once (one being
 * read, one waiting in each stage), so that in the steady state no read allocates.
 */
const KEPT_READ_BUFFERS = 6;

/** What the files of one transfer share while they stream. */
interface Streaming {
  readonly connection: SecureChannel;
  readonly buffers: BufferPool;
  /** Aborts the file in flight when the receiver speaks up (with an ERROR) mid-transfer. */
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

export async function sendFiles(connection: SecureChannel, selection: LocalSelection, options: SendOptions = {}): Promise<SentFile[]> {
  return runSending(connection, async () => {
    const resumePoints = new Map((await offerAndAwaitAccept(connection, encodeFilesOffer(selection.name, selection.files))).map((p) => [p.index, p]));
    options.onAccepted?.();

    // The receiver speaks again only with RECEIPT, or with ERROR if it gives up (disk full, say):
    // listen from now on and stop streaming the moment it speaks.
    const stop = new AbortController();
    const reply = connection.receive('RECEIPT').finally(() => stop.abort());
    reply.catch(() => undefined); // awaited below; this only marks it handled while files stream

    const streaming: Streaming = { connection, buffers: new BufferPool(READ_CHUNK_BYTES, KEPT_READ_BUFFERS), signal: stop.signal };
    const sent: SentFile[] = [];
    const progress = { doneBytes: 0, totalBytes: selection.totalBytes };
    try {
      for (const [index, file] of selection.files.entries()) {
        const source = await openLocalFile(file);
        try {
          const start = await resumeOffset(connection, index, file, source, resumePoints.get(index));
          progress.doneBytes += start?.bytes ?? 0;
          sent.push(await sendFile(streaming, index, file, source, start, (bytes) => {
            progress.doneBytes += bytes;
            options.onProgress?.({ index, path: file.path, fileBytes: bytes, fileSize: file.size, ...progress });
          }));
        } finally {
          await source.close();
        }
      }
      await connection.sendJson(RecordType.DONE, {});
    } catch (error) {
      if (stop.signal.aborted) await reply; // the receiver's own error explains the abort
      throw error;
    }
    const receipt = await reply;
    if (receipt.type !== RecordType.RECEIPT) throw unexpected('RECEIPT', receipt);
    checkReceipt(parseReceipt(receipt.body), sent);
    return sent;
  });
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
  file: LocalFile,
  source: FileHandle,
  point: ResumePoint | undefined,
): Promise<HashedPrefix | undefined> {
  if (!point || point.offset === 0 || point.offset > file.size) return undefined;
  const prefix = await hashOpenFile(source, point.offset);
  if (prefix.bytes !== point.offset) return undefined;
  return connection.resumeMacMatches(index, point.offset, prefix.hash.copy().digest(), Buffer.from(point.mac, 'hex')) ? prefix : undefined;
}

async function sendFile(
  { connection, buffers, signal }: Streaming,
  index: number,
  file: LocalFile,
  source: FileHandle,
  prefix: HashedPrefix | undefined,
  onBytes: (n: number) => void,
): Promise<SentFile> {
  const offset = prefix?.bytes ?? 0;
  await connection.sendJson(RecordType.FILE, { index, offset });
  const tap = new HashTap(onBytes, prefix);
  if (file.size > offset) {
    // Reading stops at the offered size even if the file grows meanwhile; a shrink is caught below.
    // One chunk read ahead; the sealer is a chunk's last user, so it gives the buffer back.
    const chunks = Readable.from(readChunks(source, offset, file.size, buffers), { objectMode: true, highWaterMark: 1 });
    await pipeline(chunks, tap, connection.dataSealer((chunk) => buffers.release(chunk)), connection.recordSink(), { signal });
  }
  // Cut short (fewer bytes read than offered), or rewritten in place, which keeps the size but
  // not the mtime: its FILE_END would have the receiver verify, and land, a copy torn between two
  // versions. (A synchronous stat, as calls on metadata are: see safe-fs.ts.)
  const now = fstatSync(source.fd);
  if (tap.bytes !== file.size || now.size !== file.size || Math.trunc(now.mtimeMs) !== file.mtime) {
    throw new SealdropError('E_INTERNAL', `${file.sourcePath} changed while it was being sent (${tap.bytes} of ${file.size} bytes read); send it again`);
  }
  const sha256 = tap.digest();
  await connection.sendJson(RecordType.FILE_END, { sha256 });
  return { path: file.path, size: file.size, sha256 };
}

function checkReceipt(receipt: ReadonlyArray<{ index: number; sha256: string }>, sent: readonly SentFile[]): void {
  const confirmed = new Map(receipt.map((entry) => [entry.index, entry.sha256]));
  for (const [index, file] of sent.entries()) {
    if (confirmed.get(index) !== file.sha256) {
      throw new SealdropError('E_INTEGRITY', `the receiver's RECEIPT does not confirm ${forDisplay(file.path)} with the SHA-256 that was sent`);
    }
  }
}
