/**
 * The address options and their precedence (src/cli/rendezvous.ts): a peer address means direct,
 * then --relay, then --port/--host (direct), then SEALDROP_RELAY, then direct; who goes first
 * hosts. Nothing here connects: planMeeting only decides.
 */
import { describe, expect, it } from 'vitest';
import { planMeeting, type MeetingOptions } from '../../src/cli/rendezvous.js';
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
