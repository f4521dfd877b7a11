/** connectTo: a TCP connection, or E_CONNECT in the channel's own words with the errno error as cause. */
import { once } from 'node:events';
import { createServer, type AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { connectTo } from '../../src/channel/tcp.js';
import { closedPort } from '../support/ports.js';

describe('connectTo', () => {
  it('says nobody is listening, without naming a command, and keeps ECONNREFUSED as the cause', async () => {
    const port = await closedPort();
    const error = await connectTo('127.0.0.1', port).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'E_CONNECT', message: `cannot connect to 127.0.0.1:${port}: nobody is listening there`, cause: { code: 'ECONNREFUSED' } });
  });

  it('hands back the connected socket', async () => {
    const server = createServer((socket) => socket.end()).listen(0, '127.0.0.1');
    await once(server, 'listening');
    const socket = await connectTo('127.0.0.1', (server.address() as AddressInfo).port);
    expect(socket.remotePort).toBe((server.address() as AddressInfo).port);
    socket.destroy();
    server.close();
  });
});
