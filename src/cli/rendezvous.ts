/**
 * Where the two sides meet, from the address options that send, receive and chat share:
 * who goes first, `--relay HOST:PORT`, SEALDROP_RELAY, `--port`/`--host`, and the peer address
 * of `--to`/`--from`. It gives either a host (incoming streams for the gate, and the code to show)
 * or a guest (a connection to the host), directly or through a relay (PROTOCOL.md section 9). It
 * knows nothing of what the two sides then do.
 *
 * Which way, first rule that applies:
 *   1. a peer address (--to / --from): directly to it (a guest; not with --relay or --wait);
 *   2. --relay HOST:PORT: through that relay;
 *   3. --port or --host: directly (a host listens there);
 *   4. SEALDROP_RELAY: through that relay;
 *   5. otherwise directly: a host listens on 0.0.0.0:7878; a guest needs a peer address.
 */
import type { Duplex } from 'node:stream';
import { SealdropError } from '../errors.js';
import { generateCode, generateWords, normaliseCode } from '../protocol/code.js';
import { nameplateOfCode, relayCode } from '../protocol/relay-code.js';
import { connectTo, TcpListener } from '../channel/tcp.js';
import type { IncomingStreams } from '../channel/incoming.js';
import { DEFAULT_HANDSHAKE_TIMEOUT_MS } from '../channel/handshake-timeout.js';
import { RelayHost } from '../rendezvous/relay-host.js';
import { joinThroughRelay } from '../rendezvous/relay-guest.js';
import type { RelayLink } from '../rendezvous/relay-link.js';
import { DEFAULT_BUSY_RETRY_WINDOW_MS, RELAY_HANDSHAKE_TIMEOUT_MS } from '../rendezvous/relay-timing.js';
import { DEFAULT_LISTEN_HOST, DEFAULT_PORT, RELAY_ENVIRONMENT_VARIABLE } from './meeting-defaults.js';
import { joinHostPort, parseHostPort, reachableAddresses } from './addresses.js';

export interface MeetingOptions {
  /** This side goes first and hosts: receive, or send --wait. */
  readonly goesFirst: boolean;
  readonly relay?: string;
  /** The other side's HOST:PORT (--to or --from), and the option's name for messages. */
  readonly peer?: string;
  readonly peerOption: string;
  readonly port?: number;
  readonly host?: string;
  /** Seconds a guest keeps trying while the relay says the host is busy (section 9: 30). */
  readonly busyWaitSeconds?: number;
}

export type Route = { readonly via: 'direct' } | { readonly via: 'relay'; readonly relay: string };

/** A host that is ready: the code to show and streams as peers arrive. */
export interface Hosting {
  readonly route: Route;
  readonly code: string;
  readonly codeBytes: Buffer;
  readonly incoming: IncomingStreams;
  /** The address options the other side adds to its command, one alternative each (`--to 10.0.0.5:7878`). */
  joinOptions(peerOption: string): string[];
  /** Where a direct host can be reached (HOST:PORT), for --json; empty through a relay. */
  readonly addresses: readonly string[];
  readonly handshakeTimeoutMs: number;
  /** Stops hosting: closes the listener, or releases the nameplate on the relay. Once; later calls wait for the first. */
  close(): Promise<void>;
}

export type Meeting =
  | { readonly role: 'host'; readonly route: Route; open(secret: { text: string } | null): Promise<Hosting> }
  | { readonly role: 'guest'; readonly route: Route; check(codeBytes: Buffer): void; connect(codeBytes: Buffer, onBusy?: () => void): Promise<Duplex> };

