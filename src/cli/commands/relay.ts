/**
 * `sealdrop relay`: a relay server (PROTOCOL.md section 9) on a TCP port. The pairing logic is
 * src/relay/, over any byte stream; this command gives it TCP connections, writes its events as
 * one JSON object a line on stdout, and on SIGTERM or Ctrl-C stops gracefully and exits 0.
 */
import type { Socket } from 'node:net';
import { TcpListener } from '../../channel/tcp.js';
import type { RelayLimits } from '../../relay/limits.js';
import { Relay, type RelayEvent } from '../../relay/relay.js';
import type { Output } from '../output.js';

export interface RelayOptions {
  readonly host: string;
  readonly port: number;
  readonly limits: Partial<RelayLimits>;
  readonly graceSeconds: number;
  /** No event log. */
  readonly quiet: boolean;
}

function logLine(event: RelayEvent | { event: string; [key: string]: unknown }): void {
  process.stdout.write(`${JSON.stringify({ time: new Date().toISOString(), ...event })}\n`);
}

/** Resolves once the relay has stopped after a SIGTERM or SIGINT; a second one cuts the grace short. */
export async function runRelay(options: RelayOptions, output: Output): Promise<void> {
  const log = options.quiet ? () => {} : logLine;
  const relay = new Relay({ limits: options.limits, log });
  // Half-open: a peer's end of stream is passed on as one while the other direction flows.
  const listener = await TcpListener.open(options.host, options.port, { allowHalfOpen: true });
  const where = options.host.includes(':') ? `[${options.host}]:${listener.port}` : `${options.host}:${listener.port}`;
  output.essential(`Relay listening on ${where}`);
  log({ event: 'listening', address: where });

  const signalled = new Promise<NodeJS.Signals>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  const accepting = (async () => {
    for await (const { stream } of listener) relay.accept(stream, (stream as Socket).remoteAddress ?? 'unknown');
  })();

  const signal = await signalled;
  log({ event: 'stopping', signal, graceSeconds: options.graceSeconds });
  const closed = listener.close(); // stops accepting now; resolves once every connection is gone
  const hurry = () => void relay.stop(0);
  process.once('SIGINT', hurry);
  process.once('SIGTERM', hurry);
  await relay.stop(options.graceSeconds * 1000);
  await Promise.all([closed, accepting]);
  log({ event: 'stopped' });
}
