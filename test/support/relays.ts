/**
 * Network stand-ins for the end-to-end tests, all on 127.0.0.1: raw connections, a relay in front
 * of a receiver that counts (and can hold back) what the sender puts on the wire, and a server
 * that counts connections, to prove that nothing connected.
 */
import { connect, createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { once } from 'node:events';
import { LOOPBACK, type SealdropProcess } from './cli.js';
import type { E2EScope } from './e2e.js';

export async function rawConnection(sd: E2EScope, port: number): Promise<Socket> {
  const socket = connect({ host: LOOPBACK, port });
  sd.sockets.push(socket);
  socket.on('error', () => undefined);
  await once(socket, 'connect');
  return socket;
}

/** Resolves true if the peer closes `socket` within `ms`. */
export async function closedWithin(socket: Socket, ms: number): Promise<boolean> {
  if (socket.destroyed || socket.readableEnded) return true;
  socket.resume(); // read (and drop) whatever arrives, so an end from the peer is seen
  const closed = Promise.race([once(socket, 'end'), once(socket, 'close')]).then(() => true);
  const timer = new Promise<boolean>((resolve) => setTimeout(() => resolve(false), ms));
  return Promise.race([closed, timer]);
}

/**
 * A TCP relay on 127.0.0.1 in front of the receiver that counts the bytes the sender puts on the
 * wire, and calls `onBytes` with the running count and the sender's socket (to cut the sender, or
 * pause it, at a chosen point).
 */
export async function countingRelay(sd: E2EScope, targetPort: number, onBytes: (total: number, sender: Socket) => void = () => undefined) {
  let bytes = 0;
  const server = createServer((client) => {
    const upstream = connect({ host: LOOPBACK, port: targetPort });
    sd.sockets.push(client, upstream);
    for (const socket of [client, upstream]) socket.on('error', () => undefined);
    client.on('data', (chunk: Buffer) => {
      bytes += chunk.length;
      onBytes(bytes, client);
    });
    client.pipe(upstream);
    upstream.pipe(client);
    // A receiver that ends with unread bytes resets its connection: no 'end' for the pipe to pass
    // on. The sender learns of it all the same, as it would without the relay.
    upstream.on('close', () => client.end());
  });
  server.listen(0, LOOPBACK);
  await once(server, 'listening');
  return { address: `${LOOPBACK}:${(server.address() as AddressInfo).port}`, bytes: () => bytes, close: () => server.close() };
}

/** A relay (as above) that holds the sender's bytes back once `atBytes` have passed, until resume(). */
export async function pausingRelay(sd: E2EScope, targetPort: number, atBytes: number) {
  let paused: Socket | undefined;
  let onPaused: () => void = () => undefined;
  const reached = new Promise<void>((resolve) => (onPaused = resolve));
  const relay = await countingRelay(sd, targetPort, (total, sender) => {
    if (total < atBytes || paused) return;
    paused = sender;
    sender.pause();
    onPaused();
  });
  return {
    address: relay.address,
    close: relay.close,
    /** Resolves once the sender is held back. */
    reached: () => reached,
    resume: () => paused!.resume(),
  };
}

/** A TCP server on 127.0.0.1 that counts connections, to prove nothing connected. */
export async function countingServer(): Promise<{ server: Server; port: number; connectionsSoFar: () => Promise<number> }> {
  const accepted: number[] = []; // the remote port of each connection, in the order accepted
  let onAccepted: () => void = () => undefined;
  const server = createServer((socket) => {
    accepted.push(socket.remotePort!);
    socket.destroy();
    onAccepted();
  });
  server.listen(0, LOOPBACK);
  await once(server, 'listening');
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('no port');
  const port = address.port;
  /**
   * The connections made before this call. Instead of waiting a while for a late one, it connects
   * a probe and waits until the server has accepted it: connections are accepted in the order they
   * were made, so by then every earlier one has been counted.
   */
  async function connectionsSoFar(): Promise<number> {
    const probe = connect({ host: LOOPBACK, port });
    probe.on('error', () => undefined);
    await once(probe, 'connect');
    const probePort = probe.localPort!;
    await new Promise<void>((resolve) => {
      onAccepted = () => {
        if (accepted.includes(probePort)) resolve();
      };
      onAccepted();
    });
    probe.destroy();
    return accepted.lastIndexOf(probePort);
  }
  return { server, port, connectionsSoFar };
}

export async function closeServer(server: Server): Promise<void> {
  await new Promise<void>((resolve) => server.close(() => resolve()));
}

/** The line a `sealdrop relay` prints once it listens, on 127.0.0.1 or [::1]. */
const RELAY_LISTENING_LINE = /^Relay listening on (?:127\.0\.0\.1|\[::1\]):(\d+)$/;

/** Starts a real `sealdrop relay` on `host` (127.0.0.1 unless said) and a free port. */
export async function startRelay(sd: E2EScope, args: readonly string[] = [], host = LOOPBACK): Promise<{ relay: SealdropProcess; port: number }> {
  const relay = sd.run(['relay', '--host', host, '--port', '0', ...args]);
  const [, port] = await relay.waitForLine('stderr', RELAY_LISTENING_LINE);
  return { relay, port: Number(port) };
}
