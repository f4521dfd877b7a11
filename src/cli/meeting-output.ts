/**
 * What send, receive and chat say about meeting the other side, whichever goes first: the host's code
 * and the command for the other machine (never with the code in it: pasted, it would sit in the
 * other machine's process list), the route (directly or through which relay), and the gate's
 * events. With --json the host's first line is the `code` event.
 */
import type { GateEvent } from '../session/gate.js';
import { CODE_ENVIRONMENT_VARIABLE } from './code-input.js';
import { plural } from './format.js';
import type { Output } from './output.js';
import { describeRoute, type Hosting, type Route } from './rendezvous.js';

/** `command` is what the other side runs before its address options (`sealdrop send FILE...`). */
export function announceHosting(hosting: Hosting, command: string, peerOption: string, output: Output): void {
  output.essential(`Code: ${hosting.code}`);
  output.essential(`On the other machine, run this and type the code when asked (or set ${CODE_ENVIRONMENT_VARIABLE}):`);
  for (const options of hosting.joinOptions(peerOption)) output.essential(`  ${command} ${options}`);
  const route = hosting.route;
  output.event('code', { code: hosting.code, addresses: hosting.addresses, ...(route.via === 'relay' ? { relay: route.relay } : {}) });
  reportRoute(route, output);
}

/** Both sides say how they meet: directly, or through which relay. */
export function reportRoute(route: Route, output: Output): void {
  const { text, fields } = describeRoute(route);
  output.info(`Connection: ${text}`);
  output.event('route', fields);
}

/** A guest told E_RELAY_BUSY tries again for a while (section 9); the person sees why it waits. */
export function reportBusy(output: Output): void {
  output.spin('The other side is busy with someone else; trying again…');
}

/** The gate's events, for a host waiting for its `peer` ("sender", "receiver"). */
export function reportGateEvent(event: GateEvent, peer: string, output: Output): void {
  const warning = recordGateEvent(event, output);
  if (event.type === 'connection') {
    output.spin(`Securing the connection from ${event.remote}…`);
    return;
  }
  output.warn(warning!);
  if (event.attemptsLeft > 0) output.spin(`Waiting for the ${peer}…`);
}

/**
 * A gate's event as a --json event; for a failed handshake, also the warning for the person, for
 * a host that shows it its own way (a room's host, above its input line). Null for a connection.
 */
export function recordGateEvent(event: GateEvent, output: Output): string | null {
  if (event.type === 'connection') {
    output.event('connection', { remote: event.remote });
    return null;
  }
  const { error, attemptsLeft, remote } = event;
  output.event('connection-failed', { remote, code: error.code, message: error.message, attemptsLeft });
  const left = error.code === 'E_WRONG_CODE' ? ` (${plural(attemptsLeft, 'attempt')} left)` : '';
  return `connection from ${remote} failed: ${error.code}: ${error.message}${left}`;
}
