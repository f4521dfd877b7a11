/**
 * `sealdrop relay` end to end (PROTOCOL.md section 9): the real bin/sealdrop relay on 127.0.0.1,
 * driven by raw TCP clients that speak relay frames. Times that section 9 sets at minutes (ttl,
 * the posted wait, resting) are covered by test/relay/relay.test.ts with short limits.
 */
import { once } from 'node:events';
import { connect, type Socket } from 'node:net';
import { afterAll, describe, expect } from 'vitest';
import { killLeftovers, LOOPBACK, type SealdropProcess } from '../support/cli.js';
import { e2e, type E2EScope } from '../support/e2e.js';
import { hostRequest, joinRequest, RelayReader, releaseRequest, repostRequest, requestFrame, type Answer } from '../support/relay-client.js';
import { startRelay } from '../support/relays.js';

afterAll(killLeftovers);


/** A client connection; half-open, so that its peer's end of stream leaves it able to send. */
async function dial(sd: E2EScope, port: number): Promise<{ socket: Socket; reader: RelayReader }> {
  const socket = connect({ host: LOOPBACK, port, allowHalfOpen: true });
  sd.sockets.push(socket);
  socket.on('error', () => undefined);
  await once(socket, 'connect');
  return { socket, reader: new RelayReader(socket) };
}

async function ask(sd: E2EScope, port: number, request: Buffer): Promise<Answer & { socket: Socket; reader: RelayReader }> {
  const client = await dial(sd, port);
  client.socket.write(request);
  return { ...(await client.reader.answer()), ...client };
}

async function pair(sd: E2EScope, port: number) {
  const host = await ask(sd, port, hostRequest());
  const guest = await ask(sd, port, joinRequest(host.nameplate as string));
  expect(guest.paired).toBe(true);
  expect(await host.reader.answer()).toEqual({ paired: true });
  return { host, guest };
}

const events = (relay: SealdropProcess) => relay.lines('stdout').map((line) => JSON.parse(line) as Record<string, unknown>);

