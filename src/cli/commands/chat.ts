/**
 * `sealdrop chat` (PROTOCOL.md section 10): two people, or a room. Whoever goes first hosts and is
 * shown a code; the other joins with it, directly or through a relay, met as send and receive meet
 * (rendezvous.ts). The host's side takes any source of incoming streams (a port, a relay) and the
 * guest's side a stream to the host: `hostChat`/`hostRoom` over IncomingStreams, `joinChat` over a Duplex.
 */
import { userInfo } from 'node:os';
import type { Duplex } from 'node:stream';
import { SealdropError, toSealdropError } from '../../errors.js';
import { cutName } from '../../protocol/chat-names.js';
import { assertStrongCode } from '../../protocol/code-strength.js';
import { forDisplay } from '../../protocol/display.js';
import { Intent } from '../../protocol/handshake-messages.js';
import type { IncomingStreams } from '../../channel/incoming.js';
import { openSecureChannel } from '../../channel/secure-channel.js';
import { acceptChat, firstChatPeer, offerChat, toChatMessage, type ChatConnection, type ChatEnd } from '../../session/chat-session.js';
import { ChatRoom, WHO_REQUEST, type RoomEvent } from '../../session/chat-room.js';
import { Gate, type GateEvent } from '../../session/gate.js';
import { openChatScreen, type ChatScreen } from '../chat-screen.js';
import { readCode } from '../code-input.js';
import { onInterrupt } from '../interrupt.js';
import { announceHosting, recordGateEvent, reportBusy, reportGateEvent, reportRoute } from '../meeting-output.js';
import type { Output } from '../output.js';
import { planMeeting } from '../rendezvous.js';

export interface ChatArguments {
  /** Join the chat or room waiting there, directly (HOST:PORT). */
  readonly to?: string;
  /** Through this relay (HOST:PORT), else SEALDROP_RELAY, unless an address option says direct. */
  readonly relay?: string;
  /** Go first (the default without --to or --join): show a code and wait, on the relay or on --port. */
  readonly wait?: boolean;
  /** The other side went first: join it with its code, through the relay or at --to. */
  readonly join?: boolean;
  /** Where to listen (direct, when this side goes first); undefined when not given (see rendezvous.ts). */
  readonly port?: number;
  readonly host?: string;
  /** Seconds to keep trying while the relay says the host is busy with someone else. */
  readonly busyWait?: number;
  /** Host a room (any number of members) instead of a two-party chat. */
  readonly room: boolean;
  /** What the others call us; the login name by default. */
  readonly name?: string;
  readonly code?: string;
  readonly json: boolean;
  /** Seconds a connecting peer has to finish the handshake; by default 30, through a relay 10 (section 9). */
  readonly handshakeTimeout?: number;
}

const QUIT_COMMAND = '/quit';
const WHO_COMMAND = '/who';

/** The login name, or a plain word where the system has none for this user. */
function loginName(): string {
  try {
    return userInfo().username;
  } catch {
    return process.env.USER ?? 'me';
  }
}

/**
 * Who goes first, as with send and receive: without --to or --join this side hosts (waits, shows
 * the code); `--join` (or `--to HOST:PORT`, a direct join) joins. `--wait` says "host" outright.
 */
export async function runChat(args: ChatArguments, output: Output): Promise<void> {
  if (args.wait && args.join) throw new SealdropError('E_USAGE', '--wait goes first and --join joins the side that did: give one of them');
  const goesFirst = args.wait || (!args.join && args.to === undefined);
  if (args.room && !goesFirst) throw new SealdropError('E_USAGE', '--room hosts a room; to join one, run `sealdrop chat --join` (or --to HOST:PORT) without --room');
  const meeting = planMeeting({ goesFirst, relay: args.relay, peer: args.to, peerOption: '--to', port: args.port, host: args.host, busyWaitSeconds: args.busyWait });
  // Section 10: the others cut a name to 64 code points; cut here, we show ourselves as they do.
  const name = cutName(args.name ?? loginName());
  const given = await readCode(args.code, output, { prompt: meeting.role === 'guest', from: 'other side' });
  if (meeting.role === 'guest') {
    if (given === null) throw new SealdropError('E_USAGE', 'no code given');
    meeting.check(given.bytes);
    output.spin('Connecting to the other side…');
    const stream = await meeting.connect(given.bytes, () => reportBusy(output));
    reportRoute(meeting.route, output);
    await joinChat(stream, { name, codeBytes: given.bytes, json: args.json }, output);
    return;
  }
  // A chosen code guards the chat as well as a generated one only if it takes as many guesses.
  if (given !== null) assertStrongCode(given.bytes);
  const hosting = await meeting.open(given);
  const stopOnInterrupt = onInterrupt(() => void hosting.close());
  try {
    announceHosting(hosting, 'sealdrop chat --join', '--to', output);
    const handshakeTimeoutMs = args.handshakeTimeout === undefined ? hosting.handshakeTimeoutMs : args.handshakeTimeout * 1000;
    // No one new once the chat began, the code is spent or the room closes: the listener closes,
    // or the relay forgets the nameplate (section 9), while the chats already running go on.
    const options = { name, codeBytes: hosting.codeBytes, json: args.json, handshakeTimeoutMs, onAdmissionsEnd: () => void hosting.close() };
    if (args.room) await hostRoom(hosting.incoming, options, output);
    else await hostChat(hosting.incoming, options, output);
  } finally {
    stopOnInterrupt();
    output.finish();
    await hosting.close();
  }
}