export function planMeeting(options: MeetingOptions, environment: NodeJS.ProcessEnv = process.env): Meeting {
  const fromEnvironment = environment[RELAY_ENVIRONMENT_VARIABLE]?.trim() || undefined;
  if (options.peer !== undefined) {
    if (options.relay !== undefined) throw new SealdropError('E_USAGE', `${options.peerOption} connects directly, --relay through a relay: give one of them`);
    if (options.goesFirst) throw new SealdropError('E_USAGE', `${options.peerOption} is for the side that joins; the side that waits takes --port (or --relay)`);
    const { host, port } = parseHostPort(options.peer, options.peerOption);
    return { role: 'guest', route: { via: 'direct' }, check: () => undefined, connect: () => connectTo(host, port) };
  }
  const direct = options.relay === undefined && (options.port !== undefined || options.host !== undefined || fromEnvironment === undefined);
  if (direct) {
    if (!options.goesFirst) throw new SealdropError('E_USAGE', `say where the other side is: ${options.peerOption} HOST:PORT, or --relay HOST:PORT (or set ${RELAY_ENVIRONMENT_VARIABLE})`);
    return { role: 'host', route: { via: 'direct' }, open: (secret) => hostDirectly(options.host ?? DEFAULT_LISTEN_HOST, options.port ?? DEFAULT_PORT, secret) };
  }
  const relayAddress = options.relay ?? fromEnvironment!;
  const link = relayLink(relayAddress, options.relay !== undefined ? '--relay' : RELAY_ENVIRONMENT_VARIABLE);
  const route: Route = { via: 'relay', relay: link.name };
  if (options.goesFirst) return { role: 'host', route, open: (secret) => hostOnRelay(link, route, secret) };
  const busyRetryWindowMs = options.busyWaitSeconds === undefined ? DEFAULT_BUSY_RETRY_WINDOW_MS : options.busyWaitSeconds * 1000;
  return {
    role: 'guest',
    route,
    // Section 9: refused before connecting, so a typo costs no try at the relay.
    check: (codeBytes) => void nameplateOfCode(codeBytes),
    connect: (codeBytes, onBusy) => joinThroughRelay(link, nameplateOfCode(codeBytes), { busyRetryWindowMs, onBusy }),
  };
}

function relayLink(address: string, option: string): RelayLink {
  const { host, port } = parseHostPort(address, option);
  const name = joinHostPort(host, port);
  const dial = () =>
    connectTo(host, port).catch((error: unknown) => {
      const why = error instanceof SealdropError ? error.message : String(error);
      throw new SealdropError('E_RELAY', `the relay ${name} cannot be reached (${why}); check ${option}, or try again later`, { cause: error });
    });
  return { dial, name };
}

async function hostDirectly(host: string, port: number, secret: { text: string } | null): Promise<Hosting> {
  const listener = await TcpListener.open(host, port);
  const code = secret?.text ?? generateCode();
  const addresses = reachableAddresses(host).map((address) => joinHostPort(address, listener.port));
  return {
    route: { via: 'direct' },
    code,
    codeBytes: normaliseCode(code),
    incoming: listener,
    addresses,
    joinOptions: (peerOption) => addresses.map((address) => `${peerOption} ${address}`),
    handshakeTimeoutMs: DEFAULT_HANDSHAKE_TIMEOUT_MS,
    close: once(() => listener.close()),
  };
}

/** Section 9: the relay gives the nameplate; the secret (generated, or the one given) goes after it. */
async function hostOnRelay(link: RelayLink, route: Route, secret: { text: string } | null): Promise<Hosting> {
  const relayHost = await RelayHost.open(link);
  const code = relayCode(relayHost.nameplate, secret?.text ?? generateWords());
  return {
    route,
    code,
    codeBytes: normaliseCode(code),
    incoming: relayHost,
    addresses: [],
    joinOptions: () => [`--relay ${link.name}`],
    handshakeTimeoutMs: RELAY_HANDSHAKE_TIMEOUT_MS,
    close: once(async () => void (await relayHost.close())),
  };
}

/** The first call's promise, for every call: a host is stopped once, on Ctrl-C and at the end alike. */
function once(run: () => Promise<void>): () => Promise<void> {
  let running: Promise<void> | undefined;
  return () => (running ??= run());
}

/** For the person, and the `route` event of --json: how this side reaches the other. */
export function describeRoute(route: Route): { text: string; fields: object } {
  return route.via === 'relay'
    ? { text: `through the relay ${route.relay} (it sees only sealed bytes)`, fields: { via: 'relay', relay: route.relay } }
    : { text: 'directly, no relay', fields: { via: 'direct' } };
}