describe('sealdrop relay', () => {
  e2e('pairs a host and a guest: paired to both, bytes both ways, a FIN passed on while the other way flows; SIGTERM exits 0', async ({ sd }) => {
    const { relay, port } = await startRelay(sd);
    const { host, guest } = await pair(sd, port);
    expect(host).toMatchObject({ ok: true, nameplate: expect.stringMatching(/^[1-9][0-9]{0,2}$/), token: expect.stringMatching(/^[0-9a-f]{32}$/), ttl: 600 });

    const big = Buffer.alloc(3 * 1024 * 1024, 0xa5);
    guest.socket.write(big);
    expect((await host.reader.bytes(big.length)).equals(big)).toBe(true);
    guest.socket.end(); // FIN from the guest
    await host.reader.end(); // passed on as a FIN ...
    host.socket.write('still flowing'); // ... while the host can still send
    expect((await guest.reader.bytes(13)).toString()).toBe('still flowing');
    host.socket.end();
    await guest.reader.end();

    await relay.waitForLine('stdout', /"event":"closed"/);
    relay.kill('SIGTERM');
    await relay.expectExit(0);
    const log = events(relay);
    expect(log.find((e) => e.event === 'closed')).toMatchObject({ nameplate: host.nameplate, bytesGuestToHost: big.length, bytesHostToGuest: 13 });
    expect(relay.stdout).not.toContain(host.token as string);
    expect(relay.stderr).not.toContain(host.token as string);
  });

  e2e('answers every E_RELAY_ error it can reach here, then closes', async ({ sd }) => {
    const { relay, port } = await startRelay(sd, ['--max-nameplates', '2']);
    const refused = async (request: Buffer) => {
      const answer = await ask(sd, port, request);
      expect(answer.ok).toBe(false);
      await answer.reader.end();
      return answer.error;
    };
    const header = (length: number) => Buffer.from([length >>> 24, (length >>> 16) & 255, (length >>> 8) & 255, length & 255]);
    expect(await refused(header(1025))).toBe('E_RELAY_REQUEST'); // no payload follows: refused on the length
    expect(await refused(header(1))).toBe('E_RELAY_REQUEST');
    expect(await refused(requestFrame({ relay: 1, op: 'join', nameplate: '0482' }))).toBe('E_RELAY_REQUEST');
    expect(await refused(Buffer.concat([hostRequest(), Buffer.from('early')]))).toBe('E_RELAY_REQUEST');

    const host = await ask(sd, port, hostRequest());
    const nameplate = host.nameplate as string;
    const other = nameplate === '1' ? '2' : '1';
    expect(await refused(joinRequest(other))).toBe('E_RELAY_NAMEPLATE');
    expect(await refused(repostRequest(nameplate, 'f'.repeat(32) === host.token ? '0'.repeat(32) : 'f'.repeat(32)))).toBe('E_RELAY_TOKEN');
    expect(await refused(repostRequest(nameplate, host.token as string))).toBe('E_RELAY_BUSY'); // one posted per nameplate
    const guest = await ask(sd, port, joinRequest(nameplate));
    expect(guest.paired).toBe(true);
    expect(await host.reader.answer()).toEqual({ paired: true });
    expect(await refused(joinRequest(nameplate))).toBe('E_RELAY_BUSY'); // a third connection: never queued
    await ask(sd, port, hostRequest());
    expect(await refused(hostRequest())).toBe('E_RELAY_FULL');

    // A posted host that sends before `paired` is refused (a guest's early bytes are refused above).
    const host2 = await ask(sd, port, repostRequest(nameplate, host.token as string));
    host2.socket.write('too soon');
    expect(await host2.reader.answer()).toMatchObject({ ok: false, error: 'E_RELAY_REQUEST' });

    const released = await ask(sd, port, releaseRequest(nameplate, host.token as string));
    expect(released).toMatchObject({ ok: true });
    await released.reader.end();
    expect(await refused(joinRequest(nameplate))).toBe('E_RELAY_NAMEPLATE');
    // The pair made before the release goes on.
    guest.socket.write('after release');
    expect((await host.reader.bytes(13)).toString()).toBe('after release');

    const codes = events(relay).filter((e) => e.event === 'refused').map((e) => e.code);
    expect(new Set(codes)).toEqual(new Set(['E_RELAY_REQUEST', 'E_RELAY_NAMEPLATE', 'E_RELAY_TOKEN', 'E_RELAY_BUSY', 'E_RELAY_FULL']));
    expect(relay.stdout).not.toContain(host.token as string);
  });

  e2e('limits requests per address (E_RELAY_RATE)', async ({ sd }) => {
    const { port } = await startRelay(sd, ['--max-requests-per-minute', '2']);
    for (let i = 0; i < 2; i++) expect((await ask(sd, port, joinRequest('7'))).error).toBe('E_RELAY_NAMEPLATE');
    expect((await ask(sd, port, joinRequest('7'))).error).toBe('E_RELAY_RATE');
  });

  e2e('listens on [::1] and says so in brackets', async ({ sd }) => {
    const relay = sd.run(['relay', '--host', '::1', '--port', '0', '--quiet']);
    const [, port] = await relay.waitForLine('stderr', /^Relay listening on \[::1\]:(\d+)$/);
    const socket = connect({ host: '::1', port: Number(port) });
    sd.sockets.push(socket);
    socket.on('error', () => undefined);
    await once(socket, 'connect');
    const reader = new RelayReader(socket);
    socket.write(hostRequest());
    expect(await reader.answer()).toMatchObject({ ok: true });
    relay.kill('SIGINT');
    await relay.expectExit(0);
    expect(relay.stdout).toBe(''); // --quiet: no log
  });

  e2e('refuses a ttl below 60 seconds', async ({ sd }) => {
    const result = await sd.runToEnd(['relay', '--host', LOOPBACK, '--port', '0', '--ttl', '5']);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('--ttl');
  });

  e2e('on SIGTERM refuses new requests, lets a running pair finish within --grace, then closes it and exits 0', async ({ sd }) => {
    const { relay, port } = await startRelay(sd, ['--grace', '1']);
    const { host, guest } = await pair(sd, port);
    const posted = await ask(sd, port, repostRequest(host.nameplate as string, host.token as string));
    relay.kill('SIGTERM');
    expect(await posted.reader.answer()).toMatchObject({ ok: false, error: 'E_RELAY_FULL' });
    host.socket.write('in the grace');
    expect((await guest.reader.bytes(12)).toString()).toBe('in the grace');
    await Promise.all([host.reader.end(), guest.reader.end()]);
    await relay.expectExit(0);
  });
});
