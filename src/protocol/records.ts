/**
 * The record layer of PROTOCOL.md section 5: after the handshake every frame is
 * `length:u32 || AES-256-GCM(type:u8 || body) || tag:16`, with nonce = 0x00000000 || u64(seq),
 * a counter per direction, and the 4 length bytes as AAD. The counter makes replayed, dropped
 * and reordered records fail authentication, so no sequence number travels on the wire.
 */
import { GCM_NONCE_BYTES, GCM_TAG_BYTES, aesGcmOpen, aesGcmSeal } from '../crypto/aead.js';
import { SealdropError } from '../errors.js';
import { frameHeader, type Frame } from './frames.js';

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
 * Sequence numbers stop at 2^53 - 1 (JavaScript's exact integers), far below the u64 wrap the
 * spec forbids; at one record per microsecond that is 285 years of one connection.
 */
const MAX_SEQ = Number.MAX_SAFE_INTEGER;

export interface Record {
  readonly type: number;
  readonly body: Buffer;
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

  open(frame: Frame): Record {
    if (this.#failure) throw this.#failure;
    const { header, payload } = frame;
    const tagStart = payload.length - GCM_TAG_BYTES;
    try {
      const plaintext = aesGcmOpen(this.key, nonceFor(this.#seq), header, payload.subarray(0, tagStart), payload.subarray(tagStart));
      this.#seq = nextSeq(this.#seq);
      return { type: plaintext[0]!, body: plaintext.subarray(1) };
    } catch (cause) {
      this.#failure = new SealdropError('E_PROTOCOL', `record ${this.#seq} failed authentication: the data was altered, replayed or reordered`, { cause });
      throw this.#failure;
    }
  }
}
