/**
 * The two-stage Diffie-Hellman handshake of PROTOCOL.md section 4, one linear function per role
 * in the order of the spec's messages. It knows nothing of sockets: it talks to a
 * HandshakeChannel (send a payload, await the next frame), and hands back the record sealer and
 * opener for the session instead of keys, so no caller ever holds key material.
 *
 * Stage 1 is classic DH over g = 2. Stage 2 repeats it over e, derived from the stage-1 secret,
 * the transcript and the code, so a man in the middle without the code gets one guess per
 * connection, caught by the confirmations before any record is sent.
 */
import { PrivateExponent, assertValidElement, randomExponent } from '../crypto/group.js';
import { macsEqual } from '../crypto/mac.js';
import { SealdropError } from '../errors.js';
import { encodeFrame, type HandshakeFrame } from './frames.js';
import {
  CONFIRM_PAYLOAD_BYTES,
  FailText,
  HandshakeType,
  HandshakeViolation,
  Intent,
  PeerFailed,
  Role,
  STAGE2_PAYLOAD_BYTES,
  decodeHello,
  encodeConfirm,
  encodeFail,
  encodeHello,
  encodeStage2,
  expectHandshakePayload,
} from './handshake-messages.js';
import { confirmationMac, deriveSessionKeys, deriveStage2Generator, formatFingerprint, resumeMac, transcriptHash, type SessionKeys } from './key-schedule.js';
import { RecordOpener, RecordSealer } from './records.js';

export interface HandshakeChannel {
  /** Sends one handshake payload as a frame. */
  send(payload: Buffer): void;
  /** The next frame from the peer; rejects if the connection ends first. */
  receive(): Promise<HandshakeFrame>;
}

export interface HandshakeOptions {
  /** The code after section 1 normalisation. */
  readonly codeBytes: Buffer;
  readonly intent: Intent;
  /** Only tests set this, to reproduce the vectors' fixed exponents; production draws fresh ones. */
  readonly drawExponent?: () => bigint;
}

export interface SecureSession {
  /** Seals what we send (k_i2r for the initiator, k_r2i for the responder). */
  readonly sealer: RecordSealer;
  /** Opens what the peer sends. */
  readonly opener: RecordOpener;
  /** The session fingerprint as people compare it, e.g. `3f2a-09c1-77de-b405`. */
  readonly fingerprint: string;
  /** Section 6: the MAC of a kept prefix under this session's k_resume (see resumeMac). */
  resumeMac(index: number, offset: number, prefixSha256: Uint8Array): Buffer;
  /** Whether `mac` is that MAC, compared in constant time (section 4: all MACs are). */
  resumeMacMatches(index: number, offset: number, prefixSha256: Uint8Array, mac: Uint8Array): boolean;
}

const INTENT_VERBS: Record<number, string> = { [Intent.SEND]: 'sends', [Intent.RECEIVE]: 'receives', [Intent.CHAT]: 'chats' };

/** Section 1: a send pairs only with a receive, a chat only with a chat. */
function intentsPair(mine: Intent, theirs: number): boolean {
  if (mine === Intent.CHAT) return theirs === Intent.CHAT;
  return theirs === (mine === Intent.SEND ? Intent.RECEIVE : Intent.SEND);
}

/** The FAIL text for unpaired intents, e.g. `intent mismatch: peer also receives`. */
function intentMismatchText(mine: Intent, theirs: number): string {
  const verb = INTENT_VERBS[theirs];
  if (verb === undefined) return `intent mismatch: unknown intent ${theirs}`;
  return `intent mismatch: peer ${theirs === mine ? 'also ' : ''}${verb}`;
}

function checkPeerHello(payload: Buffer, expectedRole: Role, myIntent: Intent): Buffer {
  const hello = decodeHello(payload);
  if (hello.role !== expectedRole) throw new HandshakeViolation('the peer took the wrong role (both sides connected or both listened?)', 'unexpected role');
  if (!intentsPair(myIntent, hello.intent)) {
    const failText = intentMismatchText(myIntent, hello.intent);
    throw new HandshakeViolation(`${failText} (one side must send, the other receive; or both chat)`, failText);
  }
  return checkElement(hello.element, 'public value');
}

function checkElement(element: Buffer, what: string): Buffer {
  try {
    assertValidElement(element, what);
  } catch (error) {
    throw new HandshakeViolation((error as Error).message, 'invalid element');
  }
  return element;
}

/** Sends the FAIL a violation calls for, then rethrows; the caller closes the connection. */
async function failingWithFail<T>(channel: HandshakeChannel, steps: () => Promise<T>): Promise<T> {
  try {
    return await steps();
  } catch (error) {
    if (error instanceof HandshakeViolation && error.failText !== null) channel.send(encodeFail(error.failText));
    throw error;
  }
}

/**
 * The responder verified CONFIRM_I and it was wrong: the initiator used another code. This is the
 * only handshake failure that counts as an attempt (section 7). A FAIL "wrong code" from the peer
 * never does: it is unauthenticated, so anyone could send it in 15 bytes without any DH work.
 */
export class WrongCodeAttempt extends HandshakeViolation {
  constructor() {
    super('someone tried to connect with a wrong code', FailText.WRONG_CODE, 'E_WRONG_CODE');
  }
}

/** Whether a failed handshake spends one of the responder's attempts at the code (section 7). */
export function countsAsAttempt(error: unknown): boolean {
  return error instanceof WrongCodeAttempt;
}

