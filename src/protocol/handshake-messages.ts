/**
 * The handshake payloads of PROTOCOL.md section 4: HELLO, STAGE2, CONFIRM and FAIL, each starting
 * with its type byte. Decoding checks type and exact length first; a payload of another type or
 * length is a protocol failure (FAIL "protocol error"), a FAIL ends the handshake.
 */
import { ELEMENT_BYTES, GROUP_ID } from '../crypto/group.js';
import { SHA256_BYTES } from '../crypto/mac.js';
import { SealdropError } from '../errors.js';
import { MAX_HANDSHAKE_FRAME_BYTES } from './frames.js';

export const HandshakeType = { HELLO: 0x01, STAGE2: 0x02, CONFIRM: 0x03, FAIL: 0x0f } as const;

export const PROTOCOL_MAGIC = Buffer.from('SEALDROP', 'ascii');
export const PROTOCOL_VERSION = 1;

export const Role = { INITIATOR: 1, RESPONDER: 2 } as const;
export type Role = (typeof Role)[keyof typeof Role];

export const Intent = { SEND: 1, RECEIVE: 2, CHAT: 3 } as const;
export type Intent = (typeof Intent)[keyof typeof Intent];

export const HELLO_PAYLOAD_BYTES = 1 + 8 + 1 + 1 + 1 + 1 + ELEMENT_BYTES; // 397
export const STAGE2_PAYLOAD_BYTES = 1 + ELEMENT_BYTES; // 385
export const CONFIRM_PAYLOAD_BYTES = 1 + SHA256_BYTES; // 33
/** FAIL text must fit a handshake frame after the type byte. */
export const MAX_FAIL_TEXT_BYTES = MAX_HANDSHAKE_FRAME_BYTES - 1;

/** The FAIL texts the spec fixes (section 4). */
export const FailText = { PROTOCOL_ERROR: 'protocol error', WRONG_CODE: 'wrong code' } as const;

export interface Hello {
  readonly role: number;
  readonly intent: number;
  readonly element: Buffer;
}

export function encodeHello(role: Role, intent: Intent, element: Uint8Array): Buffer {
  return Buffer.concat([
    Buffer.of(HandshakeType.HELLO),
    PROTOCOL_MAGIC,
    Buffer.of(PROTOCOL_VERSION, role, intent, GROUP_ID),
    element,
  ]);
}

export function encodeStage2(element: Uint8Array): Buffer {
  return Buffer.concat([Buffer.of(HandshakeType.STAGE2), element]);
}

export function encodeConfirm(mac: Uint8Array): Buffer {
  return Buffer.concat([Buffer.of(HandshakeType.CONFIRM), mac]);
}

export function encodeFail(text: string): Buffer {
  return Buffer.concat([Buffer.of(HandshakeType.FAIL), truncateUtf8(text, MAX_FAIL_TEXT_BYTES)]);
}

/** The UTF-8 of `text`, cut at a character boundary to at most `maxBytes`. */
function truncateUtf8(text: string, maxBytes: number): Buffer {
  const bytes = Buffer.from(text, 'utf8');
  if (bytes.length <= maxBytes) return bytes;
  let end = maxBytes;
  while (end > 0 && (bytes[end]! & 0xc0) === 0x80) end -= 1; // step back over continuation bytes
  return bytes.subarray(0, end);
}

/**
 * Raised when the peer's handshake frame breaks the protocol. `failText` is what we answer with
 * (FAIL, then close); null means close without sending anything (the peer sent FAIL itself).
 */
export class HandshakeViolation extends SealdropError {
  constructor(
    message: string,
    readonly failText: string | null,
    code: 'E_HANDSHAKE' | 'E_PROTOCOL' | 'E_WRONG_CODE' = 'E_HANDSHAKE',
  ) {
    super(code, message);
  }
}

/** Checks a received payload's type and length; returns the body after the type byte. */
export function expectHandshakePayload(payload: Buffer, type: number, lengthBytes: number, name: string): Buffer {
  if (payload[0] === HandshakeType.FAIL) {
    const reason = new TextDecoder('utf-8', { fatal: false }).decode(payload.subarray(1));
    // The peer's text is shown later through forDisplay(); it is unauthenticated, so we only relay it.
    throw new PeerFailed(reason);
  }
  if (payload[0] !== type || payload.length !== lengthBytes) {
    throw new HandshakeViolation(`the peer sent something other than ${name}: not a sealdrop v1 peer`, FailText.PROTOCOL_ERROR, 'E_PROTOCOL');
  }
  return payload.subarray(1);
}

/** The peer gave up with FAIL; its unauthenticated reason is kept for display. */
export class PeerFailed extends HandshakeViolation {
  constructor(readonly peerReason: string) {
    super(`the peer ended the handshake: ${peerReason}`, null);
  }
}

export function decodeHello(payload: Buffer): Hello {
  const body = expectHandshakePayload(payload, HandshakeType.HELLO, HELLO_PAYLOAD_BYTES, 'HELLO');
  const magic = body.subarray(0, 8);
  const [version, role, intent, group] = [body[8]!, body[9]!, body[10]!, body[11]!];
  if (!magic.equals(PROTOCOL_MAGIC)) throw new HandshakeViolation('the peer is not a sealdrop peer (bad magic)', 'bad magic');
  if (version !== PROTOCOL_VERSION) throw new HandshakeViolation(`the peer speaks protocol version ${version}; this sealdrop speaks version 1`, `unsupported version ${version}`);
  if (group !== GROUP_ID) throw new HandshakeViolation(`the peer asked for group ${group}; only group 1 is supported`, `unsupported group ${group}`);
  return { role, intent, element: body.subarray(12) };
}
