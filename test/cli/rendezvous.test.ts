/**
 * The address options and their precedence (src/cli/rendezvous.ts): a peer address means direct,
 * then --relay, then --port/--host (direct), then SEALDROP_RELAY, then direct; who goes first
 * hosts. Nothing here connects: planMeeting only decides.
 */
import type { Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { planMeeting, type Hosting, type MeetingOptions } from '../../src/cli/rendezvous.js';
import { TcpListener } from '../../src/channel/tcp.js';
import { Relay } from '../../src/relay/relay.js';
import { normaliseCode } from '../../src/protocol/code.js';
import { thrownBy } from '../support/errors.js';

const RELAY = { SEALDROP_RELAY: 'relay.example:7879' };
const plan = (options: Partial<MeetingOptions>, env: NodeJS.ProcessEnv = {}) => planMeeting({ goesFirst: false, peerOption: '--to', ...options }, env);
const shape = (options: Partial<MeetingOptions>, env: NodeJS.ProcessEnv = {}) => {
  const meeting = plan(options, env);
  return { role: meeting.role, route: meeting.route };
};

describe('where the two sides meet', () => {
  it.each<[string, Partial<MeetingOptions>, NodeJS.ProcessEnv, object]>([
    ['a guest with a peer address: direct, even with SEALDROP_RELAY', { peer: '10.0.0.5:7878' }, RELAY, { role: 'guest', route: { via: 'direct' } }],
    ['a guest with --relay', { relay: '[2001:db8::1]:7879' }, {}, { role: 'guest', route: { via: 'relay', relay: '[2001:db8::1]:7879' } }],
    ['a guest with SEALDROP_RELAY alone', {}, RELAY, { role: 'guest', route: { via: 'relay', relay: 'relay.example:7879' } }],
    ['--relay wins over SEALDROP_RELAY', { relay: '127.0.0.1:9' }, RELAY, { role: 'guest', route: { via: 'relay', relay: '127.0.0.1:9' } }],
    ['a host with nothing: direct', { goesFirst: true }, {}, { role: 'host', route: { via: 'direct' } }],
    ['a host with --port: direct, even with SEALDROP_RELAY', { goesFirst: true, port: 7878 }, RELAY, { role: 'host', route: { via: 'direct' } }],
    ['a host with --host: direct, even with SEALDROP_RELAY', { goesFirst: true, host: '::1' }, RELAY, { role: 'host', route: { via: 'direct' } }],
    ['a host with SEALDROP_RELAY alone', { goesFirst: true }, RELAY, { role: 'host', route: { via: 'relay', relay: 'relay.example:7879' } }],
    ['a host with --relay and --port: the relay (explicit)', { goesFirst: true, relay: '127.0.0.1:9', port: 1 }, {}, { role: 'host', route: { via: 'relay', relay: '127.0.0.1:9' } }],
    ['an empty SEALDROP_RELAY counts as unset', { goesFirst: true }, { SEALDROP_RELAY: ' ' }, { role: 'host', route: { via: 'direct' } }],
  ])('%s', (_name, options, env, expected) => {
    expect(shape(options, env)).toEqual(expected);
  });

  it.each<[string, Partial<MeetingOptions>, RegExp]>([
    ['a peer address and --relay', { peer: '10.0.0.5:7878', relay: '10.0.0.6:7879' }, /--to connects directly, --relay through a relay: give one of them/],
    ['a peer address for the side that goes first', { goesFirst: true, peer: '10.0.0.5:7878' }, /--to is for the side that joins/],
    ['a guest with nowhere to go', {}, /say where the other side is: --to HOST:PORT, or --relay HOST:PORT \(or set SEALDROP_RELAY\)/],
    ['a relay without a port', { relay: 'relay.example' }, /--relay must be HOST:PORT/],
  ])('refuses %s (E_USAGE)', (_name, options, message) => {
    const error = thrownBy(() => plan(options));
    expect(error.code).toBe('E_USAGE');
    expect(error.message).toMatch(message);
  });

  it('a guest through a relay checks the code before connecting; a direct guest takes any code', () => {
    const relayGuest = plan({ relay: '127.0.0.1:9' });
    if (relayGuest.role !== 'guest') throw new Error('expected a guest');
    expect(thrownBy(() => relayGuest.check(normaliseCode('orbit-velvet'))).code).toBe('E_BAD_CODE');
    expect(() => relayGuest.check(normaliseCode('4-orbit'))).not.toThrow();
    const directGuest = plan({ peer: '[::1]:7878' });
    if (directGuest.role !== 'guest') throw new Error('expected a guest');
    expect(() => directGuest.check(normaliseCode('orbit-velvet'))).not.toThrow();
  });
});

describe('a host, opened', () => {
  const cleanups: (() => Promise<unknown>)[] = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  /** A relay in this process on 127.0.0.1, over TCP. */
  async function relayOnLoopback(): Promise<{ relay: Relay; address: string }> {
    const relay = new Relay({ limits: { drainMs: 50 } });
    const listener = await TcpListener.open('127.0.0.1', 0, { allowHalfOpen: true });
    void (async () => {
      for await (const { stream } of listener) relay.accept(stream, (stream as Socket).remoteAddress ?? '');
    })();
    cleanups.push(() => listener.close(), () => relay.stop(0));
    return { relay, address: `127.0.0.1:${listener.port}` };
  }

  async function open(options: Partial<MeetingOptions>, secret: { text: string } | null = null): Promise<Hosting> {
    const meeting = plan({ goesFirst: true, ...options });
    if (meeting.role !== 'host') throw new Error('expected a host');
    const hosting = await meeting.open(secret);
    cleanups.push(() => hosting.close());
    return hosting;
  }

  it('on a relay: the nameplate in front of three words, the relay to join through, a 10 s handshake (section 9)', async () => {
    const { address } = await relayOnLoopback();
    const hosting = await open({ relay: address });
    expect(hosting.code).toMatch(/^[1-9][0-9]{0,2}-[a-z]+-[a-z]+-[a-z]+$/);
    expect(hosting.codeBytes.toString()).toBe(hosting.code);
    expect(hosting.joinOptions('--from')).toEqual([`--relay ${address}`]);
    expect(hosting.handshakeTimeoutMs).toBe(10_000);
  });

  it('on a relay with a secret of its own: the nameplate goes in front of it; close() releases the nameplate (a second call is harmless)', async () => {
    const { relay, address } = await relayOnLoopback();
    const hosting = await open({ relay: address }, { text: 'Orbit-Velvet-Canal-River' });
    expect(hosting.code).toMatch(/^[1-9][0-9]{0,2}-Orbit-Velvet-Canal-River$/);
    expect(hosting.codeBytes.toString()).toMatch(/^[1-9][0-9]{0,2}-orbit-velvet-canal-river$/);
    expect(relay.counts.nameplates).toBe(1);
    await Promise.all([hosting.close(), hosting.close()]);
    expect(relay.counts.nameplates).toBe(0);
  });

  it('directly: a listener on the port, its address to join, the 30 s handshake of section 7', async () => {
    const hosting = await open({ host: '127.0.0.1', port: 0 });
    expect(hosting.code).toMatch(/^[1-9][0-9]{0,2}-[a-z]+-[a-z]+-[a-z]+$/);
    expect(hosting.joinOptions('--to')).toEqual([expect.stringMatching(/^--to 127\.0\.0\.1:\d+$/)]);
    expect(hosting.handshakeTimeoutMs).toBe(30_000);
  });
});
