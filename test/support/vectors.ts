/** Loads the JSON vectors copied into fixtures/vectors/ (origins in fixtures/vectors/README.md). */
import { readFileSync } from 'node:fs';

export function loadVectors<T = any>(fileName: string): T {
  return JSON.parse(readFileSync(new URL(`../../fixtures/vectors/${fileName}`, import.meta.url), 'utf8')) as T;
}

export const hex = (text: string): Buffer => Buffer.from(text, 'hex');
export const toHex = (bytes: Uint8Array): string => Buffer.from(bytes).toString('hex');
