import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { Relay, type RelayEvent } from '../../src/relay/relay.js';
import type { RelayLimits } from '../../src/relay/limits.js';
import { duplexPair, type MemoryStream } from '../support/duplex-pair.js';
import { hostRequest, joinRequest, RelayReader, releaseRequest, repostRequest, requestFrame } from '../support/relay-client.js';

const relays: Relay[] = [];
afterEach(async () => {
  await Promise.all(relays.splice(0).map((relay) => relay.stop(0)));
});

function makeRelay(limits: Partial<RelayLimits> = {}) {
  const events: RelayEvent[] = [];
  const relay = new Relay({ limits: { drainMs: 50, ...limits }, log: (event) => events.push(event) });
  relays.push(relay);
  let dialled = 0;
  const dial = (address = '10.0.0.1'): { stream: MemoryStream; reader: RelayReader } => {
    const [near, far] = duplexPair();
    dialled += 1;
    relay.accept(far, address);
    return { stream: near, reader: new RelayReader(near) };
  };
  return { relay, events, dial, dialled: () => dialled };
}

type Dial = ReturnType<typeof makeRelay>['dial'];

async function host(dial: Dial) {
  const side = dial();
  side.stream.write(hostRequest());
  const answer = await side.reader.answer();
  return { ...side, nameplate: answer.nameplate as string, token: answer.token as string, answer };
}

/** A host and a guest, paired: both have read `{"paired": true}`. */
async function pair(dial: Dial) {
  const h = await host(dial);
  const g = dial();
  g.stream.write(joinRequest(h.nameplate));
  await Promise.all([g.reader.answer(), h.reader.answer()]);
  return { h, g };
}

