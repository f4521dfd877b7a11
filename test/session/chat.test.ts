/**
 * Chats and rooms (PROTOCOL.md section 10) over in-memory duplexes: a two-party chat both ways,
 * CLOSE answered by CLOSE, a peer that vanishes, a text too long; a room's host with members who
 * see each other's messages under names the host sets, joins and leaves as notices, /who, a member
 * that vanishes, the host leaving, and three wrong codes that spend the code while members stay;
 * a member that floods the room slowed to the pace of the slowest member that reads.
 */
import { describe, expect, it, vi } from 'vitest';
import { SealdropError } from '../../src/errors.js';
import { Intent } from '../../src/protocol/handshake-messages.js';
import { chatTextFits, encodeJson, type ChatText } from '../../src/protocol/messages.js';
import { MAX_RECORD_BODY_BYTES, RecordType } from '../../src/protocol/records.js';
import { openSecureChannel, type SecureChannel } from '../../src/channel/secure-channel.js';
import { acceptChat, firstChatPeer, offerChat, readChatOffer, type ChatConnection, type ChatEnd, type JoinedChat } from '../../src/session/chat-session.js';
import { ChatRoom, type RoomEvent } from '../../src/session/chat-room.js';
import { Gate, type GateEvent } from '../../src/session/gate.js';
import { duplexPair, MemoryIncoming, type MemoryStream } from '../support/duplex-pair.js';

const CODE = Buffer.from('4-purple-sausages');
const WRONG_CODE = Buffer.from('4-purple-sausagez');
const CLOSE_ANSWER_TIMEOUT_MS = 300;

const chatChannel = (stream: MemoryStream, role: 'initiator' | 'responder', codeBytes = CODE) => openSecureChannel(stream, { role, intent: Intent.CHAT, codeBytes });

/** What one side of a chat received, with a way to wait for what has not come yet. */
class Inbox {
  readonly texts: ChatText[] = [];
  readonly #waiters = new Set<() => void>();

