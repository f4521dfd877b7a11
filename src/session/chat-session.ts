/**
 * A two-party chat over a secure channel (PROTOCOL.md sections 5 and 10): the initiator offers a
 * chat under its name, the responder accepts under its own (a room's host adds `room` and `you`),
 * then both send TEXT records at will until one sends CLOSE, which the other answers with CLOSE;
 * then both close. A room's host holds one of these with each member (chat-room.ts).
 */
import { SealdropError, toSealdropError } from '../errors.js';
import { cutName } from '../protocol/chat-names.js';
import { chatTextFits, encodeChatAccept, encodeChatOffer, encodeChatText, parseChatAccept, parseChatText, parseOffer, type ChatAccept, type ChatText } from '../protocol/messages.js';
import { RecordType, recordTypeName } from '../protocol/records.js';
import type { SecureChannel } from '../channel/secure-channel.js';
import type { Gate } from './gate.js';

/** How long a side that sent CLOSE waits for the peer's CLOSE before it closes anyway. */
export const DEFAULT_CLOSE_ANSWER_TIMEOUT_MS = 5_000;

/** A line of the conversation as a person is shown it; `from` is null for a notice without a name. */
export interface ChatMessage {
  readonly from: string | null;
  readonly text: string;
  /** Milliseconds since the Unix epoch: when the writer sent it, by its clock, or when it arrived. */
  readonly time: number;
  readonly notice: boolean;
}

/**
 * How a chat ended: the peer sent CLOSE (we answered), we sent CLOSE (the peer answered), or the
 * connection went without one.
 */
export type ChatEnd = 'peer-left' | 'we-left' | 'vanished';

/** What the initiator learns from the ACCEPT: the host's name, and in a room, its own name there. */
export interface JoinedChat {
  readonly chat: ChatConnection;
  /** The responder's name, cut to 64 code points; '' when it gave none. */
  readonly peerName: string;
  /** Null for a two-party chat; in a room, the name under which the others see us. */
  readonly room: { readonly you: string } | null;
}

export function textTooLong(text: string): SealdropError {
  const bytes = Buffer.byteLength(text, 'utf8');
  return new SealdropError('E_TOO_LARGE', `not sent: this message (${bytes} bytes) does not fit in one record of the chat (1 MiB); send it as a file with \`sealdrop send\``);
}

/**
 * One side of one two-party chat after its OFFER and ACCEPT. `read()` takes the peer's TEXTs until
 * the chat ends; `send()` writes ours; `leave()` ends it in order.
 */
export class ChatConnection {
  #closeSent = false;
  #reading: Promise<ChatEnd> | null = null;

  constructor(
    private readonly channel: SecureChannel,
    private readonly closeAnswerTimeoutMs = DEFAULT_CLOSE_ANSWER_TIMEOUT_MS,
  ) {}

  get fingerprint(): string {
    return this.channel.fingerprint;
  }

  /**
   * Sends one TEXT. A text that would not fit one record, with room for what a room's host adds,
   * is refused (E_TOO_LARGE) and nothing is sent: a message is never cut. After we left, nothing goes.
   */
  async send(message: ChatText): Promise<void> {
    if (!message.notice && !chatTextFits(message.text)) throw textTooLong(message.text);
    const body = encodeChatText(message);
    if (body === null) throw textTooLong(message.text);
    if (this.#closeSent) return;
    await this.channel.send(RecordType.TEXT, body);
  }

  /**
   * Hands each TEXT of the peer to `onText` until the chat ends: resolves 'peer-left' after the
   * peer's CLOSE (which we answer), 'we-left' after the peer's answer to ours, 'vanished' when the
   * connection ended without one.
   * Anything else the peer sends is E_PROTOCOL (told to the peer in an ERROR), and the peer's
   * ERROR is thrown as PeerStopped.
   * The next record is read only once the promise `onText` returns (if any) settles: until then
   * the peer's records wait in the channel, and a peer that keeps writing is slowed down by its
   * own full connection (a room's backpressure, chat-room.ts).
   * With `closeInBackground`, a failure is thrown as soon as it is known, the ERROR for the peer
   * and the close following on their own: a room's host goes on at once, while a peer that broke
   * the chat may keep the close waiting for its answer (the channel's close timeout).
   */
  read(onText: (text: ChatText) => void | Promise<void>, options: { readonly closeInBackground?: boolean } = {}): Promise<ChatEnd> {
    this.#reading ??= this.#read(onText, options.closeInBackground ?? false);
    return this.#reading;
  }

  async #read(onText: (text: ChatText) => void | Promise<void>, closeInBackground: boolean): Promise<ChatEnd> {
    try {
      for await (const record of this.channel.records()) {
        if (record.type === RecordType.TEXT) {
          await onText(parseChatText(record.body));
        } else if (record.type === RecordType.CLOSE) {
          const peerLeft = !this.#closeSent;
          await this.#sendClose();
          await this.channel.close();
          return peerLeft ? 'peer-left' : 'we-left';
        } else {
          throw new SealdropError('E_PROTOCOL', `expected TEXT or CLOSE in a chat, got ${recordTypeName(record.type)}`);
        }
      }
      await this.channel.close();
      return 'vanished';
    } catch (error) {
      const failure = toSealdropError(error);
      if (failure.code === 'E_CONNECT') return 'vanished';
      const failing = this.channel.fail(failure);
      if (!closeInBackground) await failing;
      throw failure;
    }
  }