async function refusal(dial: Dial, request: Buffer, address?: string): Promise<string> {
  const side = dial(address);
  side.stream.write(request);
  const answer = await side.reader.answer();
  expect(answer.ok).toBe(false);
  await side.reader.end(); // the relay closes after the answer
  return answer.error as string;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('relay: host and join (section 9)', () => {
  it('gives a host a nameplate in 1-999, a 128-bit token and the ttl', async () => {
    const { dial } = makeRelay({ ttlMs: 120_000 });
    const { answer } = await host(dial);
    expect(answer).toEqual({ ok: true, nameplate: expect.stringMatching(/^[1-9][0-9]{0,2}$/), token: expect.stringMatching(/^[0-9a-f]{32}$/), ttl: 120 });
  });

  it('pairs a guest with the posted host: paired to both, then bytes both ways unchanged', async () => {
    const { dial, events, relay } = makeRelay();
    const h = await host(dial);
    const g = dial();
    g.stream.write(joinRequest(h.nameplate));
    expect(await g.reader.answer()).toEqual({ paired: true });
    expect(await h.reader.answer()).toEqual({ paired: true });
    const toHost = Buffer.from([0, 1, 2, 255, 4, 0, 0, 0]);
    const toGuest = Buffer.alloc(100_000, 7);
    g.stream.write(toHost);
    h.stream.write(toGuest);
    expect(await h.reader.bytes(toHost.length)).toEqual(toHost);
    expect(await g.reader.bytes(toGuest.length)).toEqual(toGuest);
    expect(relay.counts).toMatchObject({ pairs: 1, posted: 0, nameplates: 1 });
    g.stream.end();
    await Promise.all([h.reader.end(), g.reader.end()]);
    await sleep(5);
    const closed = events.find((e) => e.event === 'closed');
    expect(closed).toMatchObject({ nameplate: h.nameplate, bytesHostToGuest: toGuest.length, bytesGuestToHost: toHost.length, cut: null });
    expect(JSON.stringify(events)).not.toContain(h.token);
  });

  it('lets the host re-post with its token and refuses a second post (E_RELAY_BUSY), a wrong token (E_RELAY_TOKEN)', async () => {
    const { dial } = makeRelay();
    const h = await host(dial);
    const wrong = h.token.replace(/^./, (c) => (c === '0' ? '1' : '0'));
    expect(await refusal(dial, repostRequest(h.nameplate, wrong))).toBe('E_RELAY_TOKEN');
    expect(await refusal(dial, repostRequest(h.nameplate, h.token))).toBe('E_RELAY_BUSY');
    const g = dial();
    g.stream.write(joinRequest(h.nameplate));
    await g.reader.answer();
    // The first connection is paired: the host may post another, and gets the same answer.
    const again = dial();
    again.stream.write(repostRequest(h.nameplate, h.token));
    expect(await again.reader.answer()).toEqual(h.answer);
  });

  it('refuses a guest when nothing is posted (E_RELAY_BUSY), never queuing it; an unknown nameplate is E_RELAY_NAMEPLATE', async () => {
    const { dial } = makeRelay();
    const h = await host(dial);
    const g = dial();
    g.stream.write(joinRequest(h.nameplate));
    await g.reader.answer();
    expect(await refusal(dial, joinRequest(h.nameplate))).toBe('E_RELAY_BUSY'); // a third connection
    const unknown = h.nameplate === '1' ? '2' : '1';
    expect(await refusal(dial, joinRequest(unknown))).toBe('E_RELAY_NAMEPLATE');
    expect(await refusal(dial, releaseRequest(unknown, h.token))).toBe('E_RELAY_NAMEPLATE');
  });

  it('checks in section 9 order: nameplate, then token, then posted', async () => {
    const { dial } = makeRelay();
    const h = await host(dial);
    const unknown = h.nameplate === '1' ? '2' : '1';
    expect(await refusal(dial, repostRequest(unknown, '0'.repeat(32)))).toBe('E_RELAY_NAMEPLATE');
    expect(await refusal(dial, repostRequest(h.nameplate, h.token === 'f'.repeat(32) ? '0'.repeat(32) : 'f'.repeat(32)))).toBe('E_RELAY_TOKEN');
  });
});

describe('relay: requests (section 9)', () => {
  it('refuses a length outside 2..1024 without waiting for its payload', async () => {
    const { dial } = makeRelay();
    for (const length of [0, 1, 1025, 0xffffffff]) {
      const side = dial();
      const header = Buffer.alloc(4);
      header.writeUInt32BE(length);
      side.stream.write(header); // and nothing more
      expect(await side.reader.answer()).toMatchObject({ ok: false, error: 'E_RELAY_REQUEST' });
    }
  });

  it('refuses a malformed request, and bytes after the request in the same write', async () => {
    const { dial } = makeRelay();
    expect(await refusal(dial, requestFrame({ relay: 2, op: 'host' }))).toBe('E_RELAY_REQUEST');
    expect(await refusal(dial, Buffer.concat([hostRequest(), Buffer.from([1])]))).toBe('E_RELAY_REQUEST');
  });

  it('takes a request split into single bytes', async () => {
    const { dial } = makeRelay();
    const side = dial();
    for (const byte of hostRequest()) side.stream.write(Buffer.from([byte]));
    expect(await side.reader.answer()).toMatchObject({ ok: true });
  });

  it('refuses a posted host that sends bytes before paired; a guest\'s early bytes never reach the host', async () => {
    const { dial } = makeRelay();
    const h = await host(dial);
    h.stream.write(Buffer.from('early'));
    expect(await h.reader.answer()).toMatchObject({ ok: false, error: 'E_RELAY_REQUEST' });
    const h2 = await host(dial);
    const g = dial();
    g.stream.write(Buffer.concat([joinRequest(h2.nameplate), Buffer.from('early')]));
    expect(await g.reader.answer()).toMatchObject({ ok: false, error: 'E_RELAY_REQUEST' });
    await sleep(10);
    expect(h2.reader.pending).toBe(0);
  });

  it('closes without an answer a connection whose request does not come in time', async () => {
    const { dial } = makeRelay({ requestTimeoutMs: 30 });
    const side = dial();
    side.stream.write(hostRequest().subarray(0, 6));
    expect((await side.reader.end()).length).toBe(0);
  });

  it('after an error answer, reads and discards until the drain time, then closes', async () => {
    const { dial } = makeRelay({ drainMs: 40 });
    const side = dial();
    side.stream.write(requestFrame({ relay: 1, op: 'nope' }));
    expect(await side.reader.answer()).toMatchObject({ error: 'E_RELAY_REQUEST' });
    side.stream.write(Buffer.alloc(1000)); // read and dropped, no reset
    await side.reader.end();
  });
});

describe('relay: lifetimes and limits (section 9)', () => {
  it('release: ok, the posted connection is closed, the nameplate is forgotten; a pair goes on', async () => {
    const { dial, relay } = makeRelay();
    const { h, g } = await pair(dial);
    const posted = dial();
    posted.stream.write(repostRequest(h.nameplate, h.token));
    await posted.reader.answer();
    const r = dial();
    r.stream.write(releaseRequest(h.nameplate, h.token));
    expect(await r.reader.answer()).toEqual({ ok: true });
    await r.reader.end();
    await posted.reader.end();
    expect(await refusal(dial, joinRequest(h.nameplate))).toBe('E_RELAY_NAMEPLATE');
    g.stream.write(Buffer.from('still here'));
    expect((await h.reader.bytes(10)).toString()).toBe('still here');
    expect(relay.counts.nameplates).toBe(0);
  });

  it('a nameplate lapses ttl after its host has no connection posted or paired', async () => {
    const { dial, events } = makeRelay({ ttlMs: 40 });
    const h = await host(dial);
    await sleep(80); // posted: it does not lapse
    h.stream.destroy();
    await sleep(10);
    const again = dial();
    again.stream.write(repostRequest(h.nameplate, h.token)); // within ttl: still held
    expect(await again.reader.answer()).toMatchObject({ ok: true });
    again.stream.destroy();
    await sleep(80);
    expect(await refusal(dial, joinRequest(h.nameplate))).toBe('E_RELAY_NAMEPLATE');
    expect(events).toContainEqual({ event: 'lapsed', nameplate: h.nameplate });
  });

  it('a posted connection that waits too long hears E_RELAY_TIMEOUT, and may post again', async () => {
    const { dial } = makeRelay({ postedWaitMs: 30 });
    const h = await host(dial);
    expect(await h.reader.answer()).toMatchObject({ ok: false, error: 'E_RELAY_TIMEOUT' });
    const again = dial();
    again.stream.write(repostRequest(h.nameplate, h.token));
    expect(await again.reader.answer()).toMatchObject({ ok: true });
  });

  it('limits the joins per nameplate that end in a pairing; busy joins do not count (E_RELAY_RATE)', async () => {
    const { dial } = makeRelay({ maxPairingsPerNameplatePerMinute: 2 });
    const h = await host(dial);
    const first = dial();
    first.stream.write(joinRequest(h.nameplate));
    expect(await first.reader.answer()).toEqual({ paired: true });
    for (let i = 0; i < 3; i++) expect(await refusal(dial, joinRequest(h.nameplate))).toBe('E_RELAY_BUSY'); // nothing posted
    const post = async () => {
      const posted = dial();
      posted.stream.write(repostRequest(h.nameplate, h.token));
      await posted.reader.answer();
    };
    await post();
    const second = dial();
    second.stream.write(joinRequest(h.nameplate));
    expect(await second.reader.answer()).toEqual({ paired: true });
    await post();
    expect(await refusal(dial, joinRequest(h.nameplate))).toBe('E_RELAY_RATE');
  });

  it('limits nameplates held (E_RELAY_FULL), connections per address before any request (E_RELAY_RATE), requests per address', async () => {
    const full = makeRelay({ maxNameplates: 1 });
    await host(full.dial);
    expect(await refusal(full.dial, hostRequest())).toBe('E_RELAY_FULL');

    const crowded = makeRelay({ maxConnectionsPerAddress: 2 });
    crowded.dial('10.0.0.9');
    crowded.dial('10.0.0.9');
    const third = crowded.dial('10.0.0.9');
    expect(await third.reader.answer()).toMatchObject({ error: 'E_RELAY_RATE' }); // nothing was sent
    await host(crowded.dial); // another address is fine

    const chatty = makeRelay({ maxRequestsPerAddressPerMinute: 2 });
    expect(await refusal(chatty.dial, joinRequest('1'))).toBe('E_RELAY_NAMEPLATE');
    expect(await refusal(chatty.dial, joinRequest('1'))).toBe('E_RELAY_NAMEPLATE');
    expect(await refusal(chatty.dial, joinRequest('1'))).toBe('E_RELAY_RATE');
  });

  it('closes a pair without a word once it passes its byte limit', async () => {
    const { dial } = makeRelay({ maxBytesPerPair: 1000 });
    const { h, g } = await pair(dial);
    g.stream.write(Buffer.alloc(600));
    await h.reader.bytes(600);
    g.stream.write(Buffer.alloc(600));
    await Promise.all([h.reader.end(), g.reader.end()]);
  });

  it('closes a pair silent both ways for the idle limit', async () => {
    const { dial, events } = makeRelay({ pairIdleMs: 40 });
    const { h, g } = await pair(dial);
    await Promise.all([h.reader.end(), g.reader.end()]);
    await sleep(5);
    expect(events.find((e) => e.event === 'closed')).toMatchObject({ cut: 'idle' });
  });

  it('copies with backpressure: a host that does not read holds the guest back', async () => {
    const { dial } = makeRelay();
    const { h, g } = await pair(dial);
    h.stream.pause(); // the host reads nothing more for now
    const chunk = Buffer.alloc(64 * 1024, 1);
    let offered = 0;
    while (g.stream.write(chunk)) offered += chunk.length;
    await sleep(50); // the relay would have taken everything by now, had it no backpressure
    const MAX_IN_FLIGHT_BYTES = 512 * 1024;
    expect(g.stream.bytesWritten).toBeLessThan(MAX_IN_FLIGHT_BYTES);
    expect(g.stream.writableLength).toBeGreaterThan(0); // the guest's own writes wait
    h.stream.resume();
    const total = offered + chunk.length;
    expect((await h.reader.bytes(total)).length).toBe(total);
  });

  it('a reset on one side closes the other at once', async () => {
    const { dial } = makeRelay();
    const { h, g } = await pair(dial);
    g.stream.destroy();
    await h.reader.end();
  });

  it('draws nameplates at random from 1-999 except held and resting ones, then from 1-999999', async () => {
    const { dial } = makeRelay({ maxRequestsPerAddressPerMinute: Infinity });
    const first = new Set<string>();
    const hosts = [];
    for (let i = 0; i < 400; i++) {
      const h = await host(dial);
      first.add(h.nameplate);
      hosts.push(h);
    }
    expect(first.size).toBe(400);
    for (const h of hosts) {
      const r = dial();
      r.stream.write(releaseRequest(h.nameplate, h.token));
      await r.reader.answer();
    }
    // 599 of 1-999 are free and not resting: the next 500 come from them, then 1-999999.
    const next: number[] = [];
    for (let i = 0; i < 520; i++) next.push(Number((await host(dial)).nameplate));
    expect(next.slice(0, 500).filter((n) => n > 999 || first.has(String(n)))).toEqual([]);
    expect(next.slice(500).some((n) => n > 999)).toBe(true);
  });
});

describe('relay: any bytes, any split (property)', () => {
  it('answers one frame (a request\'s answer or E_RELAY_REQUEST) or waits; never throws', async () => {
    const input = fc.tuple(
      fc.oneof(fc.uint8Array({ maxLength: 2000 }), fc.constantFrom(hostRequest(), joinRequest('5'), Buffer.concat([joinRequest('5'), Buffer.from([0])]))),
      fc.array(fc.integer({ min: 1, max: 50 }), { maxLength: 20 }),
    );
    await fc.assert(
      fc.asyncProperty(input, async ([bytes, cuts]) => {
        const { dial } = makeRelay({ requestTimeoutMs: 20, postedWaitMs: 20, drainMs: 5 });
        const side = dial();
        let offset = 0;
        for (const cut of cuts) {
          side.stream.write(Buffer.from(bytes.subarray(offset, offset + cut)));
          offset += cut;
        }
        if (offset < bytes.length) side.stream.write(Buffer.from(bytes.subarray(offset)));
        const left = await side.reader.end(); // a refusal, the request timeout or the posted wait ends it
        if (left.length > 0) {
          const answer = JSON.parse(left.subarray(4, 4 + left.readUInt32BE(0)).toString()) as Record<string, unknown>;
          expect(answer.ok === true || answer.error === 'E_RELAY_REQUEST' || answer.error === 'E_RELAY_NAMEPLATE').toBe(true);
        }
      }),
      { numRuns: 60 },
    );
  });
});

describe('relay: graceful stop', () => {
  it('refuses posted and new connections, lets a pair finish within the grace, then closes it', async () => {
    const { dial, relay } = makeRelay();
    const { h, g } = await pair(dial);
    const posted = dial();
    posted.stream.write(repostRequest(h.nameplate, h.token));
    await posted.reader.answer();
    const stopped = relay.stop(60);
    expect(await posted.reader.answer()).toMatchObject({ error: 'E_RELAY_FULL' });
    expect(await refusal(dial, hostRequest())).toBe('E_RELAY_FULL');
    g.stream.write(Buffer.from('ok'));
    expect((await h.reader.bytes(2)).toString()).toBe('ok');
    await stopped;
    expect(h.reader.ended && g.reader.ended).toBe(true);
  });
});