/** What both people can do when the code did not match, after magic-wormhole's advice. */
const WRONG_CODE_ADVICE =
  'Check the code with the other person, then try again; the receiver allows 3 wrong tries per code, so if it keeps failing, run receive again for a new code.';

/**
 * CONFIRM_R, or E_WRONG_CODE if the responder answers our CONFIRM_I with FAIL "wrong code". That
 * FAIL is unauthenticated, but it is the one a person can act on, whoever sent it.
 */
function expectConfirmR(payload: Buffer): Buffer {
  try {
    return expectHandshakePayload(payload, HandshakeType.CONFIRM, CONFIRM_PAYLOAD_BYTES, 'CONFIRM');
  } catch (error) {
    if (!(error instanceof PeerFailed) || error.peerReason !== FailText.WRONG_CODE) throw error;
    throw new SealdropError(
      'E_WRONG_CODE',
      `the other side says the code is wrong: either one of you typed it wrong, or someone in between tried to guess it and guessed wrong. ${WRONG_CODE_ADVICE}`,
    );
  }
}

/** The capabilities a finished handshake hands back: the keys themselves stay inside them. */
function secureSession(keys: SessionKeys, sealKey: Buffer, openKey: Buffer): SecureSession {
  const { k_resume } = keys;
  return {
    sealer: new RecordSealer(sealKey),
    opener: new RecordOpener(openKey),
    fingerprint: formatFingerprint(keys.fingerprint),
    resumeMac: (index, offset, prefixSha256) => resumeMac(k_resume, index, offset, prefixSha256),
    resumeMacMatches: (index, offset, prefixSha256, mac) => macsEqual(resumeMac(k_resume, index, offset, prefixSha256), mac),
  };
}

export function initiatorHandshake(channel: HandshakeChannel, options: HandshakeOptions): Promise<SecureSession> {
  const draw = options.drawExponent ?? randomExponent;
  return failingWithFail(channel, async () => {
    const x = new PrivateExponent(draw());
    const helloI = encodeFrame(encodeHello(Role.INITIATOR, options.intent, x.publicElement()));
    channel.send(helloI.subarray(4));

    const helloR = await channel.receive();
    const Y_r = checkPeerHello(helloR.payload, Role.RESPONDER, options.intent);
    const S1 = x.raise(Y_r);
    const T1 = transcriptHash([helloI, helloR.header, helloR.payload]);
    const e = deriveStage2Generator(S1, T1, options.codeBytes);
    const c = new PrivateExponent(draw());

    const stage2R = await channel.receive();
    const Z_r = checkElement(expectHandshakePayload(stage2R.payload, HandshakeType.STAGE2, STAGE2_PAYLOAD_BYTES, 'STAGE2'), 'stage-2 value');
    const stage2I = encodeFrame(encodeStage2(c.raise(e)));
    channel.send(stage2I.subarray(4));

    const T2 = transcriptHash([helloI, helloR.header, helloR.payload, stage2I, stage2R.header, stage2R.payload]);
    const keys = deriveSessionKeys(S1, c.raise(Z_r), T2);
    channel.send(encodeConfirm(confirmationMac(keys.m_i, T2)));

    const mac = expectConfirmR((await channel.receive()).payload);
    if (!macsEqual(confirmationMac(keys.m_r, T2), mac)) {
      // No FAIL here: the responder has finished its handshake and reads only records (section 4).
      // An honest responder with another code would have sent FAIL "wrong code" instead.
      throw new HandshakeViolation(
        `the other side did not prove that it knows the code, so nothing was sent: someone in between may be trying to intercept the transfer, or the other side is not sealdrop. ${WRONG_CODE_ADVICE}`,
        null,
        'E_WRONG_CODE',
      );
    }
    return secureSession(keys, keys.k_i2r, keys.k_r2i);
  });
}

export function responderHandshake(channel: HandshakeChannel, options: HandshakeOptions): Promise<SecureSession> {
  const draw = options.drawExponent ?? randomExponent;
  return failingWithFail(channel, async () => {
    const helloI = await channel.receive();
    const Y_i = checkPeerHello(helloI.payload, Role.INITIATOR, options.intent);

    const x = new PrivateExponent(draw());
    const helloR = encodeFrame(encodeHello(Role.RESPONDER, options.intent, x.publicElement()));
    channel.send(helloR.subarray(4));
    const S1 = x.raise(Y_i);
    const T1 = transcriptHash([helloI.header, helloI.payload, helloR]);
    const e = deriveStage2Generator(S1, T1, options.codeBytes);
    const c = new PrivateExponent(draw());
    const stage2R = encodeFrame(encodeStage2(c.raise(e)));
    channel.send(stage2R.subarray(4));

    const stage2I = await channel.receive();
    const Z_i = checkElement(expectHandshakePayload(stage2I.payload, HandshakeType.STAGE2, STAGE2_PAYLOAD_BYTES, 'STAGE2'), 'stage-2 value');
    const T2 = transcriptHash([helloI.header, helloI.payload, helloR, stage2I.header, stage2I.payload, stage2R]);
    const keys = deriveSessionKeys(S1, c.raise(Z_i), T2);

    const confirmI = await channel.receive();
    const mac = expectHandshakePayload(confirmI.payload, HandshakeType.CONFIRM, CONFIRM_PAYLOAD_BYTES, 'CONFIRM');
    if (!macsEqual(confirmationMac(keys.m_i, T2), mac)) throw new WrongCodeAttempt();
    channel.send(encodeConfirm(confirmationMac(keys.m_r, T2)));
    return secureSession(keys, keys.k_r2i, keys.k_i2r);
  });
}
