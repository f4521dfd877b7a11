/**
 * A room's host (PROTOCOL.md section 10): every member holds a two-party chat with the host. The
 * host admits members through the gate one handshake at a time, names each uniquely, passes each
 * member's TEXT on to every other member with only its `text` and `time` and a `from` it sets
 * itself, announces joins and leaves as notices, goes on when a member vanishes, and when it
 * leaves sends CLOSE to every member. After 3 wrong codes it admits no one new; the members stay.
 */
import { SealdropError, toSealdropError } from '../errors.js';
import { uniqueRoomName } from '../protocol/chat-names.js';
import { chatTextFits, type ChatText } from '../protocol/messages.js';
import type { SecureChannel } from '../channel/secure-channel.js';
import { acceptChat, readChatOffer, textTooLong, type ChatConnection, type ChatEnd, type ChatMessage } from './chat-session.js';
import type { Gate } from './gate.js';

/**
 * A member's TEXT that is exactly this is a question to the host, answered to that member alone
 * with a notice naming who is in the room, and not passed on.
 */
export const WHO_REQUEST = '/who';

export type RoomEvent =
  | { readonly type: 'joined'; readonly name: string; readonly fingerprint: string }
  | { readonly type: 'left'; readonly name: string; readonly how: ChatEnd | SealdropError }
  /** A member's message, as every other member is shown it: the host reads everything. */
  | { readonly type: 'message'; readonly message: ChatMessage }
  /** A peer completed the handshake but did not offer a chat properly; it was not admitted. */
  | { readonly type: 'refused'; readonly error: SealdropError }
  /** The code is spent (3 wrong codes): no one new is admitted, the members stay. */
  | { readonly type: 'code-spent'; readonly error: SealdropError };

export interface RoomOptions {
  /** The host's own name, which counts when members' names are made unique. */
  readonly hostName: string;
  readonly onEvent: (event: RoomEvent) => void;
  readonly closeAnswerTimeoutMs?: number;
  /** How much may wait for one member that does not read before it is treated as gone. */
  readonly maxUnsentBytesPerMember?: number;
  /** How long a member may take to take in a message before it is treated as gone. */
  readonly drainTimeoutMs?: number;
  /** The clock that stamps the host's own texts and notices (ms since the Unix epoch). */
  readonly now?: () => number;
}

/**
 * What may wait for one member before it counts as gone: a few of the largest messages (1 MiB
 * each), far more than a member that reads ever lets pile up, and a bound on what one that never
 * reads can make the host hold.
 */
export const MAX_UNSENT_BYTES_PER_MEMBER = 8 * 1024 * 1024;

/**
 * How long a member may take to take in one message: a member that reads, however slowly, takes
 * in the largest (1 MiB) well within it; one that has stopped reading holds the sender up no longer.
 */
export const DEFAULT_DRAIN_TIMEOUT_MS = 30_000;

export class ChatRoom {
  /** By the name the others see, in the order they joined. */
  readonly #members = new Map<string, ChatConnection>();
  readonly #now: () => number;
  #closing = false;

  constructor(private readonly options: RoomOptions) {
    this.#now = options.now ?? Date.now;
  }