  push = (text: ChatText): void => {
    this.texts.push(text);
    for (const waiter of this.#waiters) waiter();
  };

  /** Resolves with the first text (already there or to come) for which `match` holds. */
  waitFor(match: (text: ChatText) => boolean): Promise<ChatText> {
    return new Promise((resolve) => {
      const check = () => {
        const found = this.texts.find(match);
        if (found === undefined) return;
        this.#waiters.delete(check);
        resolve(found);
      };
      this.#waiters.add(check);
      check();
    });
  }

  waitForText(text: string): Promise<ChatText> {
    return this.waitFor((t) => t.text === text);
  }

  get lines(): string[] {
    return this.texts.map((t) => (t.notice ? `* ${t.text}` : `${t.from}: ${t.text}`));
  }
}

interface Side {
  readonly chat: ChatConnection;
  readonly inbox: Inbox;
  readonly ended: Promise<ChatEnd>;
}

function reading(chat: ChatConnection): Side {
  const inbox = new Inbox();
  return { chat, inbox, ended: chat.read(inbox.push) };
}

/** Reads as a member on a slow line does: each text takes `delayMs` to come in, the next waiting. */
const slowReading =
  (delayMs: number) =>
  (chat: ChatConnection): Side => {
    const inbox = new Inbox();
    const onText = (text: ChatText) => new Promise<void>((resolve) => setTimeout(resolve, delayMs)).then(() => inbox.push(text));
    return { chat, inbox, ended: chat.read(onText) };
  };

/** Both ends of a chat channel, secured: [guest (initiator), host (responder)]. */
async function securedChatPair(): Promise<[SecureChannel, SecureChannel, MemoryStream]> {
  const [near, far] = duplexPair();
  const [guest, host] = await Promise.all([chatChannel(near, 'initiator'), chatChannel(far, 'responder')]);
  return [guest, host, near];
}

/** A two-party chat, both sides reading: [guest, who offered as "ana"; host, who accepts as "bo"]. */
async function twoPartyChat(): Promise<[Side & { joined: JoinedChat }, Side & { offeredName: string }]> {
  const [guestChannel, hostChannel] = await securedChatPair();
  const joining = offerChat(guestChannel, 'ana', CLOSE_ANSWER_TIMEOUT_MS);
  const offeredName = await readChatOffer(hostChannel);
  const { chat, sent } = acceptChat(hostChannel, { name: 'bo', room: false }, CLOSE_ANSWER_TIMEOUT_MS);
  await sent;
  const joined = await joining;
  return [{ ...reading(joined.chat), joined }, { ...reading(chat), offeredName }];
}

describe('a two-party chat', () => {
  it('exchanges names in the OFFER and ACCEPT, then texts both ways with from and time', async () => {
    const [guest, host] = await twoPartyChat();
    expect(host.offeredName).toBe('ana');
    expect(guest.joined).toMatchObject({ peerName: 'bo', room: null });
    await guest.chat.send({ text: 'hello', from: 'ana', time: 1000, notice: false });
    await host.chat.send({ text: 'hi ana — ça va?', from: 'bo', time: 2000, notice: false });
    expect(await host.inbox.waitForText('hello')).toEqual({ text: 'hello', from: 'ana', time: 1000, notice: false });
    expect(await guest.inbox.waitForText('hi ana — ça va?')).toEqual({ text: 'hi ana — ça va?', from: 'bo', time: 2000, notice: false });
    await guest.chat.leave();
    expect(await host.ended).toBe('peer-left');
    expect(await guest.ended).toBe('we-left');
  });

  it('answers the peer\'s CLOSE with CLOSE, and the leaving side waits for it', async () => {
    const [guest, host] = await twoPartyChat();
    const leaving = host.chat.leave();
    expect(await guest.ended).toBe('peer-left');
    await leaving;
    expect(await host.ended).toBe('we-left');
  });

  it('ends as vanished when the connection goes without CLOSE', async () => {
    const [guestChannel, hostChannel, near] = await securedChatPair();
    const joining = offerChat(guestChannel, 'ana');
    await readChatOffer(hostChannel);
    const host = reading(acceptChat(hostChannel, { name: 'bo', room: false }).chat);
    await joining;
    near.destroy();
    expect(await host.ended).toBe('vanished');
  });

  it('gives up waiting for a CLOSE answer after the timeout', async () => {
    const [guestChannel, hostChannel] = await securedChatPair();
    const joining = offerChat(guestChannel, 'ana', CLOSE_ANSWER_TIMEOUT_MS);
    await readChatOffer(hostChannel);
    acceptChat(hostChannel, { name: 'bo', room: false }); // never reads: never answers
    const guest = reading((await joining).chat);
    const started = Date.now();
    await guest.chat.leave();
    expect(Date.now() - started).toBeGreaterThanOrEqual(CLOSE_ANSWER_TIMEOUT_MS - 20);
  });

  it('refuses a text too long for one record, sending nothing', async () => {
    const [guest, host] = await twoPartyChat();
    await expect(guest.chat.send({ text: 'x'.repeat(MAX_RECORD_BODY_BYTES), notice: false })).rejects.toMatchObject({ code: 'E_TOO_LARGE', message: expect.stringContaining('send it as a file') });
    await guest.chat.send({ text: 'still here', notice: false });
    await host.inbox.waitForText('still here');
    expect(host.inbox.texts).toHaveLength(1);
    await guest.chat.leave();
  });

  it('ends with E_PROTOCOL, telling the peer, on a record that is not TEXT or CLOSE', async () => {
    const [guestChannel, hostChannel] = await securedChatPair();
    const joining = offerChat(guestChannel, 'ana');
    await readChatOffer(hostChannel);
    const host = reading(acceptChat(hostChannel, { name: 'bo', room: false }).chat);
    await joining;
    await guestChannel.send(RecordType.DONE, encodeJson({}));
    await expect(host.ended).rejects.toMatchObject({ code: 'E_PROTOCOL', message: expect.stringContaining('got DONE') });
    await expect(guestChannel.receive('the ERROR')).rejects.toMatchObject({ code: 'E_PROTOCOL' });
  });

  it('refuses a TEXT whose optional field has the wrong type', async () => {
    const [guestChannel, hostChannel] = await securedChatPair();
    const joining = offerChat(guestChannel, 'ana');
    await readChatOffer(hostChannel);
    const host = reading(acceptChat(hostChannel, { name: 'bo', room: false }).chat);
    await joining;
    await guestChannel.send(RecordType.TEXT, encodeJson({ text: 'hi', time: -1 }));
    await expect(host.ended).rejects.toMatchObject({ code: 'E_PROTOCOL', message: expect.stringContaining('"time"') });
  });

  it('answers a text offer to a chat with E_PROTOCOL', async () => {
    const [guestChannel, hostChannel] = await securedChatPair();
    await guestChannel.send(RecordType.OFFER, encodeJson({ kind: 'text', text: 'hi' }));
    await expect(readChatOffer(hostChannel)).rejects.toMatchObject({ code: 'E_PROTOCOL', message: expect.stringContaining('sealdrop chat') });
    await expect(guestChannel.receive('the ERROR')).rejects.toMatchObject({ code: 'E_PROTOCOL' });
  });
});

/** A room on a MemoryIncoming: its events, and members that join it. */
function openRoom(hostName = 'host', limits: { handshakeTimeoutMs?: number; idleTimeoutMs?: number; maxUnsentBytesPerMember?: number; drainTimeoutMs?: number } = {}) {
  const incoming = new MemoryIncoming();
  const events: RoomEvent[] = [];
  const gateEvents: GateEvent[] = [];
  const waiters = new Set<() => void>();
  const { maxUnsentBytesPerMember, drainTimeoutMs, ...gateLimits } = limits;
  const gate = new Gate(incoming, { codeBytes: CODE, intent: Intent.CHAT, ...gateLimits, onEvent: (event) => gateEvents.push(event) });
  const room = new ChatRoom({
    hostName,
    maxUnsentBytesPerMember,
    drainTimeoutMs,
    closeAnswerTimeoutMs: CLOSE_ANSWER_TIMEOUT_MS,
    onEvent: (event) => {
      events.push(event);
      for (const waiter of waiters) waiter();
    },
  });
  const admitting = room.admit(gate);
  const waitForEvent = (match: (event: RoomEvent) => boolean) =>
    new Promise<RoomEvent>((resolve) => {
      const check = () => {
        const found = events.find(match);
        if (found === undefined) return;
        waiters.delete(check);
        resolve(found);
      };
      waiters.add(check);
      check();
    });
  /** Joins as `name` and waits until the host has announced it; `read` takes what comes (at once by default). */
  const join = async (name: string, read = reading): Promise<Side & { joined: JoinedChat; stream: MemoryStream }> => {
    const stream = incoming.dial();
    const joined = await offerChat(await chatChannel(stream, 'initiator'), name, CLOSE_ANSWER_TIMEOUT_MS);
    await waitForEvent((event) => event.type === 'joined' && event.name === joined.room?.you);
    return { ...read(joined.chat), joined, stream };
  };
  return { incoming, room, events, gateEvents, admitting, waitForEvent, join };
}

describe('a room', () => {
  it('passes every member\'s text to every other member under its name, announcing joins and leaves', async () => {
    const { room, join, events, waitForEvent } = openRoom();
    const ana = await join('ana');
    const bo = await join('bo');
    const cy = await join('cy');
    expect([ana, bo, cy].map((m) => m.joined.room)).toEqual([{ you: 'ana' }, { you: 'bo' }, { you: 'cy' }]);
    expect(ana.joined.peerName).toBe('host');
    await ana.inbox.waitForText('cy joined');
    expect(await cy.inbox.waitFor((t) => t.notice)).toMatchObject({ text: 'in the room: host, ana, bo' });

    await ana.chat.send({ text: 'hi all', from: 'ana', time: 5, notice: false });
    await bo.chat.send({ text: 'hi ana', notice: false });
    for (const member of [bo, cy]) expect(await member.inbox.waitForText('hi all')).toEqual({ text: 'hi all', from: 'ana', time: 5, notice: false });
    for (const member of [ana, cy]) expect(await member.inbox.waitForText('hi ana')).toEqual({ text: 'hi ana', from: 'bo', notice: false });
    room.say('welcome');
    for (const member of [ana, bo, cy]) expect(await member.inbox.waitForText('welcome')).toMatchObject({ from: 'host', notice: false });
    // The host reads everything.
    expect(events.filter((e) => e.type === 'message').map((e) => e.type === 'message' && `${e.message.from}: ${e.message.text}`)).toEqual(['ana: hi all', 'bo: hi ana']);
    // Nobody is sent back what they wrote.
    expect(ana.inbox.texts.some((t) => t.text === 'hi all')).toBe(false);

    await bo.chat.leave();
    expect(await bo.ended).toBe('we-left');
    for (const member of [ana, cy]) await member.inbox.waitForText('bo left');
    await waitForEvent((e) => e.type === 'left' && e.name === 'bo' && e.how === 'peer-left');
    expect(room.who()).toEqual(['host', 'ana', 'cy']);
    expect(ana.inbox.lines).toEqual(['* you are in the room with host, who hosts it', '* bo joined', '* cy joined', 'bo: hi ana', 'host: welcome', '* bo left']);
    await room.close();
  });

  it('makes names unique, the host\'s own counting, comparing ASCII letters without case', async () => {
    const { room, join } = openRoom('Ana');
    const first = await join('ana');
    const second = await join('ANA');
    const third = await join('');
    expect([first, second, third].map((m) => m.joined.room?.you)).toEqual(['ana (2)', 'ANA (3)', 'guest']);
    expect(room.who()).toEqual(['Ana', 'ana (2)', 'ANA (3)', 'guest']);
    await room.close();
  });

  it('sets from itself: a member cannot speak as another, nor send a notice', async () => {
    const { room, join } = openRoom();
    const ana = await join('ana');
    const bo = await join('bo');
    await ana.chat.send({ text: 'I am bo', from: 'bo', notice: true, time: 7 });
    expect(await bo.inbox.waitForText('I am bo')).toEqual({ text: 'I am bo', from: 'ana', time: 7, notice: false });
    await room.close();
  });

  it('answers /who to the member who asked alone', async () => {
    const { room, join } = openRoom();
    const ana = await join('ana');
    const bo = await join('bo');
    await ana.chat.send({ text: '/who', notice: false });
    expect(await ana.inbox.waitForText('in the room: host, ana, bo')).toMatchObject({ notice: true });
    await bo.chat.send({ text: 'after', notice: false });
    await ana.inbox.waitForText('after');
    expect(bo.inbox.texts.some((t) => t.text.includes('/who') || t.text === 'in the room: host, ana, bo')).toBe(false);
    await room.close();
  });

  it('announces a member that vanished without CLOSE as gone, and goes on', async () => {
    const { room, join, waitForEvent } = openRoom();
    const ana = await join('ana');
    const bo = await join('bo');
    bo.stream.destroy();
    await ana.inbox.waitForText('bo is gone (the connection was lost)');
    await waitForEvent((e) => e.type === 'left' && e.how === 'vanished');
    const cy = await join('cy');
    await cy.chat.send({ text: 'still on', notice: false });
    await ana.inbox.waitForText('still on');
    expect(room.who()).toEqual(['host', 'ana', 'cy']);
    await room.close();
  });

  it('sends CLOSE to every member when the host leaves, and admits no one after', async () => {
    const { room, join, incoming, admitting } = openRoom();
    const members = [await join('ana'), await join('bo')];
    await room.close();
    for (const member of members) expect(await member.ended).toBe('peer-left');
    incoming.end();
    await admitting;
  });

  it('after three wrong codes admits no one new, while the members stay', async () => {
    const { room, join, incoming, waitForEvent } = openRoom();
    const ana = await join('ana');
    const bo = await join('bo');
    for (let i = 0; i < 3; i += 1) await expect(chatChannel(incoming.dial(), 'initiator', WRONG_CODE)).rejects.toBeInstanceOf(SealdropError);
    expect(await waitForEvent((e) => e.type === 'code-spent')).toMatchObject({ error: { code: 'E_CODE_SPENT' } });
    // Even the right code gets no handshake now.
    await expect(chatChannel(incoming.dial(), 'initiator')).rejects.toMatchObject({ code: 'E_CONNECT' });
    await ana.chat.send({ text: 'we stay', notice: false });
    await bo.inbox.waitForText('we stay');
    await room.close();
  });
});

describe('a two-party chat\'s host', () => {
  it('tells a peer with the code that offers no chat E_PROTOCOL and waits for another; an honest sender never gets that far', async () => {
    const incoming = new MemoryIncoming();
    const gate = new Gate(incoming, { codeBytes: CODE, intent: Intent.CHAT });
    const refused: SealdropError[] = [];
    const hosting = firstChatPeer(gate, (error) => refused.push(error));
    // Sections 1 and 4: a send pairs only with a receive, so its HELLO is refused before any record.
    await expect(openSecureChannel(incoming.dial(), { role: 'initiator', intent: Intent.SEND, codeBytes: CODE })).rejects.toMatchObject({ message: expect.stringContaining('intent mismatch') });
    const offersText = await chatChannel(incoming.dial(), 'initiator');
    await offersText.send(RecordType.OFFER, encodeJson({ kind: 'text', text: 'hi' }));
    await expect(offersText.receive('the ERROR')).rejects.toMatchObject({ code: 'E_PROTOCOL', message: expect.stringContaining('sealdrop chat') });
    await vi.waitFor(() => expect(refused).toHaveLength(1));
    const talksFirst = await chatChannel(incoming.dial(), 'initiator');
    await talksFirst.send(RecordType.TEXT, encodeJson({ text: 'hi' }));
    await expect(talksFirst.receive('the ERROR')).rejects.toMatchObject({ code: 'E_PROTOCOL' });
    await vi.waitFor(() => expect(refused).toHaveLength(2));

    const joining = offerChat(await chatChannel(incoming.dial(), 'initiator'), 'ana');
    const { channel, peerName } = await hosting;
    expect(peerName).toBe('ana');
    expect(refused.map((error) => error.code)).toEqual(['E_PROTOCOL', 'E_PROTOCOL']);
    acceptChat(channel, { name: 'bo', room: false });
    expect((await joining).peerName).toBe('bo');
  });
});

describe('a room the others cannot stall', () => {
  it('drops a member that stops reading once more than the limit waits for it, and announces it as gone; a member that reads stays', async () => {
    const limit = 64 * 1024;
    const { room, join, incoming, waitForEvent } = openRoom('host', { maxUnsentBytesPerMember: limit });
    const ana = await join('ana');
    // Offers a chat, then never reads again.
    await offerChat(await chatChannel(incoming.dial(), 'initiator'), 'sleepy');
    await waitForEvent((event) => event.type === 'joined' && event.name === 'sleepy');
    const line = 'x'.repeat(4096);
    // In rounds that ana reads, so only sleepy falls behind.
    for (let round = 0; round < 40; round += 1) {
      for (let i = 0; i < 5; i += 1) room.say(`${round}.${i} ${line}`);
      await ana.inbox.waitForText(`${round}.4 ${line}`);
    }
    expect(await waitForEvent((event) => event.type === 'left' && event.name === 'sleepy')).toMatchObject({ how: { code: 'E_TIMEOUT', message: expect.stringContaining('stopped reading') } });
    await ana.inbox.waitForText('sleepy is gone (the connection was lost)');
    expect(room.who()).toEqual(['host', 'ana']);
    await room.close();
  });

  it('a stranger who says nothing holds the gate only for the handshake timeout, one with the code who never offers is let go after the idle timeout, and a silent member stays; the others chat throughout', async () => {
    const { room, join, incoming, gateEvents, waitForEvent } = openRoom('host', { handshakeTimeoutMs: 200, idleTimeoutMs: 200 });
    const ana = await join('ana');
    const quiet = await join('quiet'); // never writes
    incoming.dial(); // connects, and says nothing
    await ana.chat.send({ text: 'meanwhile', notice: false });
    await quiet.inbox.waitForText('meanwhile');
    await vi.waitFor(() => expect(gateEvents).toContainEqual(expect.objectContaining({ type: 'handshake-failed', error: expect.objectContaining({ code: 'E_TIMEOUT' }) })));
    await chatChannel(incoming.dial(), 'initiator'); // has the code, never offers
    const bo = await join('bo');
    expect(await waitForEvent((event) => event.type === 'refused')).toMatchObject({ error: { code: 'E_TIMEOUT' } });
    await new Promise((resolve) => setTimeout(resolve, 400)); // twice the idle timeout
    await quiet.chat.send({ text: 'still here', notice: false });
    for (const member of [ana, bo]) await member.inbox.waitForText('still here');
    expect(room.who()).toEqual(['host', 'ana', 'quiet', 'bo']);
    await room.close();
  });

  it('drops a member whose record does not open (E_PROTOCOL), announcing it as gone; garbage in place of a handshake costs no attempt; the room goes on', async () => {
    const { room, join, incoming, gateEvents, waitForEvent } = openRoom();
    const ana = await join('ana');
    const eve = await join('eve');
    eve.ended.catch(() => undefined); // told E_PROTOCOL by the host
    eve.stream.write(Buffer.concat([Buffer.from([0, 0, 0, 40]), Buffer.alloc(40, 0xab)]));
    expect(await waitForEvent((event) => event.type === 'left' && event.name === 'eve')).toMatchObject({ how: { code: 'E_PROTOCOL' } });
    await ana.inbox.waitForText('eve is gone (the connection was lost)');
    incoming.dial().write(Buffer.alloc(64, 0xff)); // a frame length far above the handshake's limit
    await vi.waitFor(() => expect(gateEvents.some((event) => event.type === 'handshake-failed')).toBe(true));
    const bo = await join('bo');
    await bo.chat.send({ text: 'hi', notice: false });
    await ana.inbox.waitForText('hi');
    expect(gateEvents.filter((event) => event.type === 'handshake-failed').map((event) => event.type === 'handshake-failed' && event.attemptsLeft)).toEqual([3]);
    await room.close();
  });
});

/** The largest messages a member can send, numbered, each sent as soon as its connection takes more. */
function flood(member: Side, count: number): string[] {
  const texts = Array.from({ length: count }, (_, i) => `${i} `.padEnd(MAX_RECORD_BODY_BYTES - 1024, 'x'));
  expect(chatTextFits(texts[0]!)).toBe(true);
  void (async () => {
    for (const text of texts) await member.chat.send({ text, notice: false });
  })();
  return texts;
}

const delay = (ms: number) => new Promise<'late'>((resolve) => setTimeout(() => resolve('late'), ms));

describe('a room with a member that floods it', () => {
  it('slows the flooder to the pace of a slow member that reads: the slow member gets every message, in order, and is not dropped', async () => {
    const { room, join, events } = openRoom('host', { maxUnsentBytesPerMember: 4 * MAX_RECORD_BODY_BYTES });
    const ana = await join('ana');
    const slow = await join('slow', slowReading(20));
    const texts = flood(ana, 10);
    await slow.inbox.waitForText(texts.at(-1)!);
    expect(slow.inbox.texts.filter((t) => !t.notice).map((t) => t.text)).toEqual(texts);
    expect(events.some((e) => e.type === 'left')).toBe(false);
    expect(room.who()).toEqual(['host', 'ana', 'slow']);
    await room.close();
  });

  it('keeps what waits for the members bounded, however much the flooder sends', async () => {
    // The hard limit far away, so that only the backpressure can keep it bounded.
    const { room, join } = openRoom('host', { maxUnsentBytesPerMember: 1024 * MAX_RECORD_BODY_BYTES });
    const members = [await join('ana'), await join('slow', slowReading(20)), await join('quick')];
    const [ana, slow] = members;
    let mostWaiting = 0;
    const sample = setInterval(() => {
      // The host's end of each in-memory connection: what it wrote that the member has not taken.
      mostWaiting = Math.max(mostWaiting, members.reduce((sum, member) => sum + member.stream.peer.writableLength, 0));
    }, 5);
    const texts = flood(ana!, 12);
    await slow!.inbox.waitForText(texts.at(-1)!);
    clearInterval(sample);
    // One message waiting for each of the two others at most, and a little besides.
    expect(mostWaiting).toBeLessThanOrEqual(3 * MAX_RECORD_BODY_BYTES);
    await room.close();
  });

  it('drops a member that never reads after the drain timeout, announcing it as gone; meanwhile the host and the others talk, and then the flood goes on', async () => {
    const { room, join, incoming, events, waitForEvent } = openRoom('host', { drainTimeoutMs: 2_000 });
    const ana = await join('ana');
    const bo = await join('bo');
    const cy = await join('cy');
    // Offers a chat, then never reads again.
    await offerChat(await chatChannel(incoming.dial(), 'initiator'), 'sleepy');
    await waitForEvent((event) => event.type === 'joined' && event.name === 'sleepy');
    const texts = flood(ana, 3);
    await bo.inbox.waitForText(texts[0]!);
    room.say('the host still talks');
    await cy.chat.send({ text: 'so does cy', notice: false });
    await bo.inbox.waitForText('the host still talks');
    await bo.inbox.waitForText('so does cy');
    expect(events.some((e) => e.type === 'left')).toBe(false);
    expect(await waitForEvent((event) => event.type === 'left' && event.name === 'sleepy')).toMatchObject({ how: { code: 'E_TIMEOUT', message: expect.stringContaining('did not take in a message within 2 s') } });
    await bo.inbox.waitForText('sleepy is gone (the connection was lost)');
    for (const member of [bo, cy]) await member.inbox.waitForText(texts.at(-1)!);
    expect(bo.inbox.texts.filter((t) => t.from === 'ana').map((t) => t.text)).toEqual(texts);
    expect(room.who()).toEqual(['host', 'ana', 'bo', 'cy']);
    await room.close();
  });
});

describe('a room with a member that breaks the protocol', () => {
  it('announces it as gone at once, not after the close has waited for an answer that does not come', async () => {
    const { room, join, incoming, waitForEvent } = openRoom();
    const ana = await join('ana');
    const stream = incoming.dial();
    const mallory = await chatChannel(stream, 'initiator');
    await offerChat(mallory, 'mallory');
    await waitForEvent((event) => event.type === 'joined' && event.name === 'mallory');
    stream.pause(); // reads nothing more, so never answers the host's end
    await mallory.send(RecordType.DONE, encodeJson({}));
    const left = waitForEvent((event) => event.type === 'left' && event.name === 'mallory');
    // Well under the 2 s the close waits for the peer's answer, with room for a loaded machine.
    expect(await Promise.race([left, delay(1_000)])).toMatchObject({ how: { code: 'E_PROTOCOL' } });
    await ana.inbox.waitForText('mallory is gone (the connection was lost)');
    await room.close();
  });
});
