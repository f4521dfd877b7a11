/**
 * connectTo: a TCP connection, or E_CONNECT in the channel's own words with the errno error as
 * cause. TcpListener: the accepted sockets as a source of incoming streams, for the gate.
 */
import { once } from 'node:events';
import { createServer, type AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { connectTo, TcpListener } from '../../src/channel/tcp.js';
import { Intent } from '../../src/protocol/handshake-messages.js';
import { openSecureChannel } from '../../src/channel/secure-channel.js';
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

describe('TcpListener', () => {
  it('yields each accepted socket with where it came from, and ends once closed', async () => {
    const listener = await TcpListener.open('127.0.0.1', 0);
    const iterator = listener[Symbol.asyncIterator]();
    const dialled = await connectTo('127.0.0.1', listener.port);
    const { value } = await iterator.next();
    expect(value).toMatchObject({ remote: `127.0.0.1:${dialled.localPort}` });
    const ended = iterator.next();
    const closing = listener.close(); // the server's close waits for the connections it accepted
    expect(await ended).toEqual({ done: true, value: undefined });
    value!.stream.destroy();
    dialled.destroy();
    await closing;
  });

  it('refuses a port in use with E_USAGE', async () => {
    const listener = await TcpListener.open('127.0.0.1', 0);
    await expect(TcpListener.open('127.0.0.1', listener.port)).rejects.toMatchObject({ code: 'E_USAGE', message: expect.stringContaining('the port is in use') });
    await listener.close();
  });

  it('takes either role whoever dialled: here the side that dialled is the responder', async () => {
    const listener = await TcpListener.open('127.0.0.1', 0);
    const iterator = listener[Symbol.asyncIterator]();
    const dialled = await connectTo('127.0.0.1', listener.port);
    const { value } = await iterator.next();
    const codeBytes = Buffer.from('7-crossover-clockwork');
    const [responder, initiator] = await Promise.all([
      openSecureChannel(dialled, { role: 'responder', intent: Intent.RECEIVE, codeBytes }),
      openSecureChannel(value!.stream, { role: 'initiator', intent: Intent.SEND, codeBytes }),
    ]);
    expect(responder.fingerprint).toBe(initiator.fingerprint);
    await Promise.all([responder.close(), initiator.close()]);
    await listener.close();
  });
});