  async #sendClose(): Promise<void> {
    if (this.#closeSent) return;
    this.#closeSent = true;
    try {
      await this.channel.sendJson(RecordType.CLOSE, {});
    } catch {
      // The connection is already gone; read() reports how.
    }
  }

  /**
   * Ends the chat in order: CLOSE, then the peer's CLOSE (waited for at most the close-answer
   * timeout, while `read()` goes on handing over what the peer wrote before it), then close.
   */
  async leave(): Promise<void> {
    await this.#sendClose();
    if (this.#reading !== null) {
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<void>((resolve) => (timer = setTimeout(resolve, this.closeAnswerTimeoutMs)));
      await Promise.race([this.#reading.catch(() => undefined), timeout]);
      clearTimeout(timer);
    }
    await this.channel.close();
  }

  /** What we wrote that the peer has not taken yet (a peer that stops reading makes it grow). */
  get unsentBytes(): number {
    return this.channel.unsentBytes;
  }

  /** Ends the chat at once, nothing flushed: `read()` throws `error`, as if the connection had failed. */
  drop(error: SealdropError): void {
    this.channel.abort(error);
  }

  /** Ends the chat at once, with an ERROR for the peer where `error` is one it should hear. */
  fail(error: SealdropError): Promise<void> {
    return this.channel.fail(error);
  }
}

/** The initiator's side: OFFER our name, read the ACCEPT (section 10). */
export async function offerChat(channel: SecureChannel, name: string, closeAnswerTimeoutMs?: number): Promise<JoinedChat> {
  try {
    await channel.send(RecordType.OFFER, encodeChatOffer(name));
    const accept = parseChatAccept(await channel.expect(RecordType.ACCEPT));
    const peerName = cutName(accept.name ?? '');
    const room = accept.room ? { you: cutName(accept.you ?? name) } : null;
    return { chat: new ChatConnection(channel, closeAnswerTimeoutMs), peerName, room };
  } catch (error) {
    await channel.fail(toSealdropError(error));
    throw error;
  }
}

/** The responder's side, first half: the peer's chat OFFER; what it wants to be called, as sent. */
export async function readChatOffer(channel: SecureChannel): Promise<string> {
  try {
    const offer = parseOffer(await channel.expect(RecordType.OFFER));
    if (offer.kind !== 'chat') throw new SealdropError('E_PROTOCOL', `the peer offered ${offer.kind === 'text' ? 'a text' : offer.kind} to a chat; it should run \`sealdrop chat\``);
    return offer.name;
  } catch (error) {
    await channel.fail(toSealdropError(error));
    throw error;
  }
}

/**
 * A two-party chat's host: the first peer through the gate that offers a chat. One that completed
 * the handshake (it has the code) and then offers something else, or nothing within the idle
 * timeout, is told E_PROTOCOL, reported to `onRefused`, and the gate waits for another peer while
 * the code is valid. An honest peer cannot get there: the handshake pairs a chat only with a chat
 * (sections 1 and 4), so a send or receive is refused before any record.
 */
export async function firstChatPeer(gate: Gate, onRefused: (error: SealdropError) => void): Promise<{ channel: SecureChannel; peerName: string }> {
  for (;;) {
    const channel = await gate.next();
    try {
      return { channel, peerName: await readChatOffer(channel) };
    } catch (error) {
      onRefused(toSealdropError(error));
      gate.release();
    }
  }
}

/** The responder's side, second half: ACCEPT, sealed at once (nothing else may go out before it). */
export function acceptChat(channel: SecureChannel, accept: ChatAccept, closeAnswerTimeoutMs?: number): { chat: ChatConnection; sent: Promise<void> } {
  const sent = channel.send(RecordType.ACCEPT, encodeChatAccept(accept));
  return { chat: new ChatConnection(channel, closeAnswerTimeoutMs), sent };
}

/** A TEXT as the person is shown it: cut names, the time it arrived where the writer gave none. */
export function toChatMessage(text: ChatText, fallbackFrom: string | null, arrivedAt = Date.now()): ChatMessage {
  const from = text.from ?? (text.notice ? null : fallbackFrom);
  return { from: from === null ? null : cutName(from), text: text.text, time: text.time ?? arrivedAt, notice: text.notice };
}
