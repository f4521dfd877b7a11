/**
 * A client's exchange with a relay (PROTOCOL.md section 9): one request on a new connection, then
 * its answers, over any byte stream a `dial` gives (a TCP socket today, a WebSocket later). What
 * a relay refuses is said in plain words; a relay that cannot be reached, goes silent, or answers
 * anything section 9 does not define is E_RELAY, never a hang.
 */
import type { Duplex } from 'node:stream';
import { SealdropError, type RelayErrorCode } from '../errors.js';
import { FRAME_HEADER_BYTES } from '../protocol/frames.js';
import { encodeRelayRequest, isRelayFrameLength, parseRelayAnswer, type RelayAnswer, type RelayRequest } from '../protocol/relay-messages.js';
import { firstEvent } from '../channel/first-event.js';
import { writeWithBackpressure } from '../channel/drain.js';

/** How long a relay has to answer a request it can answer at once (all but a posted host's `paired`). */
export const DEFAULT_RELAY_ANSWER_TIMEOUT_MS = 10_000;

export interface RelayLink {
  /** A new connection to the relay; rejects with a SealdropError if there is none to be had. */
  readonly dial: () => Promise<Duplex>;
  /** The relay as the person knows it (`relay.example:7879`, `[::1]:7879`), for messages. */
  readonly name: string;
  readonly answerTimeoutMs?: number;
}

/** Opens a connection, sends `request` and reads the first answer within the answer timeout. */
export async function ask(link: RelayLink, request: RelayRequest): Promise<{ stream: Duplex; answer: RelayAnswer }> {
  const stream = await link.dial();
  stream.on('error', () => undefined); // failures surface through readAnswer
  try {
    await writeWithBackpressure(stream, [encodeRelayRequest(request)]);
    return { stream, answer: await readAnswer(stream, link, link.answerTimeoutMs ?? DEFAULT_RELAY_ANSWER_TIMEOUT_MS) };
  } catch (error) {
    stream.destroy();
    throw error instanceof SealdropError && error.code.startsWith('E_RELAY') ? error : notARelay(link, 'the connection closed before it answered');
  }
}

/**
 * The next answer frame on `stream`, waiting at most `timeoutMs` (null: as long as it takes, for
 * a posted host's `paired`). Bytes after it are put back: after `paired` they are the peer's.
 */
export async function readAnswer(stream: Duplex, link: RelayLink, timeoutMs: number | null): Promise<RelayAnswer> {
  const deadline = timeoutMs === null ? null : Date.now() + timeoutMs;
  let received = Buffer.alloc(0);
  for (;;) {
    if (received.length >= FRAME_HEADER_BYTES) {
      const length = received.readUInt32BE(0);
      // Checked before any of the payload is awaited: an HTTP server's "HTTP" is a length of 1.2 GB.
      if (!isRelayFrameLength(length)) throw notARelay(link, 'it answered something that is not a relay frame');
      const end = FRAME_HEADER_BYTES + length;
      if (received.length >= end) {
        if (received.length > end) stream.unshift(received.subarray(end));
        const answer = parseRelayAnswer(received.subarray(FRAME_HEADER_BYTES, end));
        if (answer === null) throw notARelay(link, 'it answered something section 9 of the protocol does not define');
        return answer;
      }
    }
    const chunk = stream.read() as Buffer | null;
    if (chunk !== null) {
      received = Buffer.concat([received, chunk]);
      continue;
    }
    if (stream.readableEnded || stream.destroyed) throw notARelay(link, 'the connection closed before it answered');
    const leftMs = deadline === null ? undefined : deadline - Date.now();
    if (leftMs !== undefined && leftMs <= 0) throw notARelay(link, `no answer within ${Math.round((timeoutMs ?? 0) / 1000)} s`);
    await firstEvent(stream, ['readable', 'end', 'close'], leftMs);
  }
}

export function notARelay(link: RelayLink, why: string): SealdropError {
  return new SealdropError('E_RELAY', `the relay ${link.name} did not answer as a sealdrop relay does (${why}): check the address, or try again later`);
}

/** What each refusal of section 9 means, for the person. */
const REFUSAL_WORDS: Record<RelayErrorCode, string> = {
  E_RELAY_REQUEST: 'did not understand this side\'s request: is it a sealdrop relay (protocol version 1)?',
  E_RELAY_NAMEPLATE: 'holds no such code: the code is wrong, or it has expired; ask the other side for it again (or for a new one)',
  E_RELAY_TOKEN: 'no longer lets this side wait for its code: start again for a new code',
  E_RELAY_BUSY: 'says the other side is busy with someone else; try again later',
  E_RELAY_FULL: 'is full; try again later, or use another relay',
  E_RELAY_RATE: 'refuses more requests from this address (or more attempts at this code) for now; wait a minute, then try again',
  E_RELAY_TIMEOUT: 'stopped keeping this side\'s connection waiting',
};

export function refusedByRelay(link: RelayLink, code: RelayErrorCode, detail = ''): SealdropError {
  return new SealdropError(code, `the relay ${link.name} ${REFUSAL_WORDS[code]}${detail}`);
}

/** An answer of a kind this step does not expect: a refusal in plain words, anything else E_RELAY. */
export function unexpectedAnswer(link: RelayLink, answer: RelayAnswer): SealdropError {
  return answer.kind === 'refused' ? refusedByRelay(link, answer.code) : notARelay(link, `it answered "${answer.kind}" out of turn`);
}
