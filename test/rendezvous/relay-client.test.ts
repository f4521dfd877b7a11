/**
 * The relay's clients (PROTOCOL.md section 9) against the real pairing logic of src/relay/, over
 * in-memory byte streams: the host posts one connection, only when asked, again after a posted
 * connection timed out, and releases its nameplate; the guest retries while told busy, then gives
 * up in plain words; a relay that lies, closes or stays silent is E_RELAY, quickly.
 */
import type { Duplex } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { Relay } from '../../src/relay/relay.js';
import type { RelayLimits } from '../../src/relay/limits.js';
import { encodeFrame } from '../../src/protocol/frames.js';
import { Intent } from '../../src/protocol/handshake-messages.js';
import { openSecureChannel } from '../../src/channel/secure-channel.js';
import { Gate, type GateEvent } from '../../src/session/gate.js';
import { RelayHost } from '../../src/rendezvous/relay-host.js';
import { joinThroughRelay } from '../../src/rendezvous/relay-guest.js';
import type { RelayLink } from '../../src/rendezvous/relay-link.js';
import { duplexPair } from '../support/duplex-pair.js';
import { expectCode } from '../support/errors.js';

const relays: Relay[] = [];
const hosts: RelayHost[] = [];
afterEach(async () => {
  await Promise.all(hosts.splice(0).map((host) => host.close()));
  await Promise.all(relays.splice(0).map((relay) => relay.stop(0)));
});

function relayLink(limits: Partial<RelayLimits> = {}): { relay: Relay; link: RelayLink } {
  const relay = new Relay({ limits: { drainMs: 50, ...limits } });
  relays.push(relay);
  const dial = async (): Promise<Duplex> => {
    const [near, far] = duplexPair();
    relay.accept(far, '10.0.0.1');
    return near;
  };
  return { relay, link: { dial, name: 'relay.test:7879', answerTimeoutMs: 500 } };
}

async function openHost(link: RelayLink): Promise<RelayHost> {
  const host = await RelayHost.open(link);
  hosts.push(host);
  return host;
}

/** The next stream the host hands out. */
async function nextPeer(host: RelayHost): Promise<Duplex> {
  const { value, done } = await host[Symbol.asyncIterator]().next();
  if (done) throw new Error('the host ended');
  return value.stream;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function until(check: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 200; i += 1) {
    if (check()) return;
    await sleep(5);
  }
  throw new Error(`timed out waiting until ${what}`);
}

