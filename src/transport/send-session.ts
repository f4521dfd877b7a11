/**
 * The sending side of a transfer (PROTOCOL.md section 6), after the handshake: offer, wait for
 * ACCEPT, then each file through file → hash → seal → socket with backpressure, DONE, and success
 * only once the receiver's RECEIPT names the same SHA-256 for every file.
 */
import { createReadStream } from 'node:fs';
import { pipeline } from 'node:stream/promises';
import { SealdropError } from '../errors.js';
import { forDisplay } from '../protocol/display.js';
import { encodeFilesOffer, encodeTextOffer, parseAccept, parseDecline, parseReceipt } from '../protocol/messages.js';
import { RecordType, recordTypeName, type Record } from '../protocol/records.js';
import { HashTap } from './hash-tap.js';
import type { LocalFile, LocalSelection } from './local-files.js';
import type { TransferProgress } from './progress.js';
import type { SecureConnection } from './secure-connection.js';

/** Bytes per file read, and so per DATA record: large enough to amortise the per-record cost. */
export const READ_CHUNK_BYTES = 256 * 1024;

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
async function offerAndAwaitAccept(connection: SecureConnection, offerBodies: readonly Buffer[]): Promise<void> {
  for (const body of offerBodies) await connection.send(RecordType.OFFER, body);
  const answer = await connection.receive('ACCEPT');
  if (answer.type === RecordType.DECLINE) {
    throw new SealdropError('E_DECLINED', `the receiver declined: ${forDisplay(parseDecline(answer.body))}`);
  }
  if (answer.type !== RecordType.ACCEPT) throw unexpected('ACCEPT', answer);
  parseAccept(answer.body);
}

function unexpected(wanted: string, record: Record): SealdropError {
  return new SealdropError('E_PROTOCOL', `expected ${wanted} from the receiver, got ${recordTypeName(record.type)}`);
}

export async function sendText(connection: SecureConnection, text: string): Promise<void> {
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

export async function sendFiles(connection: SecureConnection, selection: LocalSelection, options: SendOptions = {}): Promise<SentFile[]> {
  return runSending(connection, async () => {
    await offerAndAwaitAccept(connection, encodeFilesOffer(selection.name, selection.files));
    options.onAccepted?.();

    // The receiver speaks again only with RECEIPT, or with ERROR if it gives up (disk full, say):
    // listen from now on and stop streaming the moment it speaks.
    const stop = new AbortController();
    const reply = connection.receive('RECEIPT').finally(() => stop.abort());
    reply.catch(() => undefined); // awaited below; this only marks it handled while files stream

    const sent: SentFile[] = [];
    const progress = { doneBytes: 0, totalBytes: selection.totalBytes };
    try {
      for (const [index, file] of selection.files.entries()) {
        sent.push(await sendFile(connection, index, file, stop.signal, (bytes) => {
          progress.doneBytes += bytes;
          options.onProgress?.({ index, path: file.path, fileBytes: bytes, fileSize: file.size, ...progress });
        }));
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
async function runSending<T>(connection: SecureConnection, steps: () => Promise<T>): Promise<T> {
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

async function sendFile(connection: SecureConnection, index: number, file: LocalFile, signal: AbortSignal, onBytes: (n: number) => void): Promise<SentFile> {
  await connection.sendJson(RecordType.FILE, { index, offset: 0 });
  const tap = new HashTap(onBytes);
  if (file.size > 0) {
    // `end` stops at the offered size even if the file grows meanwhile; a shrink is caught below.
    const source = createReadStream(file.sourcePath, { start: 0, end: file.size - 1, highWaterMark: READ_CHUNK_BYTES });
    await pipeline(source, tap, connection.dataSealer(), connection.socketSink(), { signal });
  }
  if (tap.bytes !== file.size) {
    throw new SealdropError('E_INTERNAL', `${file.sourcePath} changed while it was being sent (${tap.bytes} of ${file.size} bytes)`);
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
