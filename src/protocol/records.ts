/**
 * The record layer of PROTOCOL.md section 5: after the handshake every frame is
 * `length:u32 || AES-256-GCM(type:u8 || body) || tag:16`, with nonce = 0x00000000 || u64(seq),
 * a counter per direction, and the 4 length bytes as AAD. The counter makes replayed, dropped
 * and reordered records fail authentication, so no sequence number travels on the wire.
 */
import { GCM_NONCE_BYTES, GCM_TAG_BYTES, aesGcmOpen, aesGcmSeal } from '../crypto/aead.js';
import { SealdropError } from '../errors.js';
import { joinParts, splitTail } from './byte-parts.js';
import { frameHeader, type RecordFrame } from './frames.js';

export const RecordType = {
  OFFER: 0x10,
  ACCEPT: 0x11,
  DECLINE: 0x12,
  FILE: 0x20,
  DATA: 0x21,
  FILE_END: 0x22,
  DONE: 0x30,
  RECEIPT: 0x31,
  TEXT: 0x40,
  CLOSE: 0x7e,
  ERROR: 0x7f,
} as const;
export type RecordType = (typeof RecordType)[keyof typeof RecordType];

export const MAX_RECORD_BODY_BYTES = 1_048_576;

/**
 * A record is decrypted piece by piece as it arrived (about sixteen 64 KiB reads for 1 MiB on
 * loopback). Past this many pieces (a slow link, or a peer writing a byte at a time) each piece's
 * cipher call and output buffer cost more than one copy, so the pieces are joined first; this
 * also bounds the objects one record can hold.
 */
const MAX_PIECES_DECRYPTED_SEPARATELY = 64;

/**
 * Sequence numbers stop at 2^53 - 1 (JavaScript's exact integers), far below the u64 wrap the
 * spec forbids; at one record per microsecond that is 285 years of one connection.
 */
const MAX_SEQ = Number.MAX_SAFE_INTEGER;

export interface Record {
  readonly type: number;
  /** The body as the pieces it was decrypted in (one per received chunk), never joined. */
  readonly bodyParts: readonly Buffer[];
  /** The body as one Buffer, joined on first use (free when it arrived in one piece). */
  readonly body: Buffer;
}

class OpenedRecord implements Record {
  #body: Buffer | undefined;

  constructor(
    readonly type: number,
    readonly bodyParts: readonly Buffer[],
  ) {}

  get body(): Buffer {
    this.#body ??= joinParts(this.bodyParts);
    return this.#body;
  }
}

/** Splits the plaintext pieces into the type byte and the body's pieces (none of them empty). */
function recordFromPlaintext(plaintextParts: readonly Buffer[]): Record {
  const [first, ...rest] = plaintextParts.filter((part) => part.length > 0);
  const bodyParts = first!.length > 1 ? [first!.subarray(1), ...rest] : rest;
  return new OpenedRecord(first![0]!, bodyParts);
}

export function recordTypeName(type: number): string {
  const entry = Object.entries(RecordType).find(([, value]) => value === type);
  return entry ? entry[0] : `0x${type.toString(16).padStart(2, '0')}`;
}

function nonceFor(seq: number): Buffer {
  const nonce = Buffer.alloc(GCM_NONCE_BYTES); // first four bytes stay zero
  nonce.writeUInt32BE(Math.floor(seq / 2 ** 32), 4);
  nonce.writeUInt32BE(seq % 2 ** 32, 8);
  return nonce;
}

function nextSeq(seq: number): number {
  if (seq >= MAX_SEQ) throw new SealdropError('E_PROTOCOL', 'record counter exhausted; start a new transfer');
  return seq + 1;
}

/** Seals records for one direction; each call uses and advances the counter. */
export class RecordSealer {
  #seq = 0;

  constructor(private readonly key: Buffer) {}

  get seq(): number {
    return this.#seq;
  }

  /** The frame as pieces (header, ciphertext of type, ciphertext of body, tag), ready for writev. */
  seal(type: number, body: Uint8Array): Buffer[] {
    if (body.length > MAX_RECORD_BODY_BYTES) throw new RangeError(`record body over ${MAX_RECORD_BODY_BYTES} bytes`);
    const header = frameHeader(1 + body.length + GCM_TAG_BYTES);
    const { ciphertextParts, tag } = aesGcmSeal(this.key, nonceFor(this.#seq), header, [Buffer.of(type), body]);
    this.#seq = nextSeq(this.#seq);
    return [header, ...ciphertextParts, tag];
  }
}

/** Opens records for one direction, in order. After one failure it refuses everything. */
export class RecordOpener {
  #seq = 0;
  #failure: SealdropError | null = null;

  constructor(private readonly key: Buffer) {}

  /** Opens the frame's parts one by one, without joining them; nothing is released unless the tag matches. */
  open(frame: RecordFrame): Record {
    if (this.#failure) throw this.#failure;
    try {
      // The frame decoder guarantees at least 17 payload bytes: one of ciphertext and the tag.
      const payloadParts = frame.payloadParts.length > MAX_PIECES_DECRYPTED_SEPARATELY ? [joinParts(frame.payloadParts)] : frame.payloadParts;
      const { head: ciphertextParts, tail: tag } = splitTail(payloadParts, GCM_TAG_BYTES);
      const plaintextParts = aesGcmOpen(this.key, nonceFor(this.#seq), frame.header, ciphertextParts, tag);
      this.#seq = nextSeq(this.#seq);
      return recordFromPlaintext(plaintextParts);
    } catch (cause) {
      this.#failure = new SealdropError('E_PROTOCOL', `record ${this.#seq} failed authentication: the data was altered, replayed or reordered`, { cause });
      throw this.#failure;
    }
  }
}
