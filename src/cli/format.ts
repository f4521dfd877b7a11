/** Small text formatters shared by the commands. */
import { formatChecksumLine } from '../protocol/checksum-lines.js';

const UNITS = ['B', 'KiB', 'MiB', 'GiB', 'TiB'] as const;

export function formatBytes(bytes: number): string {
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < UNITS.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return unit === 0 ? `${bytes} B` : `${value.toFixed(1)} ${UNITS[unit]}`;
}

/** One line exactly as `sha256sum` prints it: digest, two spaces, name (escaped as it escapes one). */
export function sha256sumLine(sha256: string, name: string): string {
  return formatChecksumLine(sha256, name);
}

export function plural(count: number, noun: string): string {
  return `${count} ${noun}${count === 1 ? '' : 's'}`;
}