interface JoinOptions {
  readonly name: string;
  readonly codeBytes: Buffer;
  readonly json: boolean;
}

interface HostOptions extends JoinOptions {
  readonly handshakeTimeoutMs: number;
  /** Called once no one new may come (the chat began, the code is spent, the room closes). */
  readonly onAdmissionsEnd: () => void;
}

/** The guest's side: the handshake as initiator on a stream to the host, then OFFER our name. */
export async function joinChat(stream: Duplex, options: JoinOptions, output: Output): Promise<void> {
  output.spin('Securing the connection…');
  const channel = await openSecureChannel(stream, { role: 'initiator', intent: Intent.CHAT, codeBytes: options.codeBytes });
  reportSecured(channel.fingerprint, 'the other side sees the same', output);
  const joined = await offerChat(channel, options.name);
  if (joined.room !== null) {
    output.essential(`You are in a room hosted by ${shownName(joined.peerName)}, as ${shownName(joined.room.you)}. The host reads everything written here. /who lists who is in.`);
    output.event('room', { host: joined.peerName, you: joined.room.you });
  }
  const screen = openChatScreen(output, options.json);
  const end = await converse(joined.chat, screen, {
    myName: joined.room?.you ?? options.name,
    peerName: joined.peerName,
    who: () => (joined.room === null ? screen.note(`In this chat: you (${options.name}) and ${shownName(joined.peerName)}`) : joined.chat.send({ text: WHO_REQUEST, notice: false }).catch(() => undefined)),
  });
  finish(end, joined.room === null ? `${shownName(joined.peerName)} left the chat` : 'the host closed the room', screen, output);
}

/** The host of a two-party chat: the first peer through the gate that offers a chat, then no one else. */
export async function hostChat(incoming: IncomingStreams, options: HostOptions, output: Output): Promise<void> {
  const gate = new Gate(incoming, { codeBytes: options.codeBytes, intent: Intent.CHAT, handshakeTimeoutMs: options.handshakeTimeoutMs, onEvent: (event) => reportGateEvent(event, 'other person', output) });
  const { channel, peerName } = await firstChatPeer(gate, (error) => {
    output.warn(`a peer with the code did not offer a chat: ${error.code}: ${error.message}; the code is still valid: waiting for the other person`);
    output.event('refused', { code: error.code, message: error.message });
  }).catch((error: unknown) => {
    throw withChatHint(error);
  });
  options.onAdmissionsEnd();
  reportSecured(channel.fingerprint, 'the other side sees the same', output);
  const { chat } = acceptChat(channel, { name: options.name, room: false });
  const screen = openChatScreen(output, options.json);
  const end = await converse(chat, screen, {
    myName: options.name,
    peerName,
    who: () => screen.note(`In this chat: you (${options.name}) and ${shownName(peerName)}`),
  });
  finish(end, `${shownName(peerName)} left the chat`, screen, output);
}

/** The host of a room: members come and go until the host leaves (/quit, Ctrl-D, end of input). */
export async function hostRoom(incoming: IncomingStreams, options: HostOptions, output: Output): Promise<void> {
  const screen = openChatScreen(output, options.json);
  const gate = new Gate(incoming, { codeBytes: options.codeBytes, intent: Intent.CHAT, handshakeTimeoutMs: options.handshakeTimeoutMs, onEvent: (event) => noteGateEvent(event, screen, output) });
  const room = new ChatRoom({ hostName: options.name, onEvent: (event) => reportRoomEvent(event, screen, output, options.onAdmissionsEnd) });
  screen.note(`You host a room as ${shownName(options.name)}; you read everything its members write. /who lists them, /quit ends the room.`);
  const admitting = room.admit(gate).catch((error: unknown) => screen.note(`sealdrop: no one new can join: ${toSealdropError(error).message}`));
  const stopOnInterrupt = onInterrupt(() => void room.close());
  try {
    for await (const line of screen.lines()) {
      if (line === QUIT_COMMAND) break;
      if (line === WHO_COMMAND) screen.note(`In the room: ${room.who().map(shownName).join(', ')}`);
      else if (line !== '') sendOwn(() => room.say(line), line, options.name, screen);
    }
    options.onAdmissionsEnd();
    await room.close();
    await admitting;
  } finally {
    stopOnInterrupt();
    screen.close();
  }
  output.jsonResult({ ok: true, kind: 'room' });
}