  /** The host first, then the members in the order they joined. */
  who(): string[] {
    return [this.options.hostName, ...this.#members.keys()];
  }

  /**
   * Admits members through `gate` until the room closes, the gate's source ends, or the code is
   * spent. The gate is released right after each handshake, so the next peer may start its own
   * while this one's OFFER and ACCEPT run.
   */
  async admit(gate: Gate): Promise<void> {
    for (;;) {
      let channel: SecureChannel;
      try {
        channel = await gate.next();
      } catch (error) {
        const failure = toSealdropError(error);
        if (this.#closing) return;
        if (failure.code === 'E_CODE_SPENT') {
          this.options.onEvent({ type: 'code-spent', error: failure });
          return;
        }
        throw failure;
      }
      gate.release();
      if (this.#closing) {
        await channel.close();
        return;
      }
      void this.#welcome(channel);
    }
  }

  async #welcome(channel: SecureChannel): Promise<void> {
    let wanted: string;
    try {
      wanted = await readChatOffer(channel);
    } catch (error) {
      this.options.onEvent({ type: 'refused', error: toSealdropError(error) });
      return;
    }
    if (this.#closing) {
      await channel.close();
      return;
    }
    // Named, listed and accepted in one step: no other join can take the name meanwhile, and
    // the ACCEPT is sealed before any text passed on to this member.
    const you = uniqueRoomName(wanted, this.who());
    const { chat, sent } = acceptChat(channel, { name: this.options.hostName, room: true, you }, this.options.closeAnswerTimeoutMs);
    const others = [...this.#members.keys()];
    this.#members.set(you, chat);
    sent.catch(() => undefined); // a connection lost here ends read() below
    void this.#deliver(chat, this.#notice(others.length === 0 ? `you are in the room with ${this.options.hostName}, who hosts it` : `in the room: ${this.who().filter((name) => name !== you).join(', ')}`));
    void this.#broadcast(this.#notice(`${you} joined`), you);
    this.options.onEvent({ type: 'joined', name: you, fingerprint: chat.fingerprint });
    let how: ChatEnd | SealdropError;
    try {
      how = await chat.read((text) => this.#fromMember(you, chat, text), { closeInBackground: true });
    } catch (error) {
      how = toSealdropError(error);
    }
    this.#members.delete(you);
    if (this.#closing) return;
    void this.#broadcast(this.#notice(how === 'peer-left' ? `${you} left` : `${you} is gone (the connection was lost)`));
    this.options.onEvent({ type: 'left', name: you, how });
  }

  /**
   * The member's next record is read only once this settles (ChatConnection.read), and this
   * waits until every recipient has taken in what this record made us send (#deliver). So a member
   * that writes faster than the slowest member reads is slowed to that pace, its own connection
   * filling up, instead of piling its messages up here until the slow member passes the hard limit
   * and is dropped for someone else's flood. Each member thus has at most one message waiting for
   * each recipient: what waits for one grows with how many members write at once, not with how
   * much one of them writes (eight flooding together can still push a slow one past the hard
   * limit). The wait is bounded: a recipient that takes nothing in within the drain timeout
   * is dropped as gone, and only this member's next record waits meanwhile; the host's own texts
   * and the other members' go out as they come.
   */
  async #fromMember(name: string, chat: ChatConnection, text: ChatText): Promise<void> {
    if (text.text === WHO_REQUEST) {
      await this.#deliver(chat, this.#notice(`in the room: ${this.who().join(', ')}`));
      return;
    }
    // A peer that is not sealdrop may send a text that fits one record only without our `from`.
    if (!chatTextFits(text.text)) {
      await this.#deliver(chat, this.#notice('your last message was too long to pass on with your name; nobody got it'));
      return;
    }
    // Only text and time are kept; `from` is ours to set, so nobody can speak as another, and a
    // member's own `notice` is dropped with it (section 10).
    const passedOn: ChatText = { text: text.text, from: name, notice: false, ...(text.time === undefined ? {} : { time: text.time }) };
    const taken = this.#broadcast(passedOn, name);
    this.options.onEvent({ type: 'message', message: { from: name, text: text.text, time: text.time ?? this.#now(), notice: false } });
    await taken;
  }

  /** The host's own message, to every member. */
  say(text: string): void {
    // Checked here, so that a text too long fails the call instead of vanishing member by member.
    if (!chatTextFits(text)) throw textTooLong(text);
    void this.#broadcast({ text, from: this.options.hostName, time: this.#now(), notice: false });
  }

  #notice(text: string): ChatText {
    return { text, time: this.#now(), notice: true };
  }

  /**
   * To every member but `except`; settles once each has taken it in or was dropped. A member
   * whose connection fails is reported by its read().
   */
  async #broadcast(message: ChatText, except?: string): Promise<void> {
    const deliveries: Promise<void>[] = [];
    for (const [name, chat] of this.#members) if (name !== except) deliveries.push(this.#deliver(chat, message));
    await Promise.all(deliveries);
  }

  /**
   * Sends `message` to `chat` and settles once the connection has taken it in (its buffer has
   * drained), or the member was dropped as gone: past the hard limit at once, since a member that
   * never reads would have everything for it held here without bound; else after the drain
   * timeout. Its read() ending then announces it; the others go on. Never rejects.
   */
  async #deliver(chat: ChatConnection, message: ChatText): Promise<void> {
    const taken = chat.send(message).then(() => true, () => true);
    const limit = this.options.maxUnsentBytesPerMember ?? MAX_UNSENT_BYTES_PER_MEMBER;
    if (chat.unsentBytes > limit) {
      chat.drop(new SealdropError('E_TIMEOUT', `it stopped reading: more than ${limit} bytes waited for it, so it was dropped`));
      return;
    }
    const timeoutMs = this.options.drainTimeoutMs ?? DEFAULT_DRAIN_TIMEOUT_MS;
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), timeoutMs)));
    const inTime = await Promise.race([taken, late]);
    clearTimeout(timer);
    if (!inTime) chat.drop(new SealdropError('E_TIMEOUT', `it stopped reading: it did not take in a message within ${timeoutMs / 1000} s, so it was dropped`));
  }

  /** Leaves: CLOSE to every member, each answer waited for (bounded), every connection closed. */
  async close(): Promise<void> {
    this.#closing = true;
    await Promise.all([...this.#members.values()].map((chat) => chat.leave()));
  }
}
