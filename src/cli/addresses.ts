/** The addresses under which the other machine can reach this one, for the printed `send` command. */
import { networkInterfaces } from 'node:os';

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