describe('relay host and guest', () => {
  it('pair through the relay: the host hands out the stream, bytes cross both ways', async () => {
    const { link } = relayLink();
    const host = await openHost(link);
    expect(host.nameplate).toMatch(/^[1-9][0-9]{0,2}$/);
    const [guest, hosted] = await Promise.all([joinThroughRelay(link, host.nameplate), nextPeer(host)]);
    guest.write('hello');
    hosted.write('world');
    expect((await readBytes(hosted, 5)).toString()).toBe('hello');
    expect((await readBytes(guest, 5)).toString()).toBe('world');
  });

  it('posts one connection, and the next only when asked (never while a peer is being served)', async () => {
    const { relay, link } = relayLink();
    const host = await openHost(link);
    expect(relay.counts.posted).toBe(1);
    host.want(); // one is posted already: nothing more
    await sleep(20);
    expect(relay.counts.posted).toBe(1);
    await Promise.all([joinThroughRelay(link, host.nameplate), nextPeer(host)]);
    await sleep(20);
    expect(relay.counts).toMatchObject({ posted: 0, pairs: 1 }); // a transfer runs: no post
    host.want();
    await until(() => relay.counts.posted === 1, 'the host posts again');
  });

  it('posts again when the relay stops keeping its posted connection (E_RELAY_TIMEOUT); a guest still gets through', async () => {
    const { relay, link } = relayLink({ postedWaitMs: 100 });
    const host = await openHost(link);
    await sleep(250); // more than one posted wait
    await until(() => relay.counts.posted === 1, 'posted again');
    const [guest] = await Promise.all([joinThroughRelay(link, host.nameplate), nextPeer(host)]);
    expect(guest.destroyed).toBe(false);
  });

  it('releases its nameplate on close: a later guest hears E_RELAY_NAMEPLATE, in plain words', async () => {
    const { relay, link } = relayLink();
    const host = await openHost(link);
    expect(await host.close()).toBe(true);
    expect(relay.counts).toMatchObject({ nameplates: 0, posted: 0 });
    const error = await expectCode(joinThroughRelay(link, host.nameplate), 'E_RELAY_NAMEPLATE');
    expect(error.message).toMatch(/the code is wrong, or it has expired/);
  });

  it('a guest told busy tries again once an interval and gets in when the host posts again', async () => {
    const { link } = relayLink();
    const host = await openHost(link);
    await Promise.all([joinThroughRelay(link, host.nameplate), nextPeer(host)]); // the host is busy now
    let busyAnswers = 0;
    const second = joinThroughRelay(link, host.nameplate, { busyRetryIntervalMs: 20, busyRetryWindowMs: 5_000, onBusy: () => (busyAnswers += 1) });
    await until(() => busyAnswers >= 2, 'two busy answers');
    host.want(); // the first transfer broke off: the host posts again
    const [guest] = await Promise.all([second, nextPeer(host)]);
    expect(guest.destroyed).toBe(false);
  });

  it('a guest told busy for the whole window gives up with E_RELAY_BUSY: the other side is busy', async () => {
    const { link } = relayLink();
    const host = await openHost(link);
    await Promise.all([joinThroughRelay(link, host.nameplate), nextPeer(host)]);
    const started = Date.now();
    let busyAnswers = 0;
    const error = await expectCode(joinThroughRelay(link, host.nameplate, { busyRetryIntervalMs: 20, busyRetryWindowMs: 100, onBusy: () => (busyAnswers += 1) }), 'E_RELAY_BUSY');
    expect(Date.now() - started).toBeLessThan(2_000);
    // A try at once and one at each interval to the window's end: 6 tries, 5 waits between them.
    expect(busyAnswers).toBe(5);
    expect(error.message).toMatch(/the other side is busy with someone else/);
  });
});

describe('the host behind the gate (sections 7 and 9)', () => {
  it('posts again as soon as a handshake fails, and after three wrong codes the gate spends the code', async () => {
    const { relay, link } = relayLink();
    const host = await openHost(link);
    const codeBytes = Buffer.from(`${host.nameplate}-orbit-velvet-canal`);
    const events: GateEvent[] = [];
    const gate = new Gate(host, { codeBytes, intent: Intent.RECEIVE, onEvent: (event) => events.push(event) });
    const spent = gate.next();
    spent.catch(() => undefined);
    for (let attempt = 1; attempt <= 3; attempt += 1) {
      await until(() => relay.counts.posted === 1, `posted for attempt ${attempt}`);
      const stream = await joinThroughRelay(link, host.nameplate);
      const wrong = Buffer.from(`${host.nameplate}-wrong-code-here`);
      await expectCode(openSecureChannel(stream, { role: 'initiator', intent: Intent.SEND, codeBytes: wrong }), 'E_WRONG_CODE');
    }
    await expectCode(spent, 'E_CODE_SPENT');
    expect(events.filter((event) => event.type === 'handshake-failed')).toHaveLength(3);
    await sleep(20);
    expect(relay.counts.posted).toBe(0); // a spent code is not posted again
  });

  it('posts nothing while the channel it let through is held, and again once released', async () => {
    const { relay, link } = relayLink();
    const host = await openHost(link);
    const codeBytes = Buffer.from(`${host.nameplate}-orbit-velvet-canal`);
    const gate = new Gate(host, { codeBytes, intent: Intent.RECEIVE });
    const [hosted, guest] = await Promise.all([
      gate.next(),
      joinThroughRelay(link, host.nameplate).then((stream) => openSecureChannel(stream, { role: 'initiator', intent: Intent.SEND, codeBytes })),
    ]);
    expect(hosted.fingerprint).toBe(guest.fingerprint);
    await sleep(30);
    expect(relay.counts.posted).toBe(0);
    gate.release();
    const next = gate.next();
    next.catch(() => undefined);
    await until(() => relay.counts.posted === 1, 'posted after release');
  });

  it('reports a relay that shuts down as the gate\'s failure, in the relay\'s words (E_RELAY_FULL), not a silent end', async () => {
    const { relay, link } = relayLink();
    const host = await openHost(link);
    const gate = new Gate(host, { codeBytes: Buffer.from(`${host.nameplate}-a-b-c`), intent: Intent.RECEIVE });
    const next = gate.next();
    await relay.stop(0); // refuses the posted connection: it is shutting down
    await expectCode(next, 'E_RELAY_FULL');
  });
});

