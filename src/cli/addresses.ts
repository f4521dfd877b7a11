/**
 * Addresses on the command line: those under which the other machine can reach this one, for the
 * printed `send` command, and the `--to HOST:PORT` that command takes.
 */
import { networkInterfaces } from 'node:os';
import { SealdropError } from '../errors.js';

const WILDCARDS = new Set(['0.0.0.0', '::', '']);

export function reachableAddresses(listenHost: string): string[] {
  if (!WILDCARDS.has(listenHost)) return [listenHost];
  const external = Object.values(networkInterfaces())
    .flat()
    .filter((info) => info !== undefined && !info.internal && info.family === 'IPv4')
    .map((info) => info!.address);
  return external.length > 0 ? external : ['127.0.0.1'];
}

/** HOST:PORT, with brackets for an IPv6 host. */
export function joinHostPort(host: string, port: number): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}

/** Parses `HOST:PORT` or `[IPv6]:PORT`; `option` names where it came from, for the message. */
export function parseHostPort(value: string, option = '--to'): { host: string; port: number } {
  const match = /^(?:\[([^\]]+)\]|([^:]+)):(\d{1,5})$/.exec(value.trim());
  const port = match ? Number(match[3]) : NaN;
  if (!match || port < 1 || port > 65535) {
    throw new SealdropError('E_USAGE', `${option} must be HOST:PORT (e.g. 10.0.0.5:7878, or [::1]:7878), got "${value}"`);
  }
  return { host: (match[1] ?? match[2])!, port };
}