interface Conversation {
  readonly myName: string;
  readonly peerName: string;
  readonly who: () => unknown;
}

/**
 * Two sides at once until one ends: the peer's texts to the screen, the person's lines to the
 * peer. The person ending (/quit, end of input, Ctrl-C) leaves in order: CLOSE, the peer's CLOSE.
 */
async function converse(chat: ChatConnection, screen: ChatScreen, conversation: Conversation): Promise<ChatEnd> {
  const peerEnded = chat.read((text) => screen.show(toChatMessage(text, conversation.peerName)));
  const stopOnInterrupt = onInterrupt(() => void chat.leave());
  const typed = (async () => {
    for await (const line of screen.lines()) {
      if (line === QUIT_COMMAND) return;
      if (line === WHO_COMMAND) conversation.who();
      else if (line !== '') sendOwn(() => chat.send({ text: line, from: conversation.myName, time: Date.now(), notice: false }), line, conversation.myName, screen);
    }
  })();
  try {
    const first = await Promise.race([peerEnded, typed.then(() => null)]);
    if (first !== null) return first;
    await chat.leave();
    return 'we-left';
  } finally {
    stopOnInterrupt();
    screen.close();
  }
}

/** Sends one line of ours; one too long for a record is refused with a note, and the chat goes on. */
function sendOwn(send: () => Promise<void> | void, text: string, myName: string, screen: ChatScreen): void {
  const shown = () => screen.showOwn({ from: myName, text, time: Date.now(), notice: false });
  try {
    const sending = send();
    if (sending === undefined) shown();
    else sending.then(shown, (error: unknown) => screen.note(`sealdrop: ${toSealdropError(error).message}`));
  } catch (error) {
    screen.note(`sealdrop: ${toSealdropError(error).message}`);
  }
}

/** How the chat ended, for the person; only a connection lost without CLOSE is a failure. */
function finish(end: ChatEnd, peerLeft: string, screen: ChatScreen, output: Output): void {
  if (end === 'vanished') throw new SealdropError('E_CONNECT', 'the connection was lost: the other side is gone without saying goodbye');
  if (end === 'peer-left') screen.note(peerLeft);
  output.jsonResult({ ok: true, kind: 'chat', end });
}

function reportSecured(fingerprint: string, who: string, output: Output): void {
  output.info(`Secure connection established. Session fingerprint: ${fingerprint} (${who})`);
  output.event('secured', { fingerprint });
}

function reportRoomEvent(event: RoomEvent, screen: ChatScreen, output: Output, onAdmissionsEnd: () => void): void {
  const now = Date.now();
  switch (event.type) {
    case 'joined':
      screen.show({ from: null, text: `${event.name} joined`, time: now, notice: true });
      screen.note(`Session fingerprint with ${shownName(event.name)}: ${event.fingerprint} (they see the same)`);
      output.event('joined', { name: event.name, fingerprint: event.fingerprint });
      return;
    case 'left': {
      const gone = event.how === 'peer-left' ? 'left' : 'is gone (the connection was lost)';
      screen.show({ from: null, text: `${event.name} ${gone}`, time: now, notice: true });
      if (event.how instanceof SealdropError) screen.note(`sealdrop: ${shownName(event.name)}: ${event.how.code}: ${event.how.message}`);
      return;
    }
    case 'message':
      screen.show(event.message);
      return;
    case 'refused':
      screen.note(`sealdrop: warning: a peer with the code did not join properly: ${event.error.code}: ${event.error.message}`);
      return;
    case 'code-spent':
      onAdmissionsEnd();
      screen.note('sealdrop: warning: 3 wrong codes: the code is spent and no one new can join; the members stay');
      output.event('code-spent');
  }
}

/** A room's host shows a failed handshake above its input line, as a warning. */
function noteGateEvent(event: GateEvent, screen: ChatScreen, output: Output): void {
  const warning = recordGateEvent(event, output);
  if (warning !== null) screen.note(`sealdrop: warning: ${warning}`);
}

/** The gate's spent code tells a receiver to start again: a chat's host starts a new chat. */
function withChatHint(error: unknown): unknown {
  if (!(error instanceof SealdropError) || error.code !== 'E_CODE_SPENT') return error;
  return new SealdropError('E_CODE_SPENT', '3 attempts with a wrong code: the code is spent; start a new chat for a new code', { cause: error });
}

/** A name the peer chose, as the person is shown it (section 5's display rule). */
function shownName(name: string): string {
  return forDisplay(name);
}