describe('a relay that does not speak section 9', () => {
  /** A "relay" that answers each connection with `reply` (or nothing), then does `then`. */
  function lyingLink(reply: Buffer | null, then: 'stay' | 'close' = 'stay'): RelayLink {
    const dial = async (): Promise<Duplex> => {
      const [near, far] = duplexPair();
      far.on('error', () => undefined);
      far.once('data', () => {
        if (reply !== null) far.write(reply);
        if (then === 'close') far.end();
      });
      far.resume();
      return near;
    };
    return { dial, name: 'liar.test:7879', answerTimeoutMs: 200 };
  }

  const cases: [string, RelayLink][] = [
    ['an HTTP server', lyingLink(Buffer.from('HTTP/1.1 400 Bad Request\r\n\r\n'))],
    ['a sealdrop peer (FAIL)', lyingLink(encodeFrame(Buffer.from('\x0fprotocol error', 'latin1')))],
    ['JSON of another kind', lyingLink(encodeFrame(Buffer.from('{"hello": "there"}')))],
    ['an unknown refusal', lyingLink(encodeFrame(Buffer.from('{"ok": false, "error": "E_RELAY_NOPE", "message": "no"}')))],
    ['a host answer with a bad token', lyingLink(encodeFrame(Buffer.from('{"ok": true, "nameplate": "4", "token": "xyz", "ttl": 600}')))],
    ['a close without an answer', lyingLink(null, 'close')],
    ['silence', lyingLink(null)],
  ];

  it.each(cases)('%s: the guest fails with E_RELAY within the answer timeout', async (_name, link) => {
    const started = Date.now();
    const error = await expectCode(joinThroughRelay(link, '482'), 'E_RELAY');
    expect(Date.now() - started).toBeLessThan(1_500);
    expect(error.message).toContain('liar.test:7879');
  });

  it.each(cases)('%s: the host fails with E_RELAY', async (_name, link) => {
    await expectCode(RelayHost.open(link), 'E_RELAY');
  });

  it('a length no relay frame has is refused at once, without waiting for its payload', async () => {
    const link = { ...lyingLink(Buffer.from('HTTP/1.1 400 Bad Request\r\n\r\n')), answerTimeoutMs: 5_000 };
    const started = Date.now();
    const error = await expectCode(joinThroughRelay(link, '482'), 'E_RELAY');
    expect(Date.now() - started).toBeLessThan(1_000);
    expect(error.message).toMatch(/not a relay frame/);
  });

  it('the guest does not take a paired host answer for a pairing, nor the host a pairing for its nameplate', async () => {
    await expectCode(joinThroughRelay(lyingLink(encodeFrame(Buffer.from('{"ok": true}'))), '482'), 'E_RELAY');
    await expectCode(RelayHost.open(lyingLink(encodeFrame(Buffer.from('{"paired": true}')))), 'E_RELAY');
  });
});

async function readBytes(stream: Duplex, count: number): Promise<Buffer> {
  let received = Buffer.alloc(0);
  while (received.length < count) {
    const chunk = stream.read() as Buffer | null;
    if (chunk !== null) received = Buffer.concat([received, chunk]);
    else await new Promise((resolve) => stream.once('readable', resolve));
  }
  return received;
}
